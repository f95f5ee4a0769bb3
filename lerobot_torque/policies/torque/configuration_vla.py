"""Design-space choices of the torque policies on LeRobot's flow-matching VLAs (π0, π0.5, SmolVLA).

Config-only (no model imports), so policy configs stay light to import; the model side is `vla.py`.
"""

from enum import StrEnum
from typing import ClassVar

from lerobot.utils.constants import ACTION, OBS_STATE

from lerobot_torque.config_checks import parse_choice
from lerobot_torque.policies.torque.configuration_torque import HistoryMode, TorquePolicyConfigMixin


class EffortPlacement(StrEnum):
    """Where the effort enters a VLA whose state is a padded vector (π0, SmolVLA; paper §4.1, Table 1)."""

    ENCODER = "encoder"  # "Enc": adapter token(s) in the VLM prefix (width of the VLM)
    DECODER_PRE = "decoder_pre"  # "DePre": the current effort written into the zero-padded state dims
    DECODER_POST = "decoder_post"  # "DePost": adapter token(s) first in the action expert's suffix


class FutureEffortPlacement(StrEnum):
    """Where predicted future effort lives in the flow vector (paper §5, appendix A.5)."""

    WIDEN = "widen"  # the paper: action in/out projections widened by the effort dims
    PADDING = "padding"  # in the unused padded action dims; keeps the base checkpoint's weight shapes


class EffortTokenSlot(StrEnum):
    """Which embedding the effort tokens join (derived from each policy's `effort_placement`)."""

    PREFIX = "prefix"  # the VLM's: appended, inside the block of the prefix's last token
    SUFFIX = "suffix"  # the action expert's: first, each token opening its own attention block


# Each VLA's `effort_placement` values (`EffortPlacement`, π0.5's own) that make effort tokens.
TOKEN_SLOTS = {
    EffortPlacement.ENCODER: EffortTokenSlot.PREFIX,
    EffortPlacement.DECODER_POST: EffortTokenSlot.SUFFIX,
}
# Placements that write the current effort frame somewhere a history does not fit, and why
# ("prompt" is π0.5's `PI05EffortPlacement.PROMPT`, defined with its config).
SINGLE_FRAME_PLACEMENTS = {
    EffortPlacement.DECODER_PRE: "into the padded state (paper §4.1); a history does not fit there",
    "prompt": "into π0.5's prompt next to the state; a history would be H·D more numbers per step",
}


def action_dim(config) -> int:
    return config.output_features[ACTION].shape[0]


def check_effort_fits(config) -> None:
    """Raise if the effort written into the padded state or action dims would overwrite real ones."""
    torque, effort_dim = config.torque, config.torque.effort_dim if config.torque.layout else 0
    state_dim = config.input_features[OBS_STATE].shape[0] if OBS_STATE in config.input_features else 0
    if config.writes_effort_into_state and state_dim + effort_dim > config.max_state_dim:
        raise ValueError(
            f"effort_placement=decoder_pre needs state dim {state_dim} + effort dim {effort_dim} <= "
            f"max_state_dim {config.max_state_dim}. Use effort_placement=decoder_post."
        )
    padding = config.future_effort_placement is FutureEffortPlacement.PADDING and torque.predict_future_effort
    actions = action_dim(config)
    if padding and actions + effort_dim > config.max_action_dim:
        raise ValueError(
            f"future_effort_placement=padding needs action dim {actions} + effort dim {effort_dim} <= "
            f"max_action_dim {config.max_action_dim}. Use future_effort_placement=widen."
        )


class VLATorqueConfigMixin(TorquePolicyConfigMixin):
    """`TorquePolicyConfigMixin` for a VLA config (list it before LeRobot's config class).

    The config has the fields `torque`, `effort_placement` (one of `effort_placements`) and
    `future_effort_placement`; this mixin parses the two placements and derives where effort goes.
    """

    effort_placements: ClassVar[type[StrEnum]] = EffortPlacement

    def __post_init__(self) -> None:
        """The base's `__post_init__`, then the placements parsed and checked against the history."""
        super().__post_init__()
        self.effort_placement = parse_choice(
            self.effort_placements, self.effort_placement, "--policy.effort_placement"
        )
        self.future_effort_placement = parse_choice(
            FutureEffortPlacement, self.future_effort_placement, "--policy.future_effort_placement"
        )
        single_frame = SINGLE_FRAME_PLACEMENTS.get(self.effort_placement)
        if (
            single_frame
            and self.torque.use_effort_input
            and self.torque.history_mode is not HistoryMode.CURRENT
        ):
            raise NotImplementedError(
                f"effort_placement={self.effort_placement} writes the current effort frame {single_frame}. "
                "Use --policy.torque.history_mode=current, or effort_placement=decoder_post / encoder for "
                "a history."
            )

    @property
    def writes_effort_into_state(self) -> bool:
        """`decoder_pre` with effort input: the current effort fills the padded state's last dims."""
        return self.effort_placement == EffortPlacement.DECODER_PRE and self.torque.use_effort_input

    @property
    def effort_token_slot(self) -> EffortTokenSlot | None:
        """Encoder tokens join the VLM prefix, decoder tokens the action expert's suffix; else None."""
        if not self.torque.use_effort_input:
            return None
        return TOKEN_SLOTS.get(self.effort_placement)

    @property
    def uses_effort_tokens(self) -> bool:
        return self.effort_token_slot is not None

    def validate_features(self) -> None:
        """The base's feature set-up, then `check_effort_fits` (LeRobot's policy `__init__` calls this)."""
        super().validate_features()
        check_effort_fits(self)
