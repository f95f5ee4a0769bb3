"""`lerobot-torque-dataset`: inspect, convert, plot and push joint-effort datasets.

    lerobot-torque-dataset inspect  --repo-id=<id> [--root=<dir>] [--json] [--policy-path=<ckpt>]
    lerobot-torque-dataset layout   --repo-id=<id> --to=state|feature | --rename  --output-root=<dir> ...
    lerobot-torque-dataset units    --repo-id=<id> --from=load --motor=so101 | --declare=N·m  ...
    lerobot-torque-dataset external --repo-id=<id> --model=so101|viperx|torque_press  --output-root=<dir>
    lerobot-torque-dataset push     --repo-id=<user>/<name> --root=<dir>
    lerobot-torque-dataset plot episode|prediction|distribution --repo-id=<id> --output=<file.png> [--show]

Every command reads a LeRobotDataset (v3) by `--repo-id`, from `--root` or LeRobot's cache / the Hub,
and never modifies it: converted datasets are written to a new `--output-root`, atomically.
`<subcommand> --help` lists each one's options.
"""

import argparse
import json
import logging
import sys
from pathlib import Path

from lerobot_torque.plugin_info import command_line

PROGRAM = "lerobot-torque-dataset"
logger = logging.getLogger(__name__)


def add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo-id", required=True, help="dataset id, e.g. lerobot/aloha_static_coffee")
    parser.add_argument("--root", type=Path, help="local folder of the dataset (default: LeRobot's cache)")


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output-repo-id", required=True, help="id of the dataset to write, e.g. <user>/<name>"
    )
    parser.add_argument("--output-root", type=Path, required=True, help="folder to write (must not exist)")


def add_plot_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--show", action="store_true", help="also open the figure in a window")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{inspect,layout,units,external,push,plot}"
    )

    inspect = commands.add_parser("inspect", help="effort statistics, units, suspicious channels, windows")
    add_source(inspect)
    inspect.add_argument("--json", action="store_true", help="print the report as JSON")
    inspect.add_argument(
        "--policy-path", help="checkpoint or Hub id: check episodes against its effort window"
    )
    inspect.add_argument(
        "--history-length", type=int, help="frames of effort history (instead of --policy-path)"
    )
    inspect.add_argument("--history-stride", type=int, default=1, help="frames between history samples")
    inspect.add_argument("--future-frames", type=int, default=0, help="future effort frames (the chunk size)")

    layout = commands.add_parser("layout", help="split/merge effort and state; rename .eff/.torque/.tau")
    add_source(layout)
    add_output(layout)
    what = layout.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--to",
        choices=["state", "feature"],
        help="state: <joint>.effort in observation.state; feature: a separate observation.effort",
    )
    what.add_argument(
        "--rename", action="store_true", help="rename .eff/.torque/.tau → .effort, .ext_eff → .effort_ext"
    )
    layout.add_argument(
        "--position-suffix", default=".pos", help="added to suffix-less state names (--to state)"
    )

    units = commands.add_parser("units", help="convert effort to N·m, or record its unit")
    add_source(units)
    add_output(units)
    units.add_argument("--from", dest="source_unit", help="recorded unit: load, current or mA")
    units.add_argument(
        "--motor",
        action="append",
        help="motor model or robot for all joints, and/or JOINT=MODEL "
        "(repeatable); models: sts3215_12v, xm540_w270, xm430_w350; robots: aloha, so100, so101",
    )
    units.add_argument(
        "--table", action="append", help="JOINT=FACTOR, N·m per recorded unit, for every joint"
    )
    units.add_argument("--invert", action="store_true", help="undo the recorded conversion to N·m")
    units.add_argument(
        "--declare", action="append", help="record UNIT (or JOINT=UNIT) without changing values"
    )

    external = commands.add_parser("external", help="add <joint>.effort_ext = measured − arm model torque")
    add_source(external)
    add_output(external)
    model = external.add_mutually_exclusive_group(required=True)
    model.add_argument(
        "--model", choices=["so101", "viperx", "torque_press"], help="the robot's MuJoCo model"
    )
    model.add_argument("--mjcf", help="your MJCF file; its joint names must be the dataset's joint names")
    external.add_argument(
        "--model-torque",
        choices=["gravity", "inverse_dynamics"],
        default="gravity",
        help="G(q) (quasi-static, paper A.2.4) or the full rigid-body model",
    )
    external.add_argument(
        "--position-unit",
        choices=["deg", "rad"],
        help="unit of the .pos entries (default: so101 deg, others rad)",
    )

    push = commands.add_parser("push", help="push the dataset with an effort card to the Hub")
    add_source(push)
    push.add_argument("--private", action="store_true")
    push.add_argument("--license", default="apache-2.0")
    push.add_argument("--branch", help="push to this branch (created if missing)")
    push.add_argument("--no-videos", action="store_true", help="skip videos/")
    push.add_argument("--tag", action="append", help="extra card tag (repeatable)")

    plot = commands.add_parser("plot", help="Figure-1/Figure-6 style plots and effort distributions")
    kinds = plot.add_subparsers(dest="kind", required=True, metavar="{episode,prediction,distribution}")
    episode = kinds.add_parser("episode", help="effort per joint over episodes, contact phases shaded")
    add_source(episode)
    add_plot_output(episode)
    episode.add_argument(
        "--episodes", type=int, nargs="+", default=[0], help="episode indices (one column each)"
    )
    episode.add_argument(
        "--outcome", action="append", help="EPISODE=success|failure when the dataset has no next.success"
    )
    episode.add_argument(
        "--contact-threshold",
        type=float,
        help="|external effort| (N·m) counted as contact (default: 25 %% of the largest in the dataset)",
    )
    prediction = kinds.add_parser("prediction", help="a torque policy's predicted future effort vs the truth")
    add_source(prediction)
    add_plot_output(prediction)
    prediction.add_argument("--policy-path", required=True, help="checkpoint folder or Hub id")
    prediction.add_argument("--episode", type=int, default=0)
    prediction.add_argument(
        "--frames", type=int, nargs="+", default=[0], help="frames of the episode to predict from"
    )
    prediction.add_argument("--joints", nargs="+", help="effort entries to show (default: all)")
    distribution = kinds.add_parser(
        "distribution", help="effort distributions before and after normalisation"
    )
    add_source(distribution)
    add_plot_output(distribution)
    distribution.add_argument("--policy-path", help="normalise with this policy's saved statistics and mode")
    distribution.add_argument(
        "--normalization",
        default="mean_std",
        choices=["mean_std", "min_max", "quantiles", "quantile10"],
        help="mode with the dataset statistics (without --policy-path)",
    )
    return parser


def open_dataset(args):
    from lerobot.datasets import LeRobotDataset

    return LeRobotDataset(args.repo_id, root=args.root)


def policy_window(policy_path: str) -> tuple[int, int, int]:
    """(history length, stride, future frames) of a trained torque policy's effort window."""
    from lerobot.configs import PreTrainedConfig

    import lerobot_torque  # noqa: F401 (registers the torque policy configs)

    config = PreTrainedConfig.from_pretrained(policy_path)
    torque = getattr(config, "torque", None)
    if torque is None:
        raise ValueError(f"--policy-path {policy_path} is a '{config.type}' policy without a torque config.")
    offsets = torque.history_offsets()
    stride = offsets[1] - offsets[0] if len(offsets) > 1 else 1
    return len(offsets), stride, len(torque.future_offsets(config.chunk_size))


def run_inspect(args, out) -> None:
    from lerobot_torque.datasets.inspection import format_report, inspect_effort

    window = None
    if args.policy_path:
        window = policy_window(args.policy_path)
    elif args.history_length:
        window = (args.history_length, args.history_stride, args.future_frames)
    report = inspect_effort(open_dataset(args), window, progress=not args.json)
    out.write(json.dumps(report.to_dict(), indent=2) if args.json else format_report(report))
    out.write("\n")


def run_layout(args, out, command: str) -> None:
    from lerobot_torque.datasets.operations import convert_layout, rename_foreign_effort

    dataset = open_dataset(args)
    if args.rename:
        result = rename_foreign_effort(dataset, args.output_root, args.output_repo_id, command)
    else:
        result = convert_layout(
            dataset, args.to, args.output_root, args.output_repo_id, command, args.position_suffix
        )
    out.write(f"Wrote {result.repo_id} to {result.root}\n")


def run_units(args, out, command: str) -> None:
    from lerobot_torque.datasets.operations import convert_units, declare_units

    dataset = open_dataset(args)
    if args.declare:
        if args.source_unit or args.motor or args.table or args.invert:
            raise ValueError(
                "--declare records a unit without converting; do not combine it with --from, --motor, "
                "--table or --invert."
            )
        result = declare_units(dataset, args.declare, args.output_root, args.output_repo_id, command)
    else:
        result = convert_units(
            dataset,
            args.output_root,
            args.output_repo_id,
            command,
            source_unit=args.source_unit,
            motors=args.motor,
            table=args.table,
            invert=args.invert,
        )
    out.write(f"Wrote {result.repo_id} to {result.root}\n")


def run_external(args, out, command: str) -> None:
    from lerobot_torque.datasets.external_effort import ARM_MODELS, custom_model
    from lerobot_torque.datasets.operations import add_external_effort
    from lerobot_torque.robots.effort.options import ModelTorque

    arm = ARM_MODELS[args.model] if args.model else custom_model(args.mjcf, args.position_unit or "rad")
    result = add_external_effort(
        open_dataset(args),
        args.output_root,
        args.output_repo_id,
        command,
        arm=arm,
        model_torque=ModelTorque(args.model_torque),
        position_unit=args.position_unit,
    )
    out.write(f"Wrote {result.repo_id} to {result.root}\n")


def run_push(args, out, command: str) -> None:
    from lerobot_torque.datasets.operations import push_dataset

    dataset = open_dataset(args)
    push_dataset(
        dataset,
        command,
        private=args.private,
        license=args.license,
        branch=args.branch,
        push_videos=not args.no_videos,
        tags=args.tag,
    )
    out.write(f"Pushed {dataset.repo_id} with its effort card\n")


def run_plot(args, out) -> None:
    from lerobot_torque.datasets import plots

    dataset = open_dataset(args)
    if args.kind == "episode":
        plots.plot_episodes(
            dataset,
            args.episodes,
            args.output,
            outcomes=args.outcome,
            contact_threshold=args.contact_threshold,
            show=args.show,
        )
    elif args.kind == "prediction":
        plots.plot_prediction(
            dataset,
            args.policy_path,
            args.episode,
            args.frames,
            args.output,
            joints=args.joints,
            show=args.show,
        )
    else:
        plots.plot_distribution(
            dataset,
            args.output,
            policy_path=args.policy_path,
            normalization=args.normalization,
            show=args.show,
        )
    out.write(f"Wrote {args.output}\n")


def run(argv: list[str]) -> None:
    """Run one subcommand (what `main` does after setting up LeRobot's logging)."""
    args = build_parser().parse_args(argv)
    command = command_line(PROGRAM, argv)
    out = sys.stdout
    if args.command == "inspect":
        run_inspect(args, out)
    elif args.command == "layout":
        run_layout(args, out, command)
    elif args.command == "units":
        run_units(args, out, command)
    elif args.command == "external":
        run_external(args, out, command)
    elif args.command == "push":
        run_push(args, out, command)
    else:
        run_plot(args, out)


def main() -> None:
    from lerobot.utils.utils import init_logging

    init_logging()
    run(sys.argv[1:])


if __name__ == "__main__":
    main()
