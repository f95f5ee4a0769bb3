"""The torque module every torque policy shares: config, effort windows, adapter and loss.

Policy folders (`act_torque`, `pi0_torque`, `pi05_torque`, `smolvla_torque`) only wire it in;
`vla.py` holds what the three VLA ports share.
"""

from lerobot_torque.policies.torque.configuration_torque import (
    Aggregator,
    EffortAblation,
    EffortSource,
    HistoryMode,
    TorqueConfig,
    TorquePolicyConfigMixin,
)
from lerobot_torque.policies.torque.effort_layout import EffortLayout, HistorySignal
from lerobot_torque.policies.torque.live_effort_check import OODEffortResponse

__all__ = [
    "Aggregator",
    "EffortAblation",
    "EffortLayout",
    "EffortSource",
    "HistoryMode",
    "HistorySignal",
    "OODEffortResponse",
    "TorqueConfig",
    "TorquePolicyConfigMixin",
]
