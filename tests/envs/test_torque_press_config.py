"""`--env.type=torque_press`: registration, option checks and the keys observations map to."""

import draccus
import pytest

from lerobot.envs.configs import EnvConfig
from lerobot.envs.factory import make_env_config
from lerobot.envs.utils import env_to_policy_features

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.envs.configs import TorquePressEnvConfig


def test_torque_press_is_registered_with_lerobots_env_registry():
    assert EnvConfig.get_choice_class("torque_press") is TorquePressEnvConfig
    assert make_env_config("torque_press").type == "torque_press"


def test_policy_features_put_effort_under_observation_effort():
    features = env_to_policy_features(TorquePressEnvConfig(observation_height=32, observation_width=48))
    assert features[OBS_EFFORT].shape == (2,)
    assert features["observation.state"].shape == (2,)
    assert features["observation.images.side"].shape == (3, 32, 48)
    assert features["action"].shape == (2,)


def test_state_only_observation_has_no_camera_feature_but_the_button_position():
    features = env_to_policy_features(TorquePressEnvConfig(obs_type="agent_pos"))
    assert not any(key.startswith("observation.images") for key in features)
    assert features["observation.environment_state"].shape == (2,)


def test_command_line_sets_ranges():
    config = draccus.parse(
        config_class=TorquePressEnvConfig,
        args=["--stiffness_range=[100,300]", "--force_band=[2,3]", "--break_force=4"],
    )
    assert config.stiffness_range == (100.0, 300.0)
    assert config.force_band == (2.0, 3.0)


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [("action_mode", "velocity", "delta"), ("servo_model", "p", "pid"), ("obs_type", "pixels", "agent_pos")],
)
def test_unknown_option_values_are_rejected_with_the_valid_ones(field, value, valid):
    with pytest.raises(ValueError, match=f"--env.{field}='{value}'.*{valid}"):
        TorquePressEnvConfig(**{field: value})


def test_break_force_must_exceed_the_band():
    with pytest.raises(ValueError, match="break_force"):
        TorquePressEnvConfig(force_band=(4.0, 6.0), break_force=5.0)


def test_ranges_must_be_ordered_and_positive():
    with pytest.raises(ValueError, match="stiffness_range"):
        TorquePressEnvConfig(stiffness_range=(1600.0, 200.0))
    with pytest.raises(ValueError, match="stiffness_range"):
        TorquePressEnvConfig(stiffness_range=(0.0, 200.0))


def test_fps_must_divide_the_physics_rate():
    with pytest.raises(ValueError, match="fps"):
        TorquePressEnvConfig(fps=30)


def test_hold_steps_follow_fps():
    assert TorquePressEnvConfig(hold_time_s=1.0, fps=25).hold_steps == 25
    assert TorquePressEnvConfig(hold_time_s=1.0, fps=50).hold_steps == 50
