"""The processors of every torque policy: its base policy's, checked (`torque_processors`).

Each policy's `make_<policy>_pre_post_processors` hands its base factory to `torque_processors`,
which refuses effort without statistics and relative actions over a window of states, builds the
base's pipelines and inserts `EffortObservationCheckStep`. That step is saved with the policy's
preprocessor by its class path, so it stays in this module. π0 and π0.5 rebuild LeRobot's steps
(`pi_pipelines`; why in its docstring).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from lerobot.configs import NormalizationMode, PipelineFeatureType, PolicyFeature, PreTrainedConfig
from lerobot.processor import (
    AbsoluteActionsProcessorStep,
    DefaultPolicyProcessorSteps,
    ObservationProcessorStep,
    PolicyAction,
    PolicyProcessorPipeline,
    ProcessorStep,
    RelativeActionsProcessorStep,
    RenameObservationsProcessorStep,
    TokenizerProcessorStep,
    make_default_policy_processor_steps,
    make_policy_processor_pipelines,
)
from lerobot.robots import RobotConfig
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.policies.torque.effort_layout import EffortLayout

DatasetStats = dict[str, dict[str, torch.Tensor]]
Processors = tuple[
    PolicyProcessorPipeline[dict[str, Any], dict[str, Any]],
    PolicyProcessorPipeline[PolicyAction, PolicyAction],
]


def check_effort_stats(config: PreTrainedConfig, dataset_stats: dict | None) -> None:
    """Raise if effort would reach the policy unnormalised.

    LeRobot's normaliser silently passes through keys it has no statistics for.
    """
    layout = config.torque.layout
    if dataset_stats is None or layout is None:
        return
    mode = config.normalization_mapping.get("STATE", NormalizationMode.IDENTITY)
    if mode is not NormalizationMode.IDENTITY and layout.key not in dataset_stats:
        raise ValueError(
            f"The dataset has no statistics for '{layout.key}', so effort would not be normalised. "
            f"Recompute them (LeRobotDataset.meta.stats, `lerobot-edit-dataset`) before training."
        )


def _width(value) -> int | None:
    """Entries per frame of an observation value (its last dimension), None for a scalar."""
    shape = getattr(value, "shape", None)
    return int(shape[-1]) if shape else None


def effort_robot_types() -> list[str]:
    """The registered robot types that report joint effort (ours end in `_torque`)."""
    return sorted(name for name in RobotConfig.get_known_choices() if name.endswith("_torque"))


def check_observation_fits_layout(observation: dict, layout: EffortLayout) -> None:
    """Raise a ValueError naming the missing entries when the observation is not shaped as in training.

    LeRobot's normaliser would otherwise fail with a bare tensor size mismatch.
    """
    state_names, width = layout.state_names, _width(observation.get(OBS_STATE))
    if state_names is not None and width is not None and width != len(state_names):
        trained = (
            f"'{OBS_STATE}' has {width} values per frame, but the policy was trained on "
            f"{len(state_names)}: {state_names}."
        )
        kept = layout.kept_state_indices or []
        if layout.key == OBS_STATE and width == len(kept):
            raise ValueError(
                f"{trained} Its effort entries {layout.names} are missing. Read the robot with a type that "
                f"reports effort ({', '.join(effort_robot_types())}; lerobot-rollout then builds the state "
                f"in the trained order), or append the values of {layout.names} to '{OBS_STATE}' in this "
                "order."
            )
        raise ValueError(
            f"{trained} Build it from the robot type and options the training data was recorded with, "
            "in this order."
        )
    effort_width = _width(observation.get(OBS_EFFORT))
    if layout.key == OBS_EFFORT and effort_width is not None and effort_width != len(layout.names):
        raise ValueError(
            f"'{OBS_EFFORT}' has {effort_width} values per frame, but the policy was trained on "
            f"{len(layout.names)}: {layout.names}. Use the robot or environment the policy was trained with."
        )


@dataclass
class EffortObservationCheckStep(ObservationProcessorStep):
    """Before the normaliser: the observation has the state and effort entries the policy was trained on.

    Saved with the policy's preprocessor (by class path, so loading it imports this module).
    """

    key: str = OBS_EFFORT
    names: list[str] = field(default_factory=list)
    state_names: list[str] | None = None

    @classmethod
    def for_layout(cls, layout: EffortLayout) -> "EffortObservationCheckStep":
        return cls(key=layout.key, names=list(layout.names), state_names=layout.state_names)

    def observation(self, observation: dict) -> dict:
        check_observation_fits_layout(observation, EffortLayout(self.key, self.names, self.state_names))
        return observation

    def get_config(self) -> dict[str, Any]:
        return {"key": self.key, "names": list(self.names), "state_names": self.state_names}

    def transform_features(
        self, features: dict[PipelineFeatureType, dict[str, PolicyFeature]]
    ) -> dict[PipelineFeatureType, dict[str, PolicyFeature]]:
        return features


def add_observation_check(preprocessor: PolicyProcessorPipeline, layout: EffortLayout | None) -> None:
    """Insert `EffortObservationCheckStep` right after the renaming step (keys are final there)."""
    if layout is None:
        return
    steps = list(preprocessor.steps)
    renames = [i for i, step in enumerate(steps) if isinstance(step, RenameObservationsProcessorStep)]
    steps.insert(renames[0] + 1 if renames else 0, EffortObservationCheckStep.for_layout(layout))
    preprocessor.steps = steps


def check_relative_actions(config: PreTrainedConfig) -> None:
    """Raise if relative actions (π0, π0.5) would read a window of states as the current state."""
    layout = config.torque.layout
    if (
        getattr(config, "use_relative_actions", False)  # ACT and SmolVLA have none
        and layout is not None
        and layout.key == OBS_STATE
        and config.torque.enabled
    ):
        raise NotImplementedError(
            "Relative actions read the current observation.state, but with effort recorded inside the "
            "state the dataset returns a window of states. Move effort to its own feature with "
            "`lerobot-torque-effort-layout --to feature ...`, or train with "
            "--policy.use_relative_actions=false."
        )


def torque_processors(
    base_factory: Callable[..., Processors],
    config: PreTrainedConfig,
    dataset_stats: DatasetStats | None,
    **factory_options,
) -> Processors:
    """`base_factory(config, dataset_stats, **factory_options)`'s pipelines for a torque policy.

    Before building them: raise if effort would not be normalised (`check_effort_stats`) or relative
    actions would read a window of states (`check_relative_actions`). After: the observation is
    checked right after renaming (`add_observation_check`). Every other step is the base's, in the
    base's order, so the policy's saved processors are the base's plus that one step.
    """
    check_effort_stats(config, dataset_stats)
    check_relative_actions(config)
    preprocessor, postprocessor = base_factory(config, dataset_stats, **factory_options)
    add_observation_check(preprocessor, config.torque.layout)
    return preprocessor, postprocessor


# (config, LeRobot's default steps, relative-action step, tokenizer step) -> the preprocessor's steps
PiInputSteps = Callable[
    [PreTrainedConfig, DefaultPolicyProcessorSteps, ProcessorStep, ProcessorStep], list[ProcessorStep]
]


def pi_pipelines(
    config: PreTrainedConfig, dataset_stats: DatasetStats | None, input_steps: PiInputSteps
) -> Processors:
    """LeRobot's π0 / π0.5 pipelines with the prompt tokenised by `config.tokenizer_name`.

    LeRobot's factories (`make_pi0_pre_post_processors` in lerobot/policies/pi0/processor_pi0.py,
    `make_pi05_pre_post_processors` in lerobot/policies/pi05/processor_pi05.py) cannot be called and
    then adapted: they build `TokenizerProcessorStep(tokenizer_name="google/paligemma-3b-pt-224")`,
    which loads that tokenizer from the Hub as it is built, whatever `config.tokenizer_name` says and
    before any step could be replaced. So the same public steps are built here as there: the
    relative-action step, LeRobot's default steps and the tokenizer, which
    `input_steps(config, steps, relative_step, tokenizer_step)` puts in the policy's order; the
    postprocessor (unnormalise, absolute actions, to CPU) is the same for both.
    """
    relative_step = RelativeActionsProcessorStep(
        enabled=config.use_relative_actions,
        exclude_joints=config.relative_exclude_joints,
        action_names=config.action_feature_names,
    )
    steps = make_default_policy_processor_steps(config, dataset_stats)
    tokenizer_step = TokenizerProcessorStep(
        tokenizer_name=config.tokenizer_name,
        max_length=config.tokenizer_max_length,
        padding_side="right",
        padding="max_length",
    )
    output_steps = [
        steps.unnormalize,
        AbsoluteActionsProcessorStep(enabled=config.use_relative_actions, relative_step=relative_step),
        steps.to_cpu,
    ]
    return make_policy_processor_pipelines(
        input_steps=input_steps(config, steps, relative_step, tokenizer_step), output_steps=output_steps
    )
