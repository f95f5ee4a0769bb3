"""Dataset card text for effort datasets (`lerobot-torque-dataset push`).

Rendered into LeRobot's own card template (`create_lerobot_dataset_card`, lerobot/datasets/utils.py)
as its `dataset_description`; the template adds `meta/info.json`, where the same units and sources
are recorded per entry (effort_meta.py).
"""

from lerobot.datasets import LeRobotDataset

from lerobot_torque.datasets.effort_meta import (
    CONVERSIONS,
    external_channels,
    feature_info,
    find_layout,
    made_by,
    measured_channels,
    recorded_sources,
    recorded_units,
)
from lerobot_torque.plugin_info import install_line, plugin_version


def effort_description(dataset: LeRobotDataset, push_command: str | None = None) -> str:
    """Markdown: effort source, units and joints, fps, plugin version and the commands that made it."""
    features = dataset.meta.features
    layout = find_layout(features)
    channels = measured_channels(features) + external_channels(features)
    units = recorded_units(features, channels)
    sources = recorded_sources(features, channels)
    layout_text = (
        f"its own feature `{layout.key}`"
        if layout.key != "observation.state"
        else "`<joint>.effort` entries of `observation.state` (what `lerobot-record` writes for effort "
        "robots)"
    )
    rows = []
    for ch in channels:
        conversion = feature_info(features, ch.key).get(CONVERSIONS, {}).get(ch.name)
        how = (
            f"converted from `{conversion['from']}` × {conversion['factor']:.6g} ({conversion['source']})"
            if conversion
            else ""
        )
        source = "; ".join(part for part in (sources[ch.name], how) if part) or "not recorded"
        unit = units[ch.name] or "not recorded"
        rows.append(f"| `{ch.name}` | {ch.joint} | `{ch.key}`[{ch.index}] | {unit} | {source} |")
    commands = made_by(features) + ([push_command] if push_command else [])
    history = "\n".join(f"    {command}" for command in commands) or "    (not recorded)"
    missing_units = [ch.name for ch in channels if units[ch.name] is None]
    warning = (
        f"\n**Units not recorded** for {missing_units}: never pool statistics of this dataset with "
        "data from another robot without converting first.\n"
        if missing_units
        else ""
    )
    return f"""Joint-effort dataset for torque-aware policies (`act_torque`, `pi0_torque`) of the
lerobot-torque plugin for LeRobot. Effort is stored as {layout_text}; {dataset.meta.total_episodes}
episodes, {dataset.num_frames} frames at **{dataset.fps} fps**.

| entry | joint | where | unit | source |
|---|---|---|---|---|
{chr(10).join(rows)}
{warning}
Train a torque policy on it (the plugin is found by LeRobot's plugin discovery):

    {install_line()}
    lerobot-train --policy.type=act_torque --dataset.repo_id={dataset.repo_id}

Made with lerobot-torque {plugin_version()}:

{history}
"""
