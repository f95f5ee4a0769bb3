"""What the VLA overhead benchmarks share: random inputs, the two measures, the parameter counts.

The inputs are a VLA's at inference and training: camera images, the state, the effort window
(`config.torque.window_offsets`, one frame at inference), the action chunk and the prompt tokens.
The measures time the base policy and ours side by side (`timing.measure`): a train step, then the
latency of one action chunk.
"""

import argparse

import torch
from timing import Measure, keep_freed_memory, measure, print_ratio_table, train_step

from lerobot.configs import FeatureType, PolicyFeature

from lerobot_torque.constants import OBS_EFFORT


def overhead_arguments(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    """The options every VLA overhead benchmark takes; sets torch's thread count."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20, help="train-step rounds (x2 for inference)")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: least noise on a busy machine)"
    )
    parser.add_argument("--tiny", action="store_true", help="a tiny model (tests the script only)")
    parser.add_argument(
        "--keep-freed-memory",
        action="store_true",
        help="glibc keeps freed memory (timing.keep_freed_memory): times the computation without the "
        "page faults glibc's defaults add to every call",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.keep_freed_memory:
        keep_freed_memory()
    return args


def camera_features(cameras: tuple[str, ...], image: int, joints: int) -> tuple[dict, dict]:
    """LeRobot's input and output features of a robot with `cameras` (square images) and `joints`."""
    inputs = {
        f"observation.images.{c}": PolicyFeature(FeatureType.VISUAL, (3, image, image)) for c in cameras
    }
    inputs["observation.state"] = PolicyFeature(FeatureType.STATE, (joints,))
    return inputs, {"action": PolicyFeature(FeatureType.ACTION, (joints,))}


def with_effort_feature(inputs: dict, joints: int) -> dict:
    """`inputs` plus the separate effort feature (`observation.effort`, one value per joint)."""
    return {**inputs, OBS_EFFORT: PolicyFeature(FeatureType.STATE, (joints,))}


def random_batch(
    config, cameras: tuple[str, ...], image: int, tokens: int, vocab: int, batch_size: int, training: bool
) -> dict:
    """A normalised batch: a training batch (effort window, action chunk) or one live frame."""
    generator = torch.Generator().manual_seed(0)
    joints = config.output_features["action"].shape[0]
    window = len(config.torque.window_offsets(config.chunk_size)) if training else 1
    out = {
        f"observation.images.{c}": torch.rand(batch_size, 3, image, image, generator=generator)
        for c in cameras
    }
    out["observation.state"] = torch.randn(batch_size, joints, generator=generator)
    effort = torch.randn(batch_size, window, joints, generator=generator)
    out[OBS_EFFORT] = effort if training else effort[:, 0]
    if training:
        out[f"{OBS_EFFORT}_is_pad"] = torch.zeros(batch_size, window, dtype=torch.bool)
        out["action"] = torch.randn(batch_size, config.chunk_size, joints, generator=generator)
        out["action_is_pad"] = torch.zeros(batch_size, config.chunk_size, dtype=torch.bool)
    out["observation.language.tokens"] = torch.randint(8, vocab, (batch_size, tokens), generator=generator)
    out["observation.language.attention_mask"] = torch.ones(batch_size, tokens, dtype=torch.bool)
    return out


def train_and_inference_measures(
    policies: dict, train_batch: dict, live: dict, rounds: int, inference_target: str
) -> list[Measure]:
    """Time `policies` (base first, then ours): the latency of one action chunk and a train step."""
    base, ours = policies.values()
    for policy in policies.values():
        policy.train()
    optimizers = [torch.optim.AdamW(p.parameters(), lr=1e-5) for p in (base, ours)]
    train = measure(
        "train step (s)",
        *(
            [train_step, p, optimizer, dict(train_batch)]
            for p, optimizer in zip((base, ours), optimizers, strict=True)
        ),
        rounds,
        "<= 1.03",
    )
    for policy in policies.values():
        policy.eval()
        policy.reset()
    with torch.no_grad():
        infer = measure(
            f"inference latency, chunk of {base.config.chunk_size} (s)",
            *([p.predict_action_chunk, dict(live)] for p in (base, ours)),
            2 * rounds,
            inference_target,
        )
    return [infer, train]


def parameter_counts(policies: dict) -> str:
    """ "parameters: <name> <count>, …" of `policies`."""
    counts = (f"{name} {sum(p.numel() for p in policy.parameters()):,}" for name, policy in policies.items())
    return "parameters: " + ", ".join(counts)


def compare_and_print(
    policies: dict,
    cameras: tuple[str, ...],
    image: int,
    tokens: int,
    vocab: int,
    args: argparse.Namespace,
    setup: str,
    inference_target: str = "<= 1.02 (paper, π0: 1.036)",
    one_more_action_token=None,
) -> None:
    """Time `policies` (base first, then ours) on random inputs; print the table titled by `setup`.

    `one_more_action_token`, the base built with a chunk one longer, adds a reference row: what one
    more token in the action expert costs the base itself at every denoising step, the cost an effort
    token placed there cannot avoid.
    """
    base, ours = policies
    config = policies[ours].config
    train_batch = random_batch(config, cameras, image, tokens, vocab, args.batch_size, training=True)
    live = random_batch(config, cameras, image, tokens, vocab, 1, training=False)
    measures = train_and_inference_measures(policies, train_batch, live, args.rounds, inference_target)
    if one_more_action_token is not None:
        one_more_action_token.eval()
        with torch.no_grad():
            reference = measure(
                f"reference, in the {ours} column: {base} with chunk "
                f"{one_more_action_token.config.chunk_size} (one more action token), inference latency (s)",
                *([p.predict_action_chunk, dict(live)] for p in (policies[base], one_more_action_token)),
                2 * args.rounds,
                "—",
            )
        measures.append(reference)
    allocator = "glibc keeping freed memory" if args.keep_freed_memory else "glibc's default allocator"
    title = (
        f"{ours} vs {base} — {setup}, batch {args.batch_size} (train) / 1 (inference), {allocator}; "
        f"ratios are medians of per-round ratios; {parameter_counts(policies)}"
    )
    print_ratio_table(title, base, ours, measures)
