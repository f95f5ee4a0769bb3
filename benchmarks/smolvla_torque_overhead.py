"""smolvla_torque vs LeRobot's SmolVLA at the same reduced size, side by side in one process.

Targets: inference latency ratio <= 1.02 and train-step ratio <= 1.03 (the paper measured
93.96/90.70 = 1.036 for π0, appendix A.8 Table 8). The token counts are SmolVLA's real ones for an
SO-101 with three cameras (512×512, patch 16, pixel shuffle 4 → 3×64 image tokens, 48 language
tokens, one state token, chunk 50, 10 Euler steps; 6 joints, 6 efforts); only the SmolVLM2's widths
and depths are reduced (`SIZE`, written as a local folder by `small_vlm.py`) so it runs on a CPU.
smolvla_torque runs the paper's final model (effort history as one action-expert token, future
effort in the flow). Rounds alternate SmolVLA, SmolVLA again (the control, showing the noise left)
and smolvla_torque; see `timing.py`.

    python benchmarks/smolvla_torque_overhead.py [--rounds 20]
"""

import tempfile
from pathlib import Path

import torch
from vla_overhead import camera_features, compare_and_print, overhead_arguments, with_effort_feature

from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.policies.smolvla_torque import SmolVLATorqueConfig
from lerobot_torque.policies.smolvla_torque.modeling_smolvla_torque import SmolVLATorquePolicy
from lerobot_torque.policies.smolvla_torque.small_vlm import SmolVLMSize, save_small_smolvlm
from lerobot_torque.policies.torque import EffortLayout, TorqueConfig

JOINTS, CAMERAS, TOKENS, VOCAB = 6, ("camera1", "camera2", "camera3"), 48, 1024
SIZE = SmolVLMSize(  # SmolVLA keeps 16 VLM layers and 64-wide heads; here 4 layers, 3 heads
    text_width=192,
    text_depth=4,
    text_heads=3,
    text_kv_heads=1,
    text_head_dim=64,
    text_mlp_dim=512,
    vision_width=96,
    vision_depth=2,
    vision_heads=2,
    vision_mlp_dim=256,
    image_size=512,
    patch_size=16,
    scale_factor=4,
    vocab_size=VOCAB,
)
TINY = SmolVLMSize(32, 2, 4, 2, 8, 64, 16, 1, 2, 32, 32, 8, 2, VOCAB)  # for the plumbing test


def main(argv: list[str] | None = None) -> None:
    args = overhead_arguments(__doc__, argv)
    size = TINY if args.tiny else SIZE
    image = size.image_size
    with tempfile.TemporaryDirectory(prefix="smolvla_overhead_") as folder:
        vlm = Path(folder) / "smolvlm"
        save_small_smolvlm(vlm, ["press", "the", "button"], size)
        inputs, outputs = camera_features(CAMERAS, image, JOINTS)
        common = {
            "vlm_model_name": str(vlm),
            "num_vlm_layers": size.text_depth,
            "resize_imgs_with_padding": (image, image),
            "tokenizer_max_length": TOKENS,
            "device": "cpu",
        }
        torch.manual_seed(0)
        smolvla = SmolVLAPolicy(SmolVLAConfig(input_features=dict(inputs), output_features=outputs, **common))
        layout = EffortLayout(key=OBS_EFFORT, names=[f"joint{i}" for i in range(JOINTS)])
        config = SmolVLATorqueConfig(
            input_features=with_effort_feature(inputs, JOINTS),
            output_features=outputs,
            torque=TorqueConfig(history_stride=6, layout=layout),  # 10 frames over 2 s at 30 fps
            **common,
        )
        torch.manual_seed(0)
        policies = {"smolvla": smolvla, "smolvla_torque": SmolVLATorquePolicy(config)}
    setup = (
        f"reduced SmolVLM2 {size}, {len(CAMERAS)} cameras {image}x{image} ({size.image_tokens} tokens each), "
        f"{TOKENS} language tokens"
    )
    compare_and_print(policies, CAMERAS, image, TOKENS, VOCAB, args, setup)


if __name__ == "__main__":
    main()
