"""pi05_torque vs LeRobot's π0.5 at the same reduced size, side by side in one process.

Targets: inference latency ratio <= 1.02 (the paper measured 93.96/90.70 = 1.036 for π0,
appendix A.8 Table 8) and train-step ratio <= 1.03. The token counts are π0.5's real ones (3 cameras
at 224×224 → 3×256 image tokens, a 200-token prompt — π0.5's `tokenizer_max_length`, the state being
in the prompt —, chunk 50, 10 Euler steps) for an ALOHA-sized robot (14 joints, 14 efforts), at the
widths and depths of `pi0_torque_overhead.py`. pi05_torque runs its default: the effort history as
one action-expert token, future effort in the flow. Rounds alternate π0.5, π0.5 again (the control,
showing the noise left) and pi05_torque; see `timing.py`. A reference row times π0.5 with a chunk of
51 against π0.5: the price of one more action-expert token at every denoising step, which
pi05_torque's effort token pays as well.

    python benchmarks/pi05_torque_overhead.py [--rounds 20]
"""

import torch
from pi0_torque_overhead import CAMERAS, VOCAB, pi_setup, torque_policy_config
from vla_overhead import compare_and_print, overhead_arguments

from lerobot.policies.pi05 import modeling_pi05
from lerobot.policies.pi05.configuration_pi05 import PI05Config

from lerobot_torque.policies.pi0_torque.model_size import lerobot_pi0_at_size
from lerobot_torque.policies.pi05_torque import PI05TorqueConfig
from lerobot_torque.policies.pi05_torque.modeling_pi05_torque import PI05TorquePolicy

TOKENS = 200


def main(argv: list[str] | None = None) -> None:
    args = overhead_arguments(__doc__, argv)
    size, image, tokens, inputs, outputs, common = pi_setup(args.tiny, TOKENS)
    torch.manual_seed(0)
    with lerobot_pi0_at_size(size, module=modeling_pi05):
        pi05 = modeling_pi05.PI05Policy(
            PI05Config(input_features=dict(inputs), output_features=outputs, **common)
        )
        one_more_action_token = modeling_pi05.PI05Policy(
            PI05Config(
                input_features=dict(inputs),
                output_features=outputs,
                chunk_size=pi05.config.chunk_size + 1,
                **common,
            )
        )
    config = torque_policy_config(PI05TorqueConfig, inputs, outputs, size, common)
    torch.manual_seed(0)
    policies = {"pi05": pi05, "pi05_torque": PI05TorquePolicy(config)}
    setup = f"reduced widths/depths {size}, {len(CAMERAS)} cameras {image}x{image}, {tokens} prompt tokens"
    compare_and_print(
        policies, CAMERAS, image, tokens, VOCAB, args, setup, one_more_action_token=one_more_action_token
    )


if __name__ == "__main__":
    main()
