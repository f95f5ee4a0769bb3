"""What the demonstration writer (`lerobot_torque.datasets.sim_demos`) needs of a task: `ScriptedTask`.

Each task folder provides one (`torque_press/demos.py`, `aloha_insertion/demos.py`): how to build its
env and scripted expert, the names of its dataset features and its dataset card. Their env and expert
modules (MuJoCo) are imported only when those callables run. The card lines every task shares are here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np

from lerobot.envs.configs import EnvConfig


class DemoExpert(Protocol):
    def act(self, observation: dict) -> np.ndarray: ...

    def executed(self, env: Any) -> None:
        """Called after each env step, so the expert can follow what was really executed."""


def no_check(config: EnvConfig) -> None:
    pass


@dataclass(frozen=True)
class ScriptedTask:
    """`check_can_succeed` raises a ValueError for env options under which no episode can succeed."""

    make_env: Callable[[EnvConfig], Any]
    make_expert: Callable[[Any, dict], DemoExpert]
    names: Callable[[EnvConfig], dict[str, list[str]]]
    card_kwargs: Callable[[EnvConfig, list[int], int, int, bool], dict]
    check_can_succeed: Callable[[EnvConfig], None] = no_check


def env_options(config: EnvConfig) -> str:
    """`--env.*` flags recreating `config`: its type and every option that differs from the default."""
    defaults = type(config)()
    flags = [f"--env.type={config.type}"]
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name in ("features", "features_map") or value == getattr(defaults, f.name):
            continue
        if isinstance(value, tuple | list):
            value = "'[" + ",".join(str(v) for v in value) + "]'"
        flags.append(f"--env.{f.name}={value}")
    return " ".join(flags)


def expert_and_eval_lines(
    config: EnvConfig, expert: str, successes: int, attempts: int, keep_failed: bool
) -> str:
    """The card's closing lines shared by every task: expert success and how to evaluate."""
    return f"""- Scripted {expert}: success {successes}/{attempts} attempts; failed episodes were
  {"kept" if keep_failed else "dropped"}.

Evaluate a policy trained on it with the same env options:
`lerobot-eval --policy.path=<checkpoint> {env_options(config)}`.
"""
