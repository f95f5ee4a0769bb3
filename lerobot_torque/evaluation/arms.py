"""The arms of the torque_press studies: which policy is trained with which flags, and how it is evaluated.

A `Learner` is one `lerobot-train` run: a backbone (ACT, π0 or SmolVLA at a CPU size), the policy flags of a
design and a training seed. An `Arm` is one row of a results table: a learner evaluated by
`lerobot-eval` on fresh episodes, optionally with eval-time flags (the effort ablations). The presets
of `lerobot-torque-benchmark` are tuples of arms; the paper's tables are in `design_space.py`.

Backbones (each with its own demonstrations of the same env seeds, hence the same expert actions and
effort, checked when both are written):
- ACT: the camera-free env, the button's position as `observation.environment_state` (on 2 CPU cores
  ACT's ResNet-18 costs ≈ 12 s per batch-32 step at 96×96); a small ACT, chunk 20, 5 actions per
  inference.
- π0 at a CPU size: LeRobot 0.6.1's π0 refuses a batch without a camera ("All image features are
  missing from the batch"), so it sees the side camera at 32×32 (`pixels_agent_pos`); ≈ 0.8 M
  parameters through `PI0ModelSize`, chunk 20, 5 actions per inference, 10 denoising steps, and a
  word-level tokenizer of the task prompt built from the demonstrations (no Hub download). LeRobot's
  `pi0` has no size knobs, so "π0" is `pi0_torque` with effort off: with the effort token and the
  future effort off it computes π0's exact actions for the same weights
  (`tests/test_vla_torque_shared.py::test_without_the_effort_token_the_base_weights_give_the_base_policys_actions`).
- SmolVLA at a CPU size: the same camera as π0; LeRobot's own `smolvla` and `smolvla_torque` read a
  small SmolVLM2 folder (`--policy.vlm_model_name`, `policies/smolvla_torque/small_vlm.py`) written
  from the demonstrations' prompts: ≈ 0.6 M parameters, chunk 20, 5 actions per inference, SmolVLA's
  10 denoising steps, every weight trained (SmolVLA's defaults freeze the VLM, which here is random).
"""

from dataclasses import dataclass
from enum import StrEnum


class Backbone(StrEnum):
    ACT = "act"
    PI0 = "pi0"
    SMOLVLA = "smolvla"


class Scripted(StrEnum):
    """The scripted baselines (`press_baselines.py`), run in-process on the evaluation seeds."""

    EXPERT = "expert"  # the effort-aware expert that writes the demonstrations
    FIXED_DEPTH = "fixed_depth"  # the best blind script: one depth for every button


class Report(StrEnum):
    """What a study's `results.md` shows below its header."""

    VERDICTS = "verdicts"  # the success table and the benchmark's targets as checked sentences
    PAPER_TABLES = "paper_tables"  # our results next to the paper's tables (`design_space.py`)


@dataclass(frozen=True)
class BackboneSetup:
    """What every learner of a backbone shares: env options (demos, training, evaluation) and size flags.

    Args:
        env: `TorquePressEnvConfig` fields of the observations, passed as `--env.<field>=<value>`.
        size_flags: `lerobot-train` flags of the model size and action chunking.
        tokenizer: Whether the policy reads a prompt tokenizer (`--policy.tokenizer_name`, π0), built
            from the demonstrations' task prompts.
        vlm_size: `SmolVLMSize` fields of the small SmolVLM2 folder the policy reads
            (`--policy.vlm_model_name`, SmolVLA), written with a tokenizer of the task prompts; None
            for policies without one.
    """

    env: dict[str, object]
    size_flags: tuple[str, ...]
    tokenizer: bool = False
    vlm_size: dict[str, int] | None = None

    @property
    def demos_name(self) -> str:
        """Folder of this backbone's demonstrations: one per observation setup."""
        return "demos" if self.env == ACT_ENV else "demos_" + "_".join(f"{v}" for v in self.env.values())


def env_flags(settings: dict[str, object]) -> list[str]:
    """`--env.*` flags of torque_press with these `TorquePressEnvConfig` fields."""
    return ["--env.type=torque_press", *(f"--env.{key}={value}" for key, value in settings.items())]


ACT_ENV: dict[str, object] = {"obs_type": "agent_pos"}
ACT_SIZE = (  # a small ACT for CPU training; everything else is ACT's default
    "--policy.dim_model=128",
    "--policy.n_heads=4",
    "--policy.dim_feedforward=512",
    "--policy.n_encoder_layers=2",
    "--policy.n_vae_encoder_layers=2",
    "--policy.chunk_size=20",
    "--policy.n_action_steps=5",
    "--policy.optimizer_lr=1e-4",
    "--policy.pretrained_backbone_weights=null",
    "--policy.device=cpu",
)
PI0_IMAGE = 32  # camera pixels per side: 16 image tokens at patch 8
PI0_ENV: dict[str, object] = {
    "obs_type": "pixels_agent_pos",
    "observation_height": PI0_IMAGE,
    "observation_width": PI0_IMAGE,
}
PI0_MODEL_SIZE = {  # `PI0ModelSize`: 824k parameters for the final model on torque_press (2 joints)
    "depth": 2,
    "head_dim": 32,
    "vlm_width": 128,
    "vlm_mlp_dim": 256,
    "expert_width": 128,
    "expert_mlp_dim": 256,
    "vocab_size": 64,  # ≥ the tokenizer's 19 tokens (4 special + the prompt's 15 distinct words)
    "vision_width": 16,
    "vision_depth": 1,
    "vision_heads": 2,
    "vision_mlp_dim": 64,
    "patch_size": 8,
}
PI0_SIZE = (
    *(f"--policy.model_size.{key}={value}" for key, value in PI0_MODEL_SIZE.items()),
    f"--policy.image_resolution=[{PI0_IMAGE},{PI0_IMAGE}]",
    "--policy.chunk_size=20",
    "--policy.n_action_steps=5",
    "--policy.num_inference_steps=10",  # π0's default (paper A.7: 10 integration steps)
    # From scratch, not fine-tuning: π0's 2.5e-5 (openpi's fine-tuning peak) barely moves a 0.8M-parameter
    # model in 2000 steps; 1e-3 with π0's warmup and cosine decay (auto-scaled to --steps). Chosen on
    # pi0_torque alone (1e-3 over 3e-4), then applied unchanged to every π0 learner.
    "--policy.optimizer_lr=1e-3",
    "--policy.tokenizer_max_length=16",  # the task prompt is 16 tokens
    "--policy.device=cpu",
)
SMOLVLA_VLM_SIZE = {  # `SmolVLMSize`: 4 image tokens at 32 px (patch 8, pixel shuffle 2)
    "text_width": 128,
    "text_depth": 2,
    "text_heads": 4,
    "text_kv_heads": 2,
    "text_head_dim": 32,
    "text_mlp_dim": 256,
    "vision_width": 16,
    "vision_depth": 1,
    "vision_heads": 2,
    "vision_mlp_dim": 64,
    "image_size": PI0_IMAGE,
    "patch_size": 8,
    "scale_factor": 2,
    "vocab_size": 64,  # ≥ the tokenizer's 23 tokens (4 special, 4 SmolVLM image tokens, 15 words)
}
SMOLVLA_SIZE = (
    f"--policy.resize_imgs_with_padding=[{PI0_IMAGE},{PI0_IMAGE}]",
    "--policy.num_vlm_layers=2",  # the folder's depth (SmolVLA keeps the first 16 by default)
    "--policy.train_expert_only=false",  # the VLM is random here: train it (SmolVLA freezes it)
    "--policy.freeze_vision_encoder=false",
    "--policy.chunk_size=20",
    "--policy.n_action_steps=5",
    "--policy.num_steps=10",  # SmolVLA's default denoising steps
    "--policy.tokenizer_max_length=16",  # the task prompt is 16 tokens
    "--policy.device=cpu",
)
BACKBONES = {
    Backbone.ACT: BackboneSetup(ACT_ENV, ACT_SIZE),
    Backbone.PI0: BackboneSetup(PI0_ENV, PI0_SIZE, tokenizer=True),
    Backbone.SMOLVLA: BackboneSetup(PI0_ENV, SMOLVLA_SIZE, vlm_size=SMOLVLA_VLM_SIZE),
}


@dataclass(frozen=True)
class Learner:
    """One `lerobot-train` run.

    Args:
        name: Its folder under `train/`.
        backbone: ACT or π0, with the size and env of `BACKBONES`.
        flags: Policy flags of the design (`--policy.type=…` first).
        seed: The training seed (`lerobot-train --seed`).
    """

    name: str
    backbone: Backbone
    flags: tuple[str, ...]
    seed: int = 1

    def with_seed(self, seed: int) -> "Learner":
        return Learner(f"{self.name}_seed{seed}" if seed != 1 else self.name, self.backbone, self.flags, seed)


@dataclass(frozen=True)
class Arm:
    """One row of a results table: a learner evaluated by `lerobot-eval` (or a scripted policy).

    Args:
        name: Key in `results.json` and folder under `eval/`.
        label: The row's text.
        learner: The trained policy; None for the scripted baselines (`scripted`).
        eval_flags: Extra `lerobot-eval` flags, e.g. an effort ablation.
        source: The paper section/table the arm reproduces, or "this port".
        scripted: Which scripted baseline this arm runs, instead of a learner.
    """

    name: str
    label: str
    learner: Learner | None = None
    eval_flags: tuple[str, ...] = ()
    source: str = "this port"
    scripted: Scripted | None = None


@dataclass(frozen=True)
class Design:
    """A policy design of the paper's design space as flags, and where the paper describes it."""

    label: str
    flags: tuple[str, ...]
    source: str
    backbone: Backbone = Backbone.PI0


PI0_TORQUE = "--policy.type=pi0_torque"
NO_EFFORT_INPUT = "--policy.torque.use_effort_input=false"
NO_FUTURE_EFFORT = "--policy.torque.predict_future_effort=false"
CURRENT = "--policy.torque.history_mode=current"
ONE_TOKEN = "--policy.torque.history_mode=one_token"
PER_FRAME = "--policy.torque.history_mode=per_frame"
ENCODER = "--policy.effort_placement=encoder"
DECODER_PRE = "--policy.effort_placement=decoder_pre"
DECODER_POST = "--policy.effort_placement=decoder_post"
# The leak check's input: the joint-position history in effort's place, no effort (`TorqueConfig`).
POSITION_HISTORY = ("--policy.torque.history_signal=position",)

# Every row of the README's "pi0_torque: the paper's design space" table (paper Tables 1, 3, 5, 9, 10),
# plus ACT. Unset flags keep pi0_torque's defaults: decoder_post, history as one token (10 frames,
# 2 s), MLP adapter, future effort with β 0.1 with effort input and 1 without (paper A.6.2).
DESIGNS = {
    "pi0": Design(
        "π0 (no effort: pi0_torque with effort off)",
        (PI0_TORQUE, NO_EFFORT_INPUT, NO_FUTURE_EFFORT),
        "paper Tables 1, 3, 5 'π0'",
    ),
    "pi0_enc": Design(
        "Enc: current effort, one VLM-prefix token",
        (PI0_TORQUE, ENCODER, CURRENT, NO_FUTURE_EFFORT),
        "paper §4.1, Table 1 'Enc'",
    ),
    "pi0_depre": Design(
        "DePre: current effort in the padded state",
        (PI0_TORQUE, DECODER_PRE, CURRENT, NO_FUTURE_EFFORT),
        "paper §4.1, Table 1 'DePre'",
    ),
    "pi0_depost": Design(
        "DePost: current effort, one action-expert token",
        (PI0_TORQUE, DECODER_POST, CURRENT, NO_FUTURE_EFFORT),
        "paper §4.1, Table 1 'DePost'",
    ),
    "pi0_enc_1": Design(
        "Enc-1: history, one VLM-prefix token",
        (PI0_TORQUE, ENCODER, ONE_TOKEN, NO_FUTURE_EFFORT),
        "paper §4.2, Table 3 'Enc-1'",
    ),
    "pi0_enc_h": Design(
        "Enc-H: history, one VLM-prefix token per frame",
        (PI0_TORQUE, ENCODER, PER_FRAME, NO_FUTURE_EFFORT),
        "paper §4.2, Table 3 'Enc-H'",
    ),
    "pi0_obs": Design(
        "π0+obs = Dec-1: history, one action-expert token",
        (PI0_TORQUE, ONE_TOKEN, NO_FUTURE_EFFORT),
        "paper §4.2 Table 3 'Dec-1'; §6.2 Table 5 'π0+obs'",
    ),
    "pi0_dec_h": Design(
        "Dec-H: history, one action-expert token per frame",
        (PI0_TORQUE, PER_FRAME, NO_FUTURE_EFFORT),
        "paper §4.2, Table 3 'Dec-H'",
    ),
    "pi0_obj": Design(
        "π0+obj: future effort only (β = 1)",
        (PI0_TORQUE, NO_EFFORT_INPUT),
        "paper §5, §6.2 Table 5 'π0+obj'; β = 1 from A.6.2",
    ),
    "pi0_torque": Design(
        "pi0_torque = π0+obs+obj (effort history token + future effort, β = 0.1)",
        (PI0_TORQUE,),
        "paper §6.2 Table 5 'π0+obs+obj'; β = 0.1 from A.6.2",
    ),
    "pi0_torque_beta_0.01": Design(
        "π0+obs+obj, β = 0.01",
        (PI0_TORQUE, "--policy.torque.future_loss_weight=0.01"),
        "paper A.9, Table 9",
    ),
    "pi0_torque_beta_1": Design(
        "π0+obs+obj, β = 1",
        (PI0_TORQUE, "--policy.torque.future_loss_weight=1.0"),
        "paper A.9, Table 9",
    ),
    "pi0_torque_gru": Design(
        "π0+obs+obj, GRU aggregator",
        (PI0_TORQUE, "--policy.torque.aggregator=gru"),
        "paper A.10, Table 10 'RNN'",
    ),
    "pi0_torque_attention": Design(
        "π0+obs+obj, attention aggregator",
        (PI0_TORQUE, "--policy.torque.aggregator=attention"),
        "paper A.10, Table 10 'Attention'",
    ),
    "pi0_position_history": Design(
        "π0 + 2 s joint-position history (no effort; leak check)",
        (PI0_TORQUE, *POSITION_HISTORY),
        "this port (leak check)",
    ),
    "smolvla": Design(
        "smolvla (no effort: LeRobot's SmolVLA)", ("--policy.type=smolvla",), "this port", Backbone.SMOLVLA
    ),
    "smolvla_torque": Design(
        "smolvla_torque (effort history token + future effort, β = 0.1)",
        ("--policy.type=smolvla_torque",),
        "this port (the paper's final design on SmolVLA)",
        Backbone.SMOLVLA,
    ),
    "smolvla_position_history": Design(
        "smolvla + 2 s joint-position history (no effort; leak check)",
        ("--policy.type=smolvla_torque", *POSITION_HISTORY),
        "this port (leak check)",
        Backbone.SMOLVLA,
    ),
    "act": Design("act (no effort)", ("--policy.type=act",), "paper Table 5 'ACT'", Backbone.ACT),
    "act_torque": Design(
        "act_torque (effort history + future effort)",
        ("--policy.type=act_torque",),
        "this port (the paper's final design on ACT)",
        Backbone.ACT,
    ),
    "act_position_history": Design(
        "act + 2 s joint-position history (no effort; leak check)",
        ("--policy.type=act_torque", *POSITION_HISTORY),
        "this port (leak check)",
        Backbone.ACT,
    ),
}
ABLATIONS = {"zeroed": "zero", "shuffled": "shuffle"}  # `--policy.torque.effort_ablation` (this port)


def learner(design: str, seed: int = 1) -> Learner:
    spec = DESIGNS[design]
    return Learner(design, spec.backbone, spec.flags).with_seed(seed)


def trained_arm(design: str, seed: int = 1) -> Arm:
    """The arm of a design, trained with `seed`."""
    spec, trained = DESIGNS[design], learner(design, seed)
    suffix = f" (training seed {seed})" if seed != 1 else ""
    return Arm(trained.name, spec.label + suffix, trained, source=spec.source)


def ablation_arms(design: str, seed: int = 1) -> list[Arm]:
    """The design evaluated with its effort zeroed and shuffled (modality-neglect check, this port)."""
    base = trained_arm(design, seed)
    return [
        Arm(
            f"{base.name}_effort_{name}",
            f"{base.name}, effort {name}",
            base.learner,
            (f"--policy.torque.effort_ablation={mode}",),
            "this port (modality-neglect check)",
        )
        for name, mode in ABLATIONS.items()
    ]


SCRIPTED_ARMS = (
    Arm("scripted_expert", "scripted expert (effort)", scripted=Scripted.EXPERT),
    Arm("scripted_fixed_depth", "scripted best fixed depth (no effort)", scripted=Scripted.FIXED_DEPTH),
)


@dataclass(frozen=True)
class Study:
    """The arms of one benchmark in table order, and what its report compares.

    Args:
        arms: The rows, scripted baselines included.
        base, torque, leak: Names of the no-effort learner, the torque-aware learner and the no-effort
            learner with a state history (the verdicts; the ablations are `<torque>_effort_zeroed/shuffled`).
        target_success: The torque learner's success target in %, if any.
        report: What `results.md` shows.
    """

    arms: tuple[Arm, ...]
    base: str
    torque: str
    leak: str = ""
    target_success: float | None = None
    report: Report = Report.VERDICTS

    def arm(self, name: str) -> Arm:
        return next(arm for arm in self.arms if arm.name == name)


def torque_study(base: str, torque: str, leak: str, target_success: float | None = None) -> Study:
    """Scripted baselines, base, leak check, torque policy and its effort ablations (the ACT/π0 presets)."""
    arms = (*SCRIPTED_ARMS, trained_arm(base), trained_arm(leak), trained_arm(torque), *ablation_arms(torque))
    return Study(arms, base, torque, leak, target_success)


ACT_STUDY = torque_study("act", "act_torque", "act_position_history")
PI0_STUDY = torque_study("pi0", "pi0_torque", "pi0_position_history", target_success=80)
SMOLVLA_STUDY = torque_study("smolvla", "smolvla_torque", "smolvla_position_history")
