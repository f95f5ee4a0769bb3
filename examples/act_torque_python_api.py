"""act_torque through LeRobot's Python API: dataset with effort → training → save → live control loop.

What `lerobot-train` and `lerobot-rollout` do for you, spelled out in ~80 lines, on the small
synthetic dataset of the repository's tests (`tests/synthetic.py`: a press task whose effort rises
on contact; run the script from a checkout). Effort sits inside `observation.state` as
`<joint>.effort` entries, as an unchanged `lerobot-record` writes it for our robots; `--layout
feature` puts it in its own `observation.effort` feature instead.

    python examples/act_torque_python_api.py [--steps 300] [--layout state|feature]
"""

import argparse
import shutil
import sys
from pathlib import Path

import torch

from lerobot.datasets import LeRobotDataset, factory
from lerobot.policies.factory import make_policy, make_pre_post_processors

from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.synthetic, in the repository checkout

from tests.synthetic import write_synthetic_dataset  # noqa: E402

SMALL_ACT = {"dim_model": 64, "n_heads": 2, "dim_feedforward": 128, "chunk_size": 10, "n_action_steps": 1}


def train(root: Path, steps: int, output: Path) -> None:
    """Train act_torque on the dataset at `root`; save policy and processors to `output`."""
    meta = LeRobotDataset("local/example", root=root).meta
    config = ACTTorqueConfig(**SMALL_ACT, pretrained_backbone_weights=None, device="cpu")
    policy = make_policy(config, ds_meta=meta)  # reads the effort layout from the dataset's features
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=meta.stats)
    print(f"effort read from {config.torque.layout.key}: {config.torque.layout.names}")

    # The effort window (10 frames over 2 s, plus the chunk's future) is served from memory; the
    # camera stays one decoded frame per sample.
    timestamps = factory.resolve_delta_timestamps(config, meta)
    dataset = LeRobotDataset("local/example", root=root, delta_timestamps=timestamps)
    loader = torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=True, drop_last=True)
    optimizer = torch.optim.AdamW(policy.get_optim_params(), lr=config.optimizer_lr)
    policy.train()
    step = 0
    while step < steps:
        for batch in loader:
            loss, terms = policy.forward(preprocessor(batch))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 50 == 0 or step == steps:
                print(f"step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in terms.items()))
            if step == steps:
                break
    policy.save_pretrained(output)
    preprocessor.save_pretrained(output)
    postprocessor.save_pretrained(output)


def control_loop(root: Path, checkpoint: Path, episode: int = 0) -> None:
    """Replay one recorded episode's observations as a robot would stream them, one per step."""
    policy = ACTTorquePolicy.from_pretrained(checkpoint).eval()
    preprocessor, postprocessor = make_pre_post_processors(policy.config, pretrained_path=str(checkpoint))
    frames = LeRobotDataset("local/example", root=root, episodes=[episode])  # no windows: live frames
    policy.reset()  # clears the effort history: a new episode starts padded, as in training
    errors = []
    for frame in frames:
        observation = {k: v[None] if torch.is_tensor(v) else v for k, v in frame.items()}
        with torch.no_grad():
            action = postprocessor(policy.select_action(preprocessor(observation)))
        errors.append((action[0] - frame["action"]).abs().mean().item())
    print(f"episode {episode}: {len(errors)} steps, mean |action − recorded| {sum(errors) / len(errors):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--layout", choices=["state", "feature"], default="state")
    parser.add_argument("--output-dir", type=Path, default=Path("outputs/example_act_torque"))
    args = parser.parse_args()
    shutil.rmtree(args.output_dir, ignore_errors=True)
    root = args.output_dir / "dataset"
    write_synthetic_dataset(root, layout=args.layout, num_episodes=6, episode_length=60, fps=30)
    train(root, args.steps, args.output_dir / "policy")
    control_loop(root, args.output_dir / "policy")


if __name__ == "__main__":
    main()
