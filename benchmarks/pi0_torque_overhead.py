"""pi0_torque vs LeRobot's π0 at the same reduced size, side by side in one process.

Targets: inference latency ratio <= 1.02 (the paper measured 93.96/90.70 = 1.036,
appendix A.8 Table 8) and train-step ratio <= 1.03. The token counts are π0's real ones (3 cameras
at 224×224 → 3×256 image tokens, 48 language tokens, chunk 50, 10 Euler steps) for an ALOHA-sized
robot (14 joints, 14 efforts); only widths and depths are reduced so it runs on a CPU. pi0_torque
runs the paper's final model (effort history as one decoder token, future effort in the flow).
Rounds alternate pi0, pi0 again (the control, showing the noise left) and pi0_torque; see `timing.py`.

    python benchmarks/pi0_torque_overhead.py [--rounds 20]
"""

import torch
from vla_overhead import camera_features, compare_and_print, overhead_arguments, with_effort_feature

from lerobot.policies.pi0.configuration_pi0 import PI0Config
from lerobot.policies.pi0.modeling_pi0 import PI0Policy

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.policies.pi0_torque import PI0TorqueConfig
from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize, lerobot_pi0_at_size
from lerobot_torque.policies.pi0_torque.modeling_pi0_torque import PI0TorquePolicy
from lerobot_torque.policies.torque import EffortLayout, TorqueConfig

JOINTS, CAMERAS, TOKENS, VOCAB = 14, ("top", "left_wrist", "right_wrist"), 48, 1024
SIZE = PI0ModelSize(
    depth=4,
    head_dim=32,
    vlm_width=256,
    vlm_mlp_dim=1024,
    expert_width=128,
    expert_mlp_dim=512,
    vocab_size=VOCAB,
    vision_width=128,
    vision_depth=2,
    vision_heads=4,
    vision_mlp_dim=512,
)
TINY = PI0ModelSize(  # for the plumbing test
    depth=1,
    head_dim=8,
    vlm_width=32,
    vlm_mlp_dim=64,
    expert_width=16,
    expert_mlp_dim=32,
    vocab_size=VOCAB,
    vision_width=16,
    vision_depth=1,
    vision_heads=2,
    vision_mlp_dim=32,
    patch_size=8,
)


def aloha_torque_config() -> TorqueConfig:
    """The paper's final model on an ALOHA: 10 effort frames over 2 s at 50 fps, 14 joints."""
    return TorqueConfig(
        history_stride=10, layout=EffortLayout(OBS_EFFORT, [f"joint{i}" for i in range(JOINTS)])
    )


def pi_setup(tiny: bool, tokens: int) -> tuple[PI0ModelSize, int, int, dict, dict, dict]:
    """Size, image side, prompt tokens, features and shared config fields of a π0-family benchmark."""
    size, image, tokens = (TINY, 32, 16) if tiny else (SIZE, 224, tokens)
    inputs, outputs = camera_features(CAMERAS, image, JOINTS)
    common = {
        "device": "cpu",
        "n_action_steps": 50,
        "tokenizer_max_length": tokens,
        "image_resolution": (image, image),
    }
    return size, image, tokens, inputs, outputs, common


def torque_policy_config(config_class, inputs: dict, outputs: dict, size: PI0ModelSize, common: dict):
    """Ours at the base's size, reading the ALOHA's effort as its own feature."""
    return config_class(
        input_features=with_effort_feature(inputs, JOINTS),
        output_features=outputs,
        torque=aloha_torque_config(),
        model_size=size,
        **common,
    )


def main(argv: list[str] | None = None) -> None:
    args = overhead_arguments(__doc__, argv)
    size, image, tokens, inputs, outputs, common = pi_setup(args.tiny, TOKENS)
    torch.manual_seed(0)
    with lerobot_pi0_at_size(size):
        pi0 = PI0Policy(PI0Config(input_features=dict(inputs), output_features=outputs, **common))
    config = torque_policy_config(PI0TorqueConfig, inputs, outputs, size, common)
    torch.manual_seed(0)
    policies = {"pi0": pi0, "pi0_torque": PI0TorquePolicy(config)}
    setup = f"reduced widths/depths {size}, {len(CAMERAS)} cameras {image}x{image}, {tokens} language tokens"
    compare_and_print(policies, CAMERAS, image, tokens, VOCAB, args, setup, "<= 1.02 (paper 1.036)")


if __name__ == "__main__":
    main()
