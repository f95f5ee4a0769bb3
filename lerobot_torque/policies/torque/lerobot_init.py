"""LeRobot's own `__init__`s, run with the torque networks in place of LeRobot's.

LeRobot 0.6.1 builds a policy's network inside the policy's `__init__`, by a name it looks up in its
module when the line runs:
- `ACTPolicy.__init__`: `self.model = ACT(config)` (lerobot/policies/act/modeling_act.py);
- `PI0Policy.__init__`: `self.model = PI0Pytorch(config, rtc_processor=...)`
  (lerobot/policies/pi0/modeling_pi0.py);
- `PI0Pytorch.__init__`: `get_gemma_config(variant)` for each stack, then
  `PaliGemmaWithExpertModel(...)` (same file).
Everything else those `__init__`s do (feature validation, temporal ensembling, RTC, gradient
checkpointing, device placement, `reset()`) applies to the torque policies unchanged. So instead of
copying their bodies, or letting them build LeRobot's network and throwing it away, a torque policy
runs LeRobot's function (its own code object and closure) with those names bound to ours in a copy
of its module's namespace: `lerobot_init(ACTPolicy.__init__, ACT=ACTTorque)(self, config)` (what
`TorquePolicyMixin.__init__` runs, from the policy's `base_policy_class` and `network_replacements`).
LeRobot's modules are not touched, so other threads and other policies see LeRobot's names.

What this relies on is that each name is still looked up by the function (`NAMES`);
`lerobot_init` raises a RuntimeError naming this file when it is not, and
tests/test_lerobot_init.py checks LeRobot's functions against `NAMES`.
"""

import dis
import types
from collections.abc import Callable

# The functions torque policies run this way and the names they bind in each (LeRobot 0.6.1 and main).
NAMES = {
    "lerobot.policies.act.modeling_act.ACTPolicy.__init__": ("ACT",),
    "lerobot.policies.pi0.modeling_pi0.PI0Policy.__init__": ("PI0Pytorch",),
    "lerobot.policies.pi0.modeling_pi0.PI0Pytorch.__init__": ("get_gemma_config", "PaliGemmaWithExpertModel"),
}


def lerobot_init(function: Callable, **names: object) -> Callable:
    """`function` (one of LeRobot's) with the module-level `names` bound to other objects.

    Raises a RuntimeError when `function` does not look one of the names up: LeRobot changed how it
    builds its network, and a torque policy would otherwise silently get LeRobot's.
    """
    code = function.__code__
    looked_up = {op.argval for op in dis.get_instructions(code) if op.opname == "LOAD_GLOBAL"}
    unknown = sorted(set(names) - looked_up)
    if unknown:
        raise RuntimeError(
            f"{function.__module__}.{function.__qualname__} no longer looks up {unknown}, which "
            "lerobot-torque binds to its own classes there. The installed LeRobot builds its network "
            "differently: install lerobot>=0.6.1,<0.7 or update "
            "lerobot_torque/policies/torque/lerobot_init.py."
        )
    namespace = {**function.__globals__, **names}
    name, defaults, closure = function.__name__, function.__defaults__, function.__closure__
    rebound = types.FunctionType(code, namespace, name, defaults, closure)
    rebound.__kwdefaults__ = function.__kwdefaults__
    return rebound
