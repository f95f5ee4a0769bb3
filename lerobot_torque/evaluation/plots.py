"""Plots of the torque_press benchmark: success bars, ours next to the paper's per table, and effort
traces of a success and a failure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lerobot_torque.evaluation.rollout import Episode, TrainedPolicy, rollout
from lerobot_torque.evaluation.statistics import SuccessRate

if TYPE_CHECKING:
    from lerobot_torque.envs.configs import TorquePressEnvConfig


def plot_success(rates: list[SuccessRate], path: Path) -> None:
    """Horizontal bars of success rates with their 95 % Wilson intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rates) + 1.2))
    y = np.arange(len(rates))[::-1]
    percents = [r.percent for r in rates]
    errors = np.array([[r.percent - r.interval[0], r.interval[1] - r.percent] for r in rates]).T.clip(min=0)
    ax.barh(y, percents, xerr=errors, color="tab:blue", ecolor="black", capsize=3)
    ax.set_yticks(y, [f"{r.name} ({r.successes}/{r.episodes})" for r in rates])
    ax.set_xlim(0, 100)
    ax.set_xlabel("success (%) with 95 % Wilson interval")
    ax.set_title("torque_press: fresh evaluation episodes")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


Panel = tuple[str, list[str], list[SuccessRate | None], list[SuccessRate | None]]


def plot_paired_success(panels: list[Panel], path: Path) -> None:
    """One panel per table (title, row labels, ours, paper's): paired bars with 95 % Wilson intervals.

    Ours in blue, the paper's in grey; a missing rate (not run, or no such row in the paper) has no bar.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    heights = [len(labels) for _, labels, _, _ in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(9, 0.55 * sum(heights) + 1.1 * len(panels)),
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    for ax, (title, labels, ours, paper) in zip(axes[:, 0], panels, strict=True):
        y = np.arange(len(labels))[::-1]
        bars = ((0.2, ours, "tab:blue", "ours"), (-0.2, paper, "tab:gray", "paper (Button Pushing, n = 20)"))
        for offset, rates, color, name in bars:
            shown = [(yi, r) for yi, r in zip(y, rates, strict=True) if r is not None]
            if not shown:
                continue
            ys, rs = zip(*shown, strict=True)
            errors = np.array([[r.percent - r.interval[0], r.interval[1] - r.percent] for r in rs]).T.clip(
                min=0
            )
            ax.barh(
                np.array(ys) + offset,
                [r.percent for r in rs],
                height=0.4,
                xerr=errors,
                color=color,
                ecolor="black",
                capsize=2,
                label=name,
            )
        ax.set_yticks(y, labels)
        ax.set_xlim(0, 100)
        ax.set_title(title, fontsize=9, loc="left")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", ncols=2, fontsize=8)
    axes[-1, 0].set_xlabel("success (%) with 95 % Wilson interval")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def find_outcomes(
    trained: TrainedPolicy, first_seed: int, env_config: TorquePressEnvConfig, tries: int = 20
) -> list[Episode]:
    """The first success and the first failure among `tries` episodes (either may be missing)."""
    found: dict[bool, Episode] = {}
    for seed in range(first_seed, first_seed + tries):
        [episode] = rollout(env_config, [seed], trained)
        found.setdefault(episode.success, episode)
        if len(found) == 2:
            break
    return [found[outcome] for outcome in (True, False) if outcome in found]


def plot_effort_traces(
    checkpoint: Path, path: Path, first_seed: int, env_flags: dict | None = None, tries: int = 20
) -> None:
    """Joint effort and button force over a success and a failure of the policy at `checkpoint`.

    Episodes from `first_seed` on are replayed until both outcomes were seen or `tries` ran out.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lerobot_torque.envs.configs import TorquePressEnvConfig
    from lerobot_torque.envs.torque_press.scene import PRESS_JOINTS

    env_flags = env_flags or {"obs_type": "agent_pos"}
    env_config = TorquePressEnvConfig(**env_flags)
    trained = TrainedPolicy.load(checkpoint)
    episodes = find_outcomes(trained, first_seed, env_config, tries)
    fig, axes = plt.subplots(2, len(episodes), figsize=(5 * len(episodes), 5), sharex=True, squeeze=False)
    for column, episode in enumerate(episodes):
        t = np.arange(len(episode.force)) / env_config.fps
        for joint, name in enumerate(PRESS_JOINTS):
            axes[0, column].plot(t, episode.effort[:, joint], label=name)
        axes[0, column].set_title(f"{'success' if episode.success else 'failure'} (seed {episode.seed})")
        axes[0, column].set_ylabel("effort (N·m)")
        axes[0, column].legend()
        axes[1, column].plot(t, episode.force, color="black")
        axes[1, column].axhspan(*env_config.force_band, color="tab:green", alpha=0.2, label="success band")
        axes[1, column].set_ylabel("button force (N)")
        axes[1, column].set_xlabel("time (s)")
        axes[1, column].legend()
    fig.suptitle(f"{trained.policy.config.type} on torque_press")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
