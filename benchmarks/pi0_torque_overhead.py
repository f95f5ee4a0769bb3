"""pi0_torque vs LeRobot's π0 at the same reduced size, side by side in one process.

Targets: inference latency ratio <= 1.02 (the paper measured 93.96/90.70 = 1.036,
appendix A.8 Table 8) and train-step ratio <= 1.03. The token counts are π0's real ones (3 cameras
at 224×224 → 3×256 image tokens, 48 language tokens, chunk 50, 10 Euler steps) for an ALOHA-sized
robot (14 joints, 14 efforts); only widths and depths are reduced so it runs on a CPU. pi0_torque
runs the paper's final model (effort history as one decoder token, future effort in the flow).
Rounds alternate pi0, pi0 again (the control, showing the noise left) and pi0_torque; see `timing.py`.

    python benchmarks/pi0_torque_overhead.py [--rounds 20]
"""

import argparse

import torch
from timing import measure, print_ratio_table, train_step

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.policies.pi0.configuration_pi0 import PI0Config
from lerobot.policies.pi0.modeling_pi0 import PI0Policy

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.policies.pi0_torque import PI0TorqueConfig
from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize, lerobot_pi0_at_size
from lerobot_torque.policies.pi0_torque.modeling_pi0_torque import PI0TorquePolicy
from lerobot_torque.policies.torque import EffortLayout, TorqueConfig

JOINTS, CAMERAS, TOKENS = 14, ("top", "left_wrist", "right_wrist"), 48
SIZE = PI0ModelSize(
    depth=4,
    head_dim=32,
    vlm_width=256,
    vlm_mlp_dim=1024,
    expert_width=128,
    expert_mlp_dim=512,
    vocab_size=1024,
    vision_width=128,
    vision_depth=2,
    vision_heads=4,
    vision_mlp_dim=512,
)


def features() -> tuple[dict, dict]:
    inputs = {f"observation.images.{c}": PolicyFeature(FeatureType.VISUAL, (3, 224, 224)) for c in CAMERAS}
    inputs["observation.state"] = PolicyFeature(FeatureType.STATE, (JOINTS,))
    outputs = {"action": PolicyFeature(FeatureType.ACTION, (JOINTS,))}
    return inputs, outputs


def batch(config, batch_size: int, training: bool, seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    window = len(config.torque.window_offsets(config.chunk_size)) if training else 1
    out = {
        f"observation.images.{c}": torch.rand(batch_size, 3, 224, 224, generator=generator) for c in CAMERAS
    }
    out["observation.state"] = torch.randn(batch_size, JOINTS, generator=generator)
    effort = torch.randn(batch_size, window, JOINTS, generator=generator)
    out[OBS_EFFORT] = effort if training else effort[:, 0]
    if training:
        out[f"{OBS_EFFORT}_is_pad"] = torch.zeros(batch_size, window, dtype=torch.bool)
        out["action"] = torch.randn(batch_size, config.chunk_size, JOINTS, generator=generator)
    out["observation.language.tokens"] = torch.randint(0, 1024, (batch_size, TOKENS), generator=generator)
    out["observation.language.attention_mask"] = torch.ones(batch_size, TOKENS, dtype=torch.bool)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20, help="train-step rounds (x2 for inference)")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: least noise on a busy machine)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    inputs, outputs = features()
    common = {"device": "cpu", "n_action_steps": 50, "tokenizer_max_length": TOKENS}
    torch.manual_seed(0)
    with lerobot_pi0_at_size(SIZE):
        pi0 = PI0Policy(PI0Config(input_features=dict(inputs), output_features=outputs, **common))
    layout = EffortLayout(key=OBS_EFFORT, names=[f"joint{i}" for i in range(JOINTS)])
    torque = TorqueConfig(history_stride=10, layout=layout)  # 10 frames over 2 s at 50 fps
    config = PI0TorqueConfig(
        input_features={**inputs, OBS_EFFORT: PolicyFeature(FeatureType.STATE, (JOINTS,))},
        output_features=outputs,
        torque=torque,
        model_size=SIZE,
        **common,
    )
    torch.manual_seed(0)
    policies = {"pi0": pi0, "pi0_torque": PI0TorquePolicy(config)}
    train_batch = batch(config, args.batch_size, training=True)
    live = batch(config, 1, training=False)

    for policy in policies.values():
        policy.train()
    optimizers = {name: torch.optim.AdamW(p.parameters(), lr=1e-5) for name, p in policies.items()}
    train = measure(
        "train step (s)",
        *([train_step, p, optimizers[name], dict(train_batch)] for name, p in policies.items()),
        args.rounds,
        "<= 1.03",
    )
    for policy in policies.values():
        policy.eval()
        policy.reset()
    with torch.no_grad():
        infer = measure(
            "inference latency, chunk of 50 (s)",
            *([p.predict_action_chunk, dict(live)] for p in policies.values()),
            2 * args.rounds,
            "<= 1.02 (paper 1.036)",
        )
    params = {name: sum(p.numel() for p in policy.parameters()) for name, policy in policies.items()}
    title = (
        f"pi0_torque vs pi0 — reduced widths/depths {SIZE}, 3 cameras 224x224, {TOKENS} language tokens, "
        f"batch {args.batch_size} (train) / 1 (inference); ratios are medians of per-round ratios; "
        f"parameters: pi0 {params['pi0']:,}, pi0_torque {params['pi0_torque']:,}"
    )
    print_ratio_table(title, "pi0", "pi0_torque", [infer, train])


if __name__ == "__main__":
    main()
