"""act_torque vs act, side by side in one process: data loading, train step, inference.

Targets (issue 2): data-loader throughput act_torque/act >= 0.95; train-step and inference time
ratios act_torque/act <= 1.05. Both policies use ACT's default architecture (ResNet18, dim 512,
chunk 100) on the same synthetic video dataset; act_torque uses its defaults (10-frame effort
history over 2 s as one token, future effort over the chunk). Measurements alternate between
the two policies and report medians, so machine load affects both alike.

    python benchmarks/act_torque_overhead.py [--layout state|feature] [--repeats 5]
"""

import argparse
import tempfile
from pathlib import Path

import torch
from timing import interleaved_medians, print_ratio_table, train_step

from lerobot.datasets import LeRobotDataset, factory
from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.factory import make_policy, make_pre_post_processors

from lerobot_torque.datasets.synthetic import write_synthetic_dataset
from lerobot_torque.policies.act_torque import ACTTorqueConfig

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
    parser.add_argument("--repeats", type=int, default=10, help="train steps per policy (x4 for the others)")
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
        generator = torch.Generator().manual_seed(0)
        loaders = {
            name: iter(
                torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=True, generator=generator)
            )
            for name, ds in datasets.items()
        }
        batches = {name: processors[name](dict(next(loader))) for name, loader in loaders.items()}
        optimizers = {name: torch.optim.AdamW(p.parameters(), lr=1e-5) for name, p in policies.items()}
        plain = LeRobotDataset("local/bench", root=root)
        frames = [processors["act"]({k: v[None] if torch.is_tensor(v) else v for k, v in plain[0].items()})]

        load = interleaved_medians({name: [next, loaders[name]] for name in configs}, args.repeats * 4)
        for policy in policies.values():
            policy.train()
        train = interleaved_medians(
            {name: [train_step, policies[name], optimizers[name], batches[name]] for name in configs},
            args.repeats,
        )
        for policy in policies.values():
            policy.eval()
            policy.reset()
        with torch.no_grad():  # n_action_steps=1: one forward per control step, history included
            infer = interleaved_medians(
                {name: [policies[name].select_action, dict(frames[0])] for name in configs}, args.repeats * 4
            )

    rows = [
        (
            "data loader throughput (samples/s)",
            args.batch_size / load["act"],
            args.batch_size / load["act_torque"],
            ">= 0.95",
        ),
        ("train step (s)", train["act"], train["act_torque"], "<= 1.05"),
        ("inference per control step (s)", infer["act"], infer["act_torque"], "<= 1.05"),
    ]
    title = (
        f"act_torque vs act — {args.layout} layout, 2 cameras 96x96, batch {args.batch_size}, "
        f"medians of {args.repeats} interleaved train steps ({4 * args.repeats} loads and inferences)"
    )
    print_ratio_table(title, "act", "act_torque", rows)


if __name__ == "__main__":
    main()
