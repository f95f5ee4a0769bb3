"""Plots of effort datasets and of a torque policy's effort predictions (`lerobot-torque-dataset plot`).

- `plot_episodes`: the paper's Figure 1 style: joint effort over an episode, contact phases shaded
  where the external effort (`<joint>.effort_ext`, `lerobot-torque-dataset external`) exceeds a
  threshold, the episode's outcome marked (LeRobot's `next.success`, or given by the user).
- `plot_prediction`: Figure 6 style: a trained torque policy's predicted future effort against the
  recorded effort, from dataset frames (the policy sees exactly its training window).
- `plot_distribution`: effort per joint before and after the policy's normalisation.

Every axis names its joint and unit; figures are written atomically as PNG and returned (so tests can
read their axes); `show=True` also opens a window.
"""

import logging
from pathlib import Path

import numpy as np

from lerobot.datasets import LeRobotDataset
from lerobot.utils.constants import SUCCESS

from lerobot_torque.datasets.atomic import atomic_file
from lerobot_torque.datasets.effort_meta import (
    EffortChannel,
    episode_bounds,
    external_channels,
    find_layout,
    measured_channels,
    read_column,
    recorded_units,
    unit_label,
)

logger = logging.getLogger(__name__)
# Default contact threshold: 25 % of the largest |external effort| of any joint in the dataset (ours).
CONTACT_FRACTION_OF_MAX = 0.25
MIN_CONTACT_GAP_FRAMES = 3  # shorter gaps between contact frames are closed
MIN_CONTACT_FRAMES = 2  # shorter contact phases are dropped (single-frame noise)


def pyplot(show: bool):
    import matplotlib

    if not show:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, output: Path, show: bool, plt) -> None:
    with atomic_file(output) as staging:
        fig.savefig(staging, dpi=110, format="png")
    logger.info("Wrote %s", output)
    if show:
        plt.show()
    plt.close(fig)


def contact_phases(external: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """(first, end) frame ranges where any joint's |external effort| (frames, joints) exceeds `threshold`."""
    contact = (np.abs(external) > threshold).any(axis=1)
    phases: list[tuple[int, int]] = []
    for i in np.flatnonzero(contact):
        if phases and i - phases[-1][1] < MIN_CONTACT_GAP_FRAMES:
            phases[-1] = (phases[-1][0], int(i) + 1)
        else:
            phases.append((int(i), int(i) + 1))
    return [(first, end) for first, end in phases if end - first >= MIN_CONTACT_FRAMES]


def episode_outcomes(dataset: LeRobotDataset, given: list[str] | None) -> dict[int, tuple[str, int | None]]:
    """Episode → (`success`/`failure`, frame of the marker or None for the end), from `next.success`
    or from `--outcome EPISODE=success|failure` (which wins)."""
    outcomes: dict[int, tuple[str, int | None]] = {}
    if SUCCESS in dataset.meta.features:
        success = np.asarray(dataset.hf_dataset.with_format("numpy")[SUCCESS]).reshape(-1).astype(bool)
        for episode, start, end in episode_bounds(dataset):
            hits = np.flatnonzero(success[start:end])
            outcomes[episode] = ("success", int(hits[0])) if hits.size else ("failure", None)
    for item in given or []:
        episode, _, outcome = item.partition("=")
        if outcome not in ("success", "failure") or not episode.strip().isdigit():
            raise ValueError(
                f"--outcome {item!r} must be EPISODE=success or EPISODE=failure, e.g. 3=failure."
            )
        outcomes[int(episode)] = (outcome, None)
    return outcomes


def plot_episodes(
    dataset: LeRobotDataset,
    episodes: list[int],
    output: Path,
    *,
    outcomes: list[str] | None = None,
    contact_threshold: float | None = None,
    show: bool = False,
):
    """One column per episode: measured effort per joint (rows by unit), and external effort below."""
    plt = pyplot(show)
    features = dataset.meta.features
    measured = measured_channels(features)
    external = external_channels(features)
    units = recorded_units(features, measured + external)
    bounds = {episode: (start, end) for episode, start, end in episode_bounds(dataset)}
    unknown = [e for e in episodes if e not in bounds]
    if unknown:
        raise ValueError(f"Episodes {unknown} are not in the dataset; it has episodes 0…{len(bounds) - 1}.")
    columns = {key: read_column(dataset, key) for key in {ch.key for ch in measured + external}}
    rows = unit_groups(measured, units)
    threshold = contact_threshold
    if external and threshold is None:
        ext_all = np.stack([columns[ch.key][:, ch.index] for ch in external], axis=1)
        threshold = CONTACT_FRACTION_OF_MAX * float(np.nanmax(np.abs(ext_all)))
    if not external:
        logger.warning(
            "The dataset has no `<joint>.effort_ext` entries, so no contact phases are shaded; add them with "
            "`lerobot-torque-dataset external`."
        )
    marked = episode_outcomes(dataset, outcomes)
    n_rows = len(rows) + bool(external)
    fig, axes = plt.subplots(
        n_rows, len(episodes), figsize=(5.2 * len(episodes), 2.6 * n_rows + 0.6), squeeze=False, sharex="col"
    )
    for col, episode in enumerate(episodes):
        start, end = bounds[episode]
        t = np.arange(end - start) / dataset.fps
        phases = []
        if external:
            ext = np.stack([columns[ch.key][start:end, ch.index] for ch in external], axis=1)
            phases = contact_phases(ext, threshold)
        for row, (unit, channels) in enumerate(rows):
            ax = axes[row, col]
            for ch in channels:
                ax.plot(t, columns[ch.key][start:end, ch.index], label=ch.joint, linewidth=1.2)
            ax.set_ylabel(f"effort ({unit})")
            shade(ax, phases, dataset.fps, label=row == 0 and col == 0)
        if external:
            ax = axes[-1, col]
            for j, ch in enumerate(external):
                ax.plot(t, ext[:, j], label=ch.joint, linewidth=1.0)
            for sign in (1, -1):
                ax.axhline(
                    sign * threshold,
                    color="tab:gray",
                    linestyle=":",
                    linewidth=0.9,
                    label=f"contact threshold ±{threshold:.3g}" if sign > 0 else None,
                )
            ax.set_ylabel(f"external effort ({unit_label([units[ch.name] for ch in external])})")
            shade(ax, phases, dataset.fps, label=False)
        outcome = marked.get(episode)
        mark_outcome(axes[0, col], outcome, end - start, dataset.fps)
        title = f"episode {episode}" + (f": {outcome[0]}" if outcome else " (outcome not recorded)")
        axes[0, col].set_title(title)
        axes[-1, col].set_xlabel("time (s)")
        for ax in axes[:, col]:
            ax.legend(fontsize=7, loc="upper left", ncols=2)
    shaded = "contact phases shaded (|external effort| above threshold)" if external else "no external effort"
    fig.suptitle(f"{dataset.repo_id}: joint effort, {shaded}")
    fig.tight_layout()
    save(fig, output, show, plt)
    return fig


def unit_groups(channels: list[EffortChannel], units: dict) -> list[tuple[str, list[EffortChannel]]]:
    """Channels grouped by recorded unit (one plot row each), in first-seen order."""
    groups: dict[str, list[EffortChannel]] = {}
    for ch in channels:
        groups.setdefault(units[ch.name] or "unit not recorded", []).append(ch)
    return list(groups.items())


def shade(ax, phases: list[tuple[int, int]], fps: int, label: bool) -> None:
    for i, (first, end) in enumerate(phases):
        ax.axvspan(
            first / fps,
            end / fps,
            color="tab:gray",
            alpha=0.25,
            linewidth=0,
            label="contact" if label and i == 0 else None,
        )


def mark_outcome(ax, outcome: tuple[str, int | None] | None, length: int, fps: int) -> None:
    if outcome is None:
        return
    kind, frame = outcome
    x = (length - 1 if frame is None else frame) / fps
    color, text = ("tab:green", "✓ success") if kind == "success" else ("tab:red", "✗ failure")
    ax.axvline(x, color=color, linewidth=1.5, label=kind)
    ax.annotate(
        text,
        xy=(x, 1.0),
        xycoords=("data", "axes fraction"),
        ha="right",
        va="bottom",
        color=color,
        fontsize=9,
        fontweight="bold",
    )


# --- Figure 6: predicted future effort ----------------------------------------------------------------


def effort_normalizer(preprocessor, key: str):
    """The preprocessor's NormalizerProcessorStep and its mode for `key`'s feature type."""
    from lerobot.processor.normalize_processor import NormalizerProcessorStep

    for step in preprocessor.steps:
        if isinstance(step, NormalizerProcessorStep) and key in (step.stats or {}):
            return step
    raise ValueError(f"The policy's preprocessor has no normalisation statistics for '{key}'.")


def entry_stats(stats: dict, indices: list[int] | None) -> dict:
    """Statistics of some entries of a feature (all of them when `indices` is None), without `count`."""
    picked = {name: np.asarray(value) for name, value in stats.items() if name != "count"}
    return {name: value[indices] for name, value in picked.items()} if indices else picked


def unnormalize(values, stats: dict, mode):
    """Normalised effort (…, D) → recorded units with LeRobot's own unnormaliser."""
    from lerobot.configs import FeatureType, PolicyFeature
    from lerobot.processor import TransitionKey
    from lerobot.processor.converters import create_transition
    from lerobot.processor.normalize_processor import UnnormalizerProcessorStep

    step = UnnormalizerProcessorStep(
        features={"effort": PolicyFeature(type=FeatureType.STATE, shape=(values.shape[-1],))},
        norm_map={FeatureType.STATE: mode},
        stats={"effort": stats},
    )
    return step(create_transition(observation={"effort": values}))[TransitionKey.OBSERVATION]["effort"]


def predict_future_effort(policy, batch: dict):
    """The policy's normalised future effort (B, chunk, D) for a batch carrying its history window."""
    if not policy.config.torque.predict_future_effort:
        raise ValueError(
            f"This {policy.config.type} policy was trained with torque.predict_future_effort=false, so it "
            "predicts no future effort. Train with --policy.torque.predict_future_effort=true."
        )
    return policy.predict_action_and_effort_chunk(batch)[1]


def history_batch(window: dict, torque) -> dict:
    """A dataset window item (history + future frames) cut to the history, batched (B = 1)."""
    import torch

    from lerobot_torque.constants import IS_PAD_SUFFIX

    key, length = torque.layout.key, torque.history_window_length
    batch = {
        k: v[None] if torch.is_tensor(v) else [v] if isinstance(v, str) else v for k, v in window.items()
    }
    batch[key] = batch[key][:, :length]
    batch[key + IS_PAD_SUFFIX] = batch[key + IS_PAD_SUFFIX][:, :length]
    return batch


def plot_prediction(
    dataset: LeRobotDataset,
    policy_path: str,
    episode: int,
    frames: list[int],
    output: Path,
    *,
    joints: list[str] | None = None,
    show: bool = False,
):
    """Rows: effort entries; columns: the frames predicted from. Recorded effort and the prediction."""
    import torch

    from lerobot.configs import FeatureType
    from lerobot.datasets import factory

    from lerobot_torque.evaluation.rollout import TrainedPolicy

    plt = pyplot(show)
    trained = TrainedPolicy.load(Path(policy_path) if Path(policy_path).exists() else policy_path)
    policy, preprocessor = trained.policy, trained.preprocessor
    torque = policy.config.torque
    if torque.layout is None:
        raise ValueError(f"{policy_path} is not a trained torque policy (no effort layout in its config).")
    layout = find_layout(dataset.meta.features)
    torque.layout.check_compatible(layout)
    bounds = {e: (start, end) for e, start, end in episode_bounds(dataset)}
    if episode not in bounds:
        raise ValueError(f"--episode {episode} is not in the dataset; it has episodes 0…{len(bounds) - 1}.")
    start, end = bounds[episode]
    bad = [f for f in frames if not 0 <= f < end - start]
    if bad:
        raise ValueError(f"--frames {bad} are outside episode {episode} (frames 0…{end - start - 1}).")
    channels = measured_channels(dataset.meta.features)
    names = [ch.joint for ch in channels]
    shown = joints or names
    missing = [j for j in shown if j not in names]
    if missing:
        raise ValueError(f"--joints {missing} are not effort joints of this dataset; choose from {names}.")
    units = recorded_units(dataset.meta.features, channels)
    recorded = read_column(dataset, channels[0].key)[start:end][:, [ch.index for ch in channels]]

    windows = LeRobotDataset(
        dataset.repo_id,
        root=dataset.root,
        delta_timestamps=factory.resolve_delta_timestamps(policy.config, dataset.meta),
    )
    normalizer = effort_normalizer(preprocessor, layout.key)
    stats = entry_stats(normalizer.stats[layout.key], layout.effort_indices)
    mode = normalizer.norm_map.get(FeatureType.STATE)
    chunk = len(torque.future_offsets(policy.config.chunk_size))
    span = -torque.history_offsets()[0]
    fig, axes = plt.subplots(
        len(shown),
        len(frames),
        figsize=(4.6 * len(frames), 2.2 * len(shown) + 0.6),
        squeeze=False,
        sharex="col",
    )
    for col, frame in enumerate(frames):
        policy.reset()
        batch = preprocessor(history_batch(windows[start + frame], torque))
        with torch.no_grad():
            predicted = unnormalize(predict_future_effort(policy, batch)[0].float(), stats, mode).numpy()
        future = np.arange(frame + 1, frame + 1 + chunk)
        inside = future < end - start
        context = np.arange(max(0, frame - span), min(end - start, frame + 1 + chunk))
        for row, joint in enumerate(shown):
            j = names.index(joint)
            ax = axes[row, col]
            ax.plot(context, recorded[context, j], color="black", linewidth=1.2, label="recorded")
            ax.plot(
                future[inside],
                predicted[inside, j],
                color="tab:orange",
                linewidth=1.5,
                linestyle="--",
                label="predicted",
            )
            ax.axvline(frame, color="tab:gray", linewidth=0.8)
            ax.set_ylabel(f"{joint} ({units[channels[j].name] or 'unit not recorded'})")
        axes[0, col].set_title(f"episode {episode}, frame {frame}: next {chunk} frames")
        axes[-1, col].set_xlabel("frame")
        axes[0, col].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{policy.config.type} future effort vs recorded ({dataset.repo_id})")
    fig.tight_layout()
    save(fig, output, show, plt)
    return fig


# --- distributions --------------------------------------------------------------------------------


def plot_distribution(
    dataset: LeRobotDataset,
    output: Path,
    *,
    policy_path: str | None = None,
    normalization: str = "mean_std",
    show: bool = False,
):
    """Histograms per joint: recorded effort (top) and what the policy sees after normalising (bottom)."""
    import torch

    from lerobot.configs import FeatureType, NormalizationMode, PolicyFeature
    from lerobot.processor import TransitionKey
    from lerobot.processor.converters import create_transition
    from lerobot.processor.normalize_processor import NormalizerProcessorStep

    plt = pyplot(show)
    features = dataset.meta.features
    channels = measured_channels(features)
    key = channels[0].key
    units = recorded_units(features, channels)
    values = read_column(dataset, key)
    if policy_path:
        from lerobot_torque.evaluation.rollout import TrainedPolicy

        trained = TrainedPolicy.load(Path(policy_path) if Path(policy_path).exists() else policy_path)
        preprocessor = trained.preprocessor
        step = effort_normalizer(preprocessor, key)
        stats, mode, source = step.stats[key], step.norm_map.get(FeatureType.STATE), "policy statistics"
    else:
        if not dataset.meta.stats or key not in dataset.meta.stats:
            raise ValueError(f"meta/stats.json has no statistics for '{key}'; recompute them first.")
        stats, source = dataset.meta.stats[key], "dataset statistics"
        mode = NormalizationMode(normalization.upper())
    step = NormalizerProcessorStep(
        features={key: PolicyFeature(type=FeatureType.STATE, shape=(values.shape[1],))},
        norm_map={FeatureType.STATE: mode},
        stats={key: {k: v for k, v in stats.items() if k != "count"}},
    )
    transition = step(create_transition(observation={key: torch.from_numpy(values)}))
    normalized = transition[TransitionKey.OBSERVATION][key].numpy()
    fig, axes = plt.subplots(2, len(channels), figsize=(3.0 * len(channels) + 0.8, 5.2), squeeze=False)
    for col, ch in enumerate(channels):
        axes[0, col].hist(values[:, ch.index], bins=50, color="tab:blue")
        axes[0, col].set_title(ch.joint)
        axes[0, col].set_xlabel(f"effort ({units[ch.name] or 'unit not recorded'})")
        axes[1, col].hist(normalized[:, ch.index], bins=50, color="tab:orange")
        for edge in (-1, 1):  # ±1 σ (mean_std) or the [-1, 1] range of the other modes
            axes[1, col].axvline(edge, color="tab:gray", linestyle=":", linewidth=0.9)
        axes[1, col].set_xlabel(f"normalised ({mode.value.lower()})")
    for row, label in enumerate(("recorded", "normalised")):
        axes[row, 0].set_ylabel(f"frames ({label})")
    fig.suptitle(f"{dataset.repo_id}: effort per joint before and after normalisation ({source})")
    fig.tight_layout()
    save(fig, output, show, plt)
    return fig
