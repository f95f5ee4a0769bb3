"""act_torque: parity with ACT, the effort token and objective, inference history, save/load."""

import json
from types import SimpleNamespace

import pytest
import torch

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.policies.act import modeling_act
from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.act.modeling_act import ACT, ACTPolicy
from lerobot.policies.factory import make_pre_post_processors
from lerobot.processor import PolicyProcessorPipeline

from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorque, ACTTorquePolicy
from lerobot_torque.policies.torque import (
    Aggregator,
    EffortAblation,
    EffortLayout,
    HistoryMode,
    HistorySignal,
)
from lerobot_torque.policies.torque.effort_inputs import read_effort_inputs
from tests.tiny import (
    FEATURE_LAYOUT,
    STATE_LAYOUT,
    TINY_ACT,
    design_id,
    make_act_config,
    make_batch,
    parameters_without_gradient,
    policy_features,
)

CAMERA = "observation.images.top"


def make_policy(layout=FEATURE_LAYOUT, seed: int = 0, **overrides) -> ACTTorquePolicy:
    torch.manual_seed(seed)
    return ACTTorquePolicy(make_act_config(layout, **overrides))


def model_actions(policy: ACTTorquePolicy, batch: dict) -> torch.Tensor:
    model_batch = policy.training_inputs(batch)[0]
    return policy.model({**model_batch, "observation.images": [batch["observation.images.top"]]})[0]


def without_effort(batch: dict, policy: ACTTorquePolicy) -> torch.Tensor:
    return read_effort_inputs(batch, policy.config.torque).state_without_effort


def torque_off(**overrides):
    return make_policy(torque_use_effort_input=False, torque_predict_future_effort=False, **overrides)


def test_state_dict_keeps_every_act_weight_with_its_shape():
    torch.manual_seed(0)
    inputs, outputs = policy_features()
    act = ACTPolicy(ACTConfig(**TINY_ACT, input_features=inputs, output_features=outputs))
    torque_state = make_policy(effort_in_vae_encoder=True).state_dict()
    for key, value in act.state_dict().items():
        assert key in torque_state and torque_state[key].shape == value.shape, key


@pytest.mark.parametrize("layout", [FEATURE_LAYOUT, STATE_LAYOUT])
def test_torque_off_matches_act_outputs(layout):
    inputs, outputs = policy_features()
    act = ACTPolicy(ACTConfig(**TINY_ACT, input_features=inputs, output_features=outputs))
    policy = torque_off(layout=layout)
    policy.load_state_dict(act.state_dict())
    batch = make_batch(policy.config)
    act_batch = {**batch, "observation.state": without_effort(batch, policy)}

    torch.manual_seed(3)
    act_loss, act_terms = act.forward(act_batch)
    torch.manual_seed(3)
    loss, terms = policy.forward(batch)
    assert torch.equal(loss, act_loss) and terms == act_terms

    live = make_batch(policy.config, training=False)
    act_live = {**live, "observation.state": without_effort(live, policy)}
    assert torch.equal(policy.predict_action_chunk(live), act.predict_action_chunk(act_live))


def test_the_policy_builds_one_act_network_not_two(monkeypatch):
    """LeRobot's `ACTPolicy.__init__` builds `ACTTorque` itself; no plain ACT is built and thrown away."""
    built, act_init = [], ACT.__init__

    def counting_init(model, config):
        built.append(type(model))
        act_init(model, config)

    monkeypatch.setattr(ACT, "__init__", counting_init)
    policy = make_policy()
    assert built == [ACTTorque] and type(policy.model) is ACTTorque
    assert modeling_act.ACT is ACT  # LeRobot's module keeps its own name


def test_the_future_effort_is_returned_with_the_actions():
    policy = make_policy()
    model_batch = policy.training_inputs(make_batch(policy.config))[0]
    out = policy.model.forward_with_effort({**model_batch, "observation.images": [model_batch[CAMERA]]})
    assert out.future_effort.shape == (3, policy.config.chunk_size, 2)
    assert not hasattr(policy.model, "future_effort")  # no copy kept on the model between calls
    frame = make_batch(policy.config, training=False)
    actions, future_effort = policy.eval().predict_action_and_effort_chunk(frame)
    assert torch.equal(actions, make_policy().eval().predict_action_chunk(frame))
    assert future_effort.shape == (3, policy.config.chunk_size, 2)


def test_a_training_batch_without_the_effort_window_says_how_to_get_it():
    """What a dataset built without our window patch gives: one effort frame per sample."""
    policy = make_policy(torque_predict_future_effort=False)
    batch = make_batch(policy.config, training=False)
    batch.update(action=torch.zeros(3, policy.config.chunk_size, 2), action_is_pad=torch.zeros(3, 5).bool())
    with pytest.raises(ValueError, match=r"one frame of 'observation.effort' per sample.*effort_window\(\)"):
        policy.forward(batch)


def test_loss_adds_beta_times_the_future_effort_l1():
    policy = make_policy(torque_future_loss_weight=0.5)
    torch.manual_seed(1)
    loss, terms = policy.forward(make_batch(policy.config))
    expected = terms["l1_loss"] + policy.config.kl_weight * terms["kld_loss"] + 0.5 * terms["effort_l1_loss"]
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_future_effort_loss_ignores_frames_past_the_episode_end():
    policy = make_policy()
    batch = make_batch(policy.config)
    changed = {**batch, "observation.effort": batch["observation.effort"].clone()}
    changed["observation.effort"][1, -2:] += 100.0  # flagged as padding in make_batch
    torch.manual_seed(2)
    _, terms = policy.forward(batch)
    torch.manual_seed(2)
    _, changed_terms = policy.forward(changed)
    assert changed_terms["effort_l1_loss"] == pytest.approx(terms["effort_l1_loss"])


def test_training_reduces_action_and_effort_losses():
    """Without cameras (ACT's environment-state input) so that no ResNet slows the 80 steps."""
    inputs, outputs = policy_features()
    inputs.pop("observation.images.top")
    inputs["observation.environment_state"] = PolicyFeature(type=FeatureType.ENV, shape=(3,))
    policy = make_policy(seed=0, dropout=0.0, torque_future_loss_weight=1.0, input_features=inputs)
    optimizer = torch.optim.Adam(policy.parameters(), lr=3e-3)
    batch = {**make_batch(policy.config), "observation.environment_state": torch.randn(3, 3)}
    history = []
    for step in range(80):
        torch.manual_seed(step)
        loss, terms = policy.forward(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(terms)
    assert history[-1]["l1_loss"] < 0.6 * history[0]["l1_loss"]
    assert history[-1]["effort_l1_loss"] < 0.6 * history[0]["effort_l1_loss"]


ACT_DESIGNS = [
    *[
        {"torque_history_mode": mode, "torque_aggregator": aggregator, "torque_predict_future_effort": future}
        for mode, aggregator in [
            (HistoryMode.CURRENT, Aggregator.MLP),
            (HistoryMode.ONE_TOKEN, Aggregator.MLP),
            (HistoryMode.ONE_TOKEN, Aggregator.GRU),
            (HistoryMode.ONE_TOKEN, Aggregator.ATTENTION),
            (HistoryMode.PER_FRAME, Aggregator.MLP),
        ]
        for future in (True, False)
    ],
    {"effort_in_vae_encoder": True},
    {"effort_in_vae_encoder": True, "torque_history_mode": HistoryMode.PER_FRAME},
    {"torque_use_effort_input": False},
    {"torque_use_effort_input": False, "torque_predict_future_effort": False},
]


@pytest.mark.parametrize("design", ACT_DESIGNS, ids=design_id)
def test_every_design_trains_every_parameter_and_acts(design):
    """Each mode builds only what it uses: a switched-off branch would stop DDP (tests/tiny.py)."""
    policy = make_policy(**design)
    loss, _ = policy.forward(make_batch(policy.config))
    loss.backward()
    assert parameters_without_gradient(policy) == []
    policy.reset()
    action = policy.select_action(make_batch(policy.config, training=False))
    assert action.shape == (3, 2) and torch.isfinite(action).all()


def test_actions_depend_on_the_effort_history_only_when_it_is_an_input():
    for use_input, should_change in ((True, True), (False, False)):
        policy = make_policy(torque_use_effort_input=use_input).eval()
        batch = make_batch(policy.config)
        changed = {**batch, "observation.effort": batch["observation.effort"] + 1.0}
        changed_actions = model_actions(policy, changed)
        actions = model_actions(policy, batch)
        assert (not torch.equal(actions, changed_actions)) is should_change


def test_effort_reaches_the_vae_encoder_when_asked():
    policy = make_policy(effort_in_vae_encoder=True).train()
    batch = make_batch(policy.config)
    changed = {**batch, "observation.effort": batch["observation.effort"] + 1.0}
    torch.manual_seed(0)
    mu, _, _ = policy.model._latent(policy.training_inputs(batch)[0], 3)
    torch.manual_seed(0)
    changed_mu, _, _ = policy.model._latent(policy.training_inputs(changed)[0], 3)
    assert not torch.allclose(mu, changed_mu)


def test_select_action_feeds_its_own_history_and_reset_clears_it():
    policy = make_policy(n_action_steps=1).eval()
    frames = [make_batch(policy.config, seed=s, training=False) for s in range(3)]
    first = [policy.select_action(frame) for frame in frames]
    policy.reset()
    assert torch.equal(policy.select_action(frames[0]), first[0])
    fresh = make_policy(n_action_steps=1).eval()
    assert not torch.equal(fresh.select_action(frames[2]), first[2])  # frame 2 alone: another history


def history_window_batch(config, seed: int = 0) -> dict:
    """An inference batch that carries the whole history window, as our async robot client sends it."""
    batch = make_batch(config, seed=seed)
    key, length = config.torque.layout.key, config.torque.history_window_length
    batch[key], batch[f"{key}_is_pad"] = batch[key][:, :length], batch[f"{key}_is_pad"][:, :length]
    return {k: v for k, v in batch.items() if not k.startswith("action")}


@pytest.mark.parametrize("layout", [FEATURE_LAYOUT, STATE_LAYOUT], ids=["feature", "state"])
def test_a_supplied_history_window_is_read_as_is_and_leaves_the_history_alone(layout):
    policy = make_policy(layout).eval()
    window = history_window_batch(policy.config)
    model_batch = read_effort_inputs(window, policy.config.torque).model_batch(window)
    expected = policy.model({**model_batch, "observation.images": [window["observation.images.top"]]})[0]
    assert torch.equal(policy.predict_action_chunk(dict(window)), expected)
    frame = make_batch(policy.config, seed=1, training=False)
    assert torch.equal(
        policy.predict_action_chunk(frame), make_policy(layout).eval().predict_action_chunk(frame)
    )


@pytest.mark.parametrize("layout", [FEATURE_LAYOUT, STATE_LAYOUT], ids=["feature", "state"])
def test_a_model_batch_copied_on_its_way_back_adds_no_second_history_frame(layout):
    """LeRobot's `select_action` hands the model batch on to `predict_action_chunk`; a copy must not count."""
    policy, reference = make_policy(layout).eval(), make_policy(layout).eval()
    frame = make_batch(policy.config, training=False)
    assert torch.equal(
        policy.predict_action_chunk(dict(policy.live_batch(frame))), reference.predict_action_chunk(frame)
    )


def test_a_supplied_window_of_another_length_is_refused():
    policy = make_policy().eval()
    window = history_window_batch(policy.config)
    window["observation.effort"] = window["observation.effort"][:, 1:]
    with pytest.raises(ValueError, match="carries a window of 3 frames, but this policy reads 4"):
        policy.predict_action_chunk(window)


@pytest.mark.parametrize("ablation", [EffortAblation.ZERO, EffortAblation.SHUFFLE])
def test_effort_ablation_changes_what_the_policy_sees_at_inference(ablation):
    frames = [make_batch(make_act_config(), seed=s, training=False) for s in range(6)]
    chunks = {}
    for mode in (EffortAblation.NONE, ablation):
        torch.manual_seed(5)
        policy = make_policy(torque_effort_ablation=mode).eval()
        for frame in frames:
            chunk = policy.predict_action_chunk(frame)
        chunks[mode] = chunk
    assert not torch.equal(chunks[EffortAblation.NONE], chunks[ablation])


def test_save_and_load_give_identical_actions(tmp_path):
    policy = make_policy(layout=STATE_LAYOUT, n_action_steps=1).eval()
    policy.save_pretrained(tmp_path)
    loaded = ACTTorquePolicy.from_pretrained(tmp_path).eval()
    assert loaded.config.torque == policy.config.torque
    for seed in range(4):
        frame = make_batch(policy.config, seed=seed, training=False)
        assert torch.equal(loaded.select_action(dict(frame)), policy.select_action(dict(frame)))


def test_a_checkpoint_of_the_position_history_saved_with_the_old_flags_acts_the_same(tmp_path):
    """Before `history_signal`, the leak check read the `*.pos` state names as its "effort"."""
    positions = STATE_LAYOUT.state_names[:2]
    layout = EffortLayout("observation.state", positions, STATE_LAYOUT.state_names, HistorySignal.POSITION)
    policy = make_policy(layout, torque_history_signal=HistorySignal.POSITION, n_action_steps=1).eval()
    policy.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    del saved["torque"]["history_signal"], saved["torque"]["layout"]["signal"]
    saved["torque"].update(effort_source="state", state_effort_suffix=".pos")
    (tmp_path / "config.json").write_text(json.dumps(saved))
    loaded = ACTTorquePolicy.from_pretrained(tmp_path).eval()
    assert loaded.config.torque.history_signal is HistorySignal.POSITION
    assert loaded.config.torque.layout == policy.config.torque.layout
    for seed in range(3):
        frame = make_batch(policy.config, seed=seed, training=False)
        assert torch.equal(loaded.select_action(dict(frame)), policy.select_action(dict(frame)))


def test_processors_round_trip_with_the_policy(tmp_path):
    config = make_act_config()
    stats = {
        key: {"mean": torch.rand(n) + 1, "std": torch.rand(n) + 0.5}
        for key, n in (("observation.state", 2), ("observation.effort", 2), ("action", 2))
    }
    pre, post = make_pre_post_processors(config, dataset_stats=stats)
    pre.save_pretrained(tmp_path)
    post.save_pretrained(tmp_path)
    loaded = PolicyProcessorPipeline.from_pretrained(tmp_path, "policy_preprocessor.json")
    frame = make_batch(config, training=False)
    out, loaded_out = pre(dict(frame)), loaded(dict(frame))
    assert torch.equal(out["observation.effort"], loaded_out["observation.effort"])
    expected = (frame["observation.effort"] - stats["observation.effort"]["mean"]) / (
        stats["observation.effort"]["std"] + 1e-8
    )
    torch.testing.assert_close(out["observation.effort"], expected)


def test_missing_effort_stats_are_an_error_not_a_silent_pass_through():
    config = make_act_config()
    stats = {"observation.state": {"mean": torch.zeros(2), "std": torch.ones(2)}}
    with pytest.raises(ValueError, match="no statistics for 'observation.effort'"):
        make_pre_post_processors(config, dataset_stats=stats)


def test_loading_a_checkpoint_onto_data_with_other_effort_dims_is_an_error(tmp_path):
    make_policy().save_pretrained(tmp_path)
    loaded = ACTTorquePolicy.from_pretrained(tmp_path)
    other = {
        "observation.state": {"dtype": "float32", "shape": (2,), "names": ["a.pos", "b.pos"]},
        "observation.effort": {"dtype": "float32", "shape": (3,), "names": ["a", "b", "c"]},
    }
    with pytest.raises(ValueError, match="trained on 2 effort dims"):
        loaded.config.bind(SimpleNamespace(features=other, fps=30, episodes=None))


def test_layout_is_recorded_in_the_saved_config(tmp_path):
    make_policy(layout=STATE_LAYOUT).save_pretrained(tmp_path)
    loaded = ACTTorquePolicy.from_pretrained(tmp_path)
    assert isinstance(loaded.config.torque.layout, EffortLayout)
    assert loaded.config.torque.layout == STATE_LAYOUT
