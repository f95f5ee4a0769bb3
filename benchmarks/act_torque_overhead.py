"""act_torque vs act, side by side in one process: data loading, train step, inference.

Targets: data-loader throughput act_torque/act >= 0.95; train-step and inference time
ratios act_torque/act <= 1.05. Both policies use ACT's default architecture (ResNet18, dim 512,
chunk 100) on the same synthetic video dataset; act_torque uses its defaults (10-frame effort
history over 2 s as one token, future effort over the chunk). Rounds alternate act, act again
(the control, showing the noise left) and act_torque; see `timing.py`.

    python benchmarks/act_torque_overhead.py [--layout state|feature] [--rounds 20]
"""

import argparse
import sys
import tempfile
from pathlib import Path

import torch
from timing import measure, print_ratio_table, train_step

from lerobot.datasets import LeRobotDataset, factory
from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.factory import make_policy, make_pre_post_processors

from lerobot_torque.policies.act_torque import ACTTorqueConfig

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.synthetic, the dataset the tests train on

from tests.synthetic import write_synthetic_dataset  # noqa: E402

COMMON = {"pretrained_backbone_weights": None, "device": "cpu"}


def make_dataset(config, root: Path) -> LeRobotDataset:
    meta = LeRobotDataset("local/bench", root=root).meta
    return LeRobotDataset(
        "local/bench", root=root, delta_timestamps=factory.resolve_delta_timestamps(config, meta)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layout", choices=["state", "feature"], default="state")
    parser.add_argument(
        "--rounds", type=int, default=20, help="train-step rounds (x4 for loading and inference)"
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: least noise on a busy machine)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    with tempfile.TemporaryDirectory() as tmp:
        root = write_synthetic_dataset(
            Path(tmp) / "bench",
            layout=args.layout,
            num_episodes=6,
            episode_length=150,
            fps=50,
            image_size=96,
            cameras=("top", "wrist"),
        ).root
        configs = {
            "act": ACTConfig(n_action_steps=1, **COMMON),
            "act_torque": ACTTorqueConfig(n_action_steps=1, **COMMON),
        }
        datasets = {name: make_dataset(config, root) for name, config in configs.items()}
        meta = datasets["act"].meta
        policies = {name: make_policy(config, ds_meta=meta) for name, config in configs.items()}
        processors = {
            name: make_pre_post_processors(c, dataset_stats=meta.stats)[0] for name, c in configs.items()
        }

        def loader(name: str):  # the same shuffled sample order for all: decoding cost varies per sample
            generator = torch.Generator().manual_seed(0)
            return iter(
                torch.utils.data.DataLoader(
                    datasets[name], batch_size=args.batch_size, shuffle=True, generator=generator
                )
            )

        batches = {name: processors[name](dict(next(loader(name)))) for name in configs}
        optimizers = {name: torch.optim.AdamW(p.parameters(), lr=1e-5) for name, p in policies.items()}
        plain = LeRobotDataset("local/bench", root=root)
        frame = processors["act"]({k: v[None] if torch.is_tensor(v) else v for k, v in plain[0].items()})

        measures = [
            measure(
                "data loader throughput (samples/s)",
                [next, loader("act")],
                [next, loader("act_torque")],
                args.rounds * 4,
                ">= 0.95",
                control=[next, loader("act")],
                samples_per_call=args.batch_size,
            )
        ]
        for policy in policies.values():
            policy.train()
        measures.append(
            measure(
                "train step (s)",
                *([train_step, policies[name], optimizers[name], batches[name]] for name in configs),
                args.rounds,
                "<= 1.05",
            )
        )
        for policy in policies.values():
            policy.eval()
            policy.reset()
        with torch.no_grad():  # n_action_steps=1: one forward per control step, history included
            measures.append(
                measure(
                    "inference per control step (s)",
                    *([policies[name].select_action, dict(frame)] for name in configs),
                    args.rounds * 4,
                    "<= 1.05",
                )
            )

    title = (
        f"act_torque vs act — {args.layout} layout, 2 cameras 96x96, batch {args.batch_size}; "
        f"ratios are medians of per-round ratios"
    )
    print_ratio_table(title, "act", "act_torque", measures)


if __name__ == "__main__":
    main()
