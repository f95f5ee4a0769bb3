"""Data-parallel training on two CPU processes, as `accelerate launch` runs `lerobot-train` (DDP, gloo).

In process (fast): two `torch.multiprocessing` ranks wrap the tiny policies in DDP *without*
`find_unused_parameters`, so a parameter left without a gradient stops the second step; and the
averaged gradient of the two half batches must equal the single-process gradient of the whole
batch. The halves differ in their padding (the first holds a sample at an episode end), which is
where a loss normalised per shard would weight them unequally.

Exact equality does not hold: the two ranks sum their shards' float32 gradients in another order
than one process does. The gradients agree to `GRADIENT_RTOL` of the largest gradient entry
(measured: below 1e-6); a mis-weighted shard or an unsynchronised bucket is off by 1e-2 or more.
Randomness is fixed so both sides see the same draws: ACT without dropout and VAE sampling, π0
with the noise and flow time of each sample given.
"""

import copy
import json
from datetime import timedelta

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.utils.constants import OBS_ENV_STATE

from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy
from lerobot_torque.policies.pi0_torque.configuration_pi0_torque import EffortPlacement, FutureEffortPlacement
from lerobot_torque.policies.pi0_torque.modeling_pi0_torque import PI0TorquePolicy
from lerobot_torque.policies.torque import Aggregator, HistoryMode
from lerobot_torque.policies.torque.vla import flow_dimension
from tests.tiny import make_act_config, make_batch, make_pi0_batch, make_pi0_config, policy_features

# The ranks are forked from pytest (the parent's threads are library helpers such as jemalloc's or
# tqdm's that the ranks never need), saving each rank the import of torch and LeRobot.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
WORLD_SIZE = 2
GLOBAL_BATCH = 4
GRADIENT_RTOL = 1e-5
DETERMINISTIC_ACT = {"dropout": 0.0, "use_vae": False}

# (policy, design, whether both sides draw the same random numbers so gradients can be compared)
DESIGNS = {
    "act-default-vae": ("act", {}, False),
    "act-vae-effort-per_frame": (
        "act",
        {"effort_in_vae_encoder": True, "torque_history_mode": HistoryMode.PER_FRAME},
        False,
    ),
    "act-one_token": ("act", DETERMINISTIC_ACT, True),
    "act-attention-no_future": (
        "act",
        {
            **DETERMINISTIC_ACT,
            "torque_aggregator": Aggregator.ATTENTION,
            "torque_predict_future_effort": False,
        },
        True,
    ),
    "act-no_input": ("act", {**DETERMINISTIC_ACT, "torque_use_effort_input": False}, True),
    "pi0-decoder_post-one_token-widen": ("pi0", {}, True),
    "pi0-encoder-per_frame-padding": (
        "pi0",
        {
            "effort_placement": EffortPlacement.ENCODER,
            "torque_history_mode": HistoryMode.PER_FRAME,
            "future_effort_placement": FutureEffortPlacement.PADDING,
        },
        True,
    ),
    "pi0-encoder-gru": (
        "pi0",
        {"effort_placement": EffortPlacement.ENCODER, "torque_aggregator": Aggregator.GRU},
        True,
    ),
    "pi0-decoder_pre-current-no_future": (
        "pi0",
        {
            "effort_placement": EffortPlacement.DECODER_PRE,
            "torque_history_mode": HistoryMode.CURRENT,
            "torque_predict_future_effort": False,
        },
        True,
    ),
    "pi0-no_input-padding": (
        "pi0",
        {"torque_use_effort_input": False, "future_effort_placement": FutureEffortPlacement.PADDING},
        True,
    ),
}


def build(policy_type: str, design: dict) -> tuple[torch.nn.Module, dict]:
    """The tiny policy (same seed on every rank) and a global batch of `GLOBAL_BATCH` samples."""
    torch.manual_seed(0)
    if policy_type == "act":  # without cameras (ACT's environment-state input): no ResNet to build
        inputs, _ = policy_features()
        inputs.pop("observation.images.top")
        inputs[OBS_ENV_STATE] = PolicyFeature(type=FeatureType.ENV, shape=(3,))
        policy = ACTTorquePolicy(make_act_config(input_features=inputs, **design))
        batch = make_batch(policy.config, batch_size=GLOBAL_BATCH)
        return policy, {**batch, OBS_ENV_STATE: torch.randn(GLOBAL_BATCH, 3)}
    policy = PI0TorquePolicy(make_pi0_config(**design))
    return policy, make_pi0_batch(policy.config, batch_size=GLOBAL_BATCH)


def give_flow_draws(policy: PI0TorquePolicy, rows: slice) -> None:
    """π0 draws its flow noise and time inside `forward`; hand it the global batch's `rows` instead."""
    config, generator = policy.config, torch.Generator().manual_seed(3)
    noise = torch.randn(GLOBAL_BATCH, config.chunk_size, flow_dimension(config), generator=generator)
    time = torch.rand(GLOBAL_BATCH, generator=generator) * 0.9 + 0.05
    policy.model.sample_noise = lambda shape, device: noise[rows]
    policy.model.sample_time = lambda batch_size, device: time[rows]


def shard(batch: dict, rows: slice) -> dict:
    return {key: value[rows] for key, value in batch.items()}


def relative_gradient_error(policy_type: str, design: dict, rank: int) -> float:
    """Two DDP steps on this rank's half; max |DDP grad - single-process grad| / max |grad|."""
    policy, batch = build(policy_type, design)
    reference = copy.deepcopy(policy)
    shard_size = GLOBAL_BATCH // WORLD_SIZE
    rows = slice(rank * shard_size, (rank + 1) * shard_size)
    if policy_type == "pi0":
        give_flow_draws(policy, rows)
        give_flow_draws(reference, slice(None))

    reference.forward(batch)[0].backward()
    ddp = DistributedDataParallel(policy, find_unused_parameters=False)
    for _ in range(2):  # a parameter without gradient fails the second step ("Expected to have finished")
        ddp.zero_grad()
        ddp(shard(batch, rows))[0].backward()

    expected = dict(reference.named_parameters())
    scale = max(p.grad.abs().max().item() for p in expected.values() if p.grad is not None)
    errors = [
        (param.grad - expected[name].grad).abs().max().item()
        for name, param in policy.named_parameters()
        if param.requires_grad
    ]
    return max(errors) / scale


def ddp_worker(rank: int, store: str, names: list[str], result: str) -> None:
    """Every design in turn; a failure (on both ranks alike, as DDP's own checks) is recorded, not raised."""
    dist.init_process_group(
        "gloo", init_method=f"file://{store}", rank=rank, world_size=WORLD_SIZE, timeout=timedelta(minutes=2)
    )
    outcomes = {}
    try:
        for name in names:
            try:
                outcomes[name] = relative_gradient_error(*DESIGNS[name][:2], rank=rank)
            except RuntimeError as error:
                outcomes[name] = str(error).splitlines()[0]
        if rank == 0:
            with open(result, "w") as file:
                json.dump(outcomes, file)
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def ddp_outcomes(tmp_path_factory) -> dict[str, float | str]:
    """Relative gradient error (or DDP's error message) of every design, from one two-rank run."""
    directory = tmp_path_factory.mktemp("ddp")
    result = directory / "errors.json"
    mp.start_processes(
        ddp_worker,
        args=(str(directory / "store"), list(DESIGNS), str(result)),
        nprocs=WORLD_SIZE,
        start_method="fork",
    )
    return json.loads(result.read_text())


@pytest.mark.parametrize("name", list(DESIGNS))
def test_every_design_trains_under_ddp_without_find_unused_parameters(ddp_outcomes, name):
    assert isinstance(ddp_outcomes[name], float), ddp_outcomes[name]


@pytest.mark.parametrize("name", [name for name, (_, _, comparable) in DESIGNS.items() if comparable])
def test_two_half_batches_give_the_gradient_of_the_whole_batch(ddp_outcomes, name):
    assert isinstance(ddp_outcomes[name], float) and ddp_outcomes[name] < GRADIENT_RTOL, ddp_outcomes[name]
