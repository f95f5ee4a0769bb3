"""The model card of a torque policy on the Hub: LeRobot's card plus what a user needs to run it.

`lerobot-train --policy.push_to_hub=true` calls `PreTrainedPolicy.push_model_to_hub`, which renders
the card with `self.generate_model_card(dataset_repo_id, model_type, license, tags, cfg=,
dataset_meta=)` (lerobot/policies/pretrained.py, LeRobot 0.6.1). `TorqueModelCardMixin` overrides
that method: LeRobot's card, with a section saying that the policy needs this plugin (install line),
the effort it expects (layout, entry names in order, units as recorded in the training dataset's
`meta/info.json`, history and future windows) and the training command.
"""

import sys

from lerobot_torque.plugin_info import DISTRIBUTION, command_line, install_line, plugin_version

TAGS = ["lerobot-torque", "torque", "effort"]
# The extra each policy needs beyond LeRobot's training extras (pyproject.toml).
POLICY_EXTRAS = {"pi0_torque": "pi"}
TRAINING_SCRIPT_NAMES = ("lerobot-train", "lerobot_train.py")


def training_command(cfg) -> str:
    """The `lerobot-train` command of this run: the real argv inside lerobot-train, else rebuilt."""
    if sys.argv and sys.argv[0].endswith(TRAINING_SCRIPT_NAMES):
        return command_line("lerobot-train")
    if cfg is None:
        return "not recorded (the policy was pushed outside lerobot-train)"
    args = [
        f"--policy.type={cfg.policy.type}",
        f"--dataset.repo_id={cfg.dataset.repo_id}",
        f"--steps={cfg.steps}",
        f"--batch_size={cfg.batch_size}",
        f"--seed={cfg.seed}",
    ]
    return command_line("lerobot-train", args) + "  # rebuilt; train_config.json holds every setting"


def effort_units(layout, dataset_meta) -> str:
    """'N·m' (one unit), a per-entry list, or a warning that the training data did not record them."""
    if dataset_meta is None:
        return "not recorded"
    info = dataset_meta.features.get(layout.key, {}).get("info") or {}
    units = [info.get("effort_units", {}).get(name) for name in layout.names]
    if all(units) and len(set(units)) == 1:
        return units[0]
    if any(units):
        return ", ".join(
            f"`{name}`: {unit or 'not recorded'}" for name, unit in zip(layout.names, units, strict=True)
        )
    return (
        "not recorded in the training dataset; feed effort from the same robot with the same settings "
        "(`lerobot-torque-dataset units` records them)"
    )


def torque_section(config, cfg=None, dataset_meta=None) -> str:
    torque = config.torque
    layout = torque.layout
    install = install_line(POLICY_EXTRAS.get(config.type))
    if layout is None:
        effort = "- This policy was trained without effort (torque switched off)."
    else:
        where = (
            f"its own feature `{layout.key}`"
            if layout.key != "observation.state"
            else "`<joint>.effort` entries inside `observation.state` (an unchanged `lerobot-record` with an "
            "effort robot, e.g. `--robot.type=so101_follower_torque`, writes them)"
        )
        fps = f" at {dataset_meta.fps} fps" if dataset_meta is not None else ""
        history = (
            f"{torque.history_window_length} frames at offsets {torque.history_offsets()}{fps}, "
            f"`history_mode={torque.history_mode.value}`"
            if torque.use_effort_input
            else "none (effort is not an input)"
        )
        future = (
            f"predicted for the {len(torque.future_offsets(config.chunk_size))} frames of each action chunk, "
            f"loss weight β = {torque.future_loss_weight:g}"
            if torque.predict_future_effort
            else "not predicted"
        )
        effort = f"""- **Layout:** {where}.
- **Entries, in order:** {", ".join(f"`{name}`" for name in layout.names)}.
- **Units:** {effort_units(layout, dataset_meta)}. Units differ between robots and settings: give the
  policy effort in the units it was trained on.
- **History:** {history}.
- **Future effort:** {future}."""
    return f"""
## Torque-aware policy: needs the lerobot-torque plugin

This `{config.type}` policy is defined by the lerobot-torque plugin (distribution `{DISTRIBUTION}`,
version {plugin_version()}); install it next to LeRobot and LeRobot's own commands find it:

```bash
{install}
```

### Effort it expects

{effort}

### Training command

```bash
{training_command(cfg)}
```
"""


class TorqueModelCardMixin:
    """Adds the torque section to the card LeRobot pushes with the policy (put before the base policy)."""

    def generate_model_card(self, dataset_repo_id, model_type, license, tags, cfg=None, dataset_meta=None):
        card = super().generate_model_card(
            dataset_repo_id, model_type, license, [*(tags or []), *TAGS], cfg=cfg, dataset_meta=dataset_meta
        )
        marker = "\n---\n\n## How to Get Started"
        section = torque_section(self.config, cfg, dataset_meta)
        text = card.text
        card.text = text.replace(marker, section + marker, 1) if marker in text else text + section
        return card
