"""The torque policies' processor pipelines: each step, in order, and the names they are saved under.

Step order and registry names are what a saved `policy_preprocessor.json` / `policy_postprocessor.json`
holds; a checkpoint's processors load only while both stay as they are.
"""

import json

import pytest

from lerobot.policies.factory import make_pre_post_processors

from tests.fake_hub import publish_smolvlm2
from tests.tiny import (
    make_act_config,
    make_pi0_config,
    make_pi05_config,
    make_smolvla_config,
    save_tiny_tokenizer,
)

CHECK = "lerobot_torque.policies.torque.processor_torque.EffortObservationCheckStep"
ACT_POST = [
    ("UnnormalizerProcessorStep", "unnormalizer_processor"),
    ("DeviceProcessorStep", "device_processor"),
]
PI_POST = [
    ("UnnormalizerProcessorStep", "unnormalizer_processor"),
    ("AbsoluteActionsProcessorStep", "absolute_actions_processor"),
    ("DeviceProcessorStep", "device_processor"),
]
STEPS = {  # (class name, name in the saved JSON) of each preprocessor step, then each postprocessor step
    "act_torque": (
        [
            ("RenameObservationsProcessorStep", "rename_observations_processor"),
            ("EffortObservationCheckStep", CHECK),
            ("AddBatchDimensionProcessorStep", "to_batch_processor"),
            ("DeviceProcessorStep", "device_processor"),
            ("NormalizerProcessorStep", "normalizer_processor"),
        ],
        ACT_POST,
    ),
    "pi0_torque": (
        [
            ("RenameObservationsProcessorStep", "rename_observations_processor"),
            ("EffortObservationCheckStep", CHECK),
            ("AddBatchDimensionProcessorStep", "to_batch_processor"),
            ("Pi0NewLineProcessor", "pi0_new_line_processor"),
            ("TokenizerProcessorStep", "tokenizer_processor"),
            ("DeviceProcessorStep", "device_processor"),
            ("RelativeActionsProcessorStep", "relative_actions_processor"),
            ("NormalizerProcessorStep", "normalizer_processor"),
        ],
        PI_POST,
    ),
    "pi05_torque": (
        [
            ("RenameObservationsProcessorStep", "rename_observations_processor"),
            ("EffortObservationCheckStep", CHECK),
            ("AddBatchDimensionProcessorStep", "to_batch_processor"),
            ("RelativeActionsProcessorStep", "relative_actions_processor"),
            ("NormalizerProcessorStep", "normalizer_processor"),
            ("Pi05TorquePromptStep", "pi05_torque_prompt_processor_step"),
            ("TokenizerProcessorStep", "tokenizer_processor"),
            ("DeviceProcessorStep", "device_processor"),
        ],
        PI_POST,
    ),
    "smolvla_torque": (
        [
            ("RenameObservationsProcessorStep", "rename_observations_processor"),
            ("EffortObservationCheckStep", CHECK),
            ("AddBatchDimensionProcessorStep", "to_batch_processor"),
            ("NewLineTaskProcessorStep", "smolvla_new_line_processor"),
            ("TokenizerProcessorStep", "tokenizer_processor"),
            ("DeviceProcessorStep", "device_processor"),
            ("NormalizerProcessorStep", "normalizer_processor"),
        ],
        ACT_POST,
    ),
}


def make_config(policy_type: str, tokenizer: str):
    if policy_type == "act_torque":
        return make_act_config()
    if policy_type == "pi0_torque":
        return make_pi0_config(tokenizer=tokenizer)
    if policy_type == "pi05_torque":
        return make_pi05_config(tokenizer=tokenizer)
    publish_smolvlm2()  # SmolVLA's tokenizer is its VLM's (`vlm_model_name`): a tiny local stand-in
    return make_smolvla_config()


def saved_steps(pipeline, folder) -> list[tuple[str, str]]:
    """(class name, name in the saved JSON) of each step of `pipeline`, saved by LeRobot in `folder`."""
    pipeline.save_pretrained(folder)
    saved = json.loads((folder / f"{pipeline.name}.json").read_text())["steps"]
    return [
        (type(step).__name__, entry.get("registry_name", entry.get("class")))
        for step, entry in zip(pipeline.steps, saved, strict=True)
    ]


@pytest.mark.parametrize("policy_type", sorted(STEPS))
def test_processors_keep_their_steps_in_order_under_their_saved_names(policy_type, tmp_path):
    config = make_config(policy_type, tokenizer=str(save_tiny_tokenizer(tmp_path / "tokenizer")))
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=None)
    expected_pre, expected_post = STEPS[policy_type]
    assert saved_steps(preprocessor, tmp_path) == expected_pre
    assert saved_steps(postprocessor, tmp_path) == expected_post
