"""The torque module every torque policy shares: config, effort windows, adapter and loss.

Policy folders (`act_torque`, `pi0_torque`) only wire it in.
"""

from lerobot_torque.policies.torque.configuration_torque import (
    Aggregator,
    EffortAblation,
    EffortSource,
    HistoryMode,
    TorqueConfig,
    TorquePolicyConfigMixin,
)
from lerobot_torque.policies.torque.effort_layout import EffortLayout

__all__ = [
    "Aggregator",
    "EffortAblation",
    "EffortLayout",
    "EffortSource",
    "HistoryMode",
    "TorqueConfig",
    "TorquePolicyConfigMixin",
]
