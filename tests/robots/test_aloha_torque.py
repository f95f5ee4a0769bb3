"""ALOHA followers (ViperX) and leaders (WidowX) with effort, on mocked Dynamixel buses."""

import json
import math
from unittest.mock import call, patch

import pytest

from lerobot_torque.robots.aloha_torque.aloha_torque import AlohaTorque
from lerobot_torque.robots.aloha_torque.config_aloha_torque import AlohaTorqueConfig
from lerobot_torque.robots.interbotix import VIPERX_MOTORS
from lerobot_torque.robots.viperx_follower_torque.config_viperx_follower_torque import (
    MAX_RELATIVE_TARGET_RAD,
    ViperXFollowerTorqueConfig,
)
from lerobot_torque.robots.viperx_follower_torque.viperx_follower_torque import ViperXFollowerTorque
from lerobot_torque.teleoperators.aloha_leader.aloha_leader import AlohaLeader
from lerobot_torque.teleoperators.aloha_leader.config_aloha_leader import AlohaLeaderConfig
from lerobot_torque.teleoperators.widowx_leader import WidowXLeaderConfig
from lerobot_torque.teleoperators.widowx_leader.widowx_leader import WidowXLeader
from tests.robots.mock_buses import bus_class_mock, make_bus_mock

FOLLOWER = "lerobot_torque.robots.viperx_follower_torque.viperx_follower_torque"
LEADER = "lerobot_torque.teleoperators.widowx_leader.widowx_leader"
JOINTS = ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper"]
# Column names of observation.state / observation.effort in the lerobot/aloha_static_* datasets.
ALOHA_DATASET_NAMES = [f"{side}_{joint}" for side in ("left", "right") for joint in JOINTS]
QUARTER_TURN = 3072  # position units: +π/2 from the Interbotix zero (2048)


@pytest.fixture
def registers() -> dict[str, dict[str, float]]:
    return {
        "Present_Position": dict.fromkeys(VIPERX_MOTORS, 2048) | {"elbow": QUARTER_TURN},
        "Present_Current": dict.fromkeys(VIPERX_MOTORS, 100) | {"shoulder_shadow": 60},
    }


@pytest.fixture
def make_arm(tmp_path, registers):
    def _make(**overrides) -> ViperXFollowerTorque:
        bus = make_bus_mock(registers)
        with patch(f"{FOLLOWER}.DynamixelEffortBus", bus_class_mock(bus)):
            return ViperXFollowerTorque(
                ViperXFollowerTorqueConfig(port="/dev/null", id="arm", calibration_dir=tmp_path, **overrides)
            )

    return _make


def test_arm_observation_is_radians_normalized_gripper_and_milliamperes(make_arm):
    arm = make_arm()
    arm.connect()
    obs = arm.get_observation()
    assert obs["elbow.pos"] == pytest.approx(math.pi / 2)
    assert obs["waist.pos"] == 0.0
    assert obs["gripper.pos"] == pytest.approx((0.0 + 0.6213) / (1.4910 + 0.6213))
    assert obs["waist.effort"] == pytest.approx(269.0)  # 100 units × 2.69 mA


def test_all_nine_motors_are_read_in_one_block_without_normalization(make_arm):
    arm = make_arm()
    arm.connect()
    arm.get_observation()
    arm.bus.sync_read_block.assert_called_once_with(
        ["Present_Current", "Present_Position"], normalize=False, num_retry=2
    )


def test_shadow_joints_report_the_primary_current_by_default(make_arm):
    arm = make_arm()
    arm.connect()
    assert arm.get_observation()["shoulder.effort"] == pytest.approx(269.0)


def test_shadow_joints_can_report_primary_plus_shadow(make_arm):
    arm = make_arm(shadow_effort="sum")
    arm.connect()
    assert arm.get_observation()["shoulder.effort"] == pytest.approx(160 * 2.69)


def test_effort_in_newton_meters_uses_the_motor_models_torque_constant(make_arm):
    arm = make_arm(effort_unit="nm")
    arm.connect()
    obs = arm.get_observation()
    assert obs["waist.effort"] == pytest.approx(0.269 * 2.409)  # XM540-W270
    assert obs["gripper.effort"] == pytest.approx(0.269 * 4.1 / 2.3)  # XM430-W350


def test_goals_go_to_primaries_only_in_position_units(make_arm):
    arm = make_arm(max_relative_target=None)
    arm.connect()
    arm.send_action({f"{j}.pos": 0.0 for j in JOINTS} | {"elbow.pos": math.pi / 2, "gripper.pos": 1.0})
    name, raw = arm.bus.sync_write.call_args.args
    assert name == "Goal_Position" and arm.bus.sync_write.call_args.kwargs == {"normalize": False}
    assert set(raw) == set(JOINTS)  # no shadow motor: they follow their primary (Secondary_ID)
    assert raw["elbow"] == QUARTER_TURN
    assert raw["gripper"] == round(1.4910 * 4096 / (2 * math.pi) + 2048)


def test_max_relative_target_defaults_to_five_degrees_per_step(make_arm):
    arm = make_arm()
    arm.connect()
    arm.get_observation()
    sent = arm.send_action({f"{j}.pos": 1.0 for j in JOINTS})
    assert sent["waist.pos"] == pytest.approx(MAX_RELATIVE_TARGET_RAD)


def test_guard_holds_an_over_limit_joint(make_arm, registers):
    arm = make_arm(effort_limits={"elbow": 2000.0}, max_relative_target=None)
    arm.connect()
    registers["Present_Current"]["elbow"] = -1000  # −2690 mA
    arm.get_observation()
    sent = arm.send_action({f"{j}.pos": 0.2 for j in JOINTS})
    assert sent["elbow.pos"] == pytest.approx(math.pi / 2)
    assert sent["waist.pos"] == 0.2


def test_configure_chains_shadows_to_their_primaries_and_sets_aloha_modes(make_arm):
    arm = make_arm()
    arm.connect()
    arm.bus.write.assert_any_call("Secondary_ID", "shoulder_shadow", 2)
    arm.bus.write.assert_any_call("Secondary_ID", "elbow_shadow", 4)
    arm.bus.write.assert_any_call("Operating_Mode", "gripper", 5)  # current-based position
    arm.bus.write.assert_any_call("Operating_Mode", "elbow", 3)  # position


def test_calibration_aligns_each_shadow_to_its_primary_and_is_saved(make_arm, tmp_path):
    arm = make_arm()
    arm.bus.is_calibrated = False
    arm.bus.read.side_effect = lambda _name, motor, **_kw: {"shoulder": 1000, "shoulder_shadow": 970}.get(
        motor, 2048
    )
    arm.connect()
    saved = json.loads((tmp_path / "arm.json").read_text())
    assert saved["shoulder_shadow"]["homing_offset"] == 30
    assert saved["elbow_shadow"]["homing_offset"] == 0
    assert saved["shoulder"]["drive_mode"] == 1  # Interbotix vx300s.yaml
    assert call("Drive_Mode", "shoulder", 1) in arm.bus.write.call_args_list


def test_external_effort_subtracts_the_viperx_gravity_model(make_arm):
    pytest.importorskip("gym_aloha")
    arm = make_arm(external_effort=True)
    arm.connect()
    obs = arm.get_observation()
    assert [k for k in obs if k.endswith(".effort_ext")] == [f"{j}.effort_ext" for j in JOINTS[:-1]]
    gravity = arm.external.model_torque_nm([obs[f"{j}.pos"] for j in JOINTS[:-1]])
    shoulder_nm = (100 + 60) * 2.69e-3 * 2.409  # primary + shadow current, XM540-W270 k_t
    assert obs["shoulder.effort_ext"] == pytest.approx(shoulder_nm - gravity[1])


@pytest.fixture
def aloha(tmp_path, registers):
    with patch(
        f"{FOLLOWER}.DynamixelEffortBus",
        side_effect=lambda **kw: bus_class_mock(make_bus_mock(registers))(**kw),
    ):
        robot = AlohaTorque(AlohaTorqueConfig(id="aloha", calibration_dir=tmp_path))
    yield robot
    if robot.is_connected:
        robot.disconnect()


def test_aloha_joint_and_effort_names_match_the_aloha_datasets(aloha):
    state = [k for k, kind in aloha.observation_features.items() if kind is float]
    assert [k.removesuffix(".pos") for k in state if k.endswith(".pos")] == ALOHA_DATASET_NAMES
    assert [k.removesuffix(".effort") for k in state if k.endswith(".effort")] == ALOHA_DATASET_NAMES
    assert [k.removesuffix(".pos") for k in aloha.action_features] == ALOHA_DATASET_NAMES


def test_aloha_read_state_is_both_arms_observation_without_cameras(aloha):
    aloha.connect()
    assert aloha.read_state() == aloha.get_observation()  # no camera configured
    assert aloha.left_arm.read_state() == aloha.left_arm.get_observation()


def test_aloha_routes_each_side_to_its_arm(aloha):
    aloha.connect()
    obs = aloha.get_observation()
    assert set(obs) == set(aloha.observation_features)
    aloha.send_action({f"{name}.pos": 0.0 for name in ALOHA_DATASET_NAMES})
    assert set(aloha.left_arm.bus.sync_write.call_args.args[1]) == set(JOINTS)
    assert aloha.left_arm.id == "aloha_left" and aloha.right_arm.id == "aloha_right"


def test_leader_calibration_is_the_interbotix_factory_setup(tmp_path):
    bus = make_bus_mock({"Present_Position": dict.fromkeys(JOINTS, 2048)})
    bus.is_calibrated = False
    with patch(f"{LEADER}.DynamixelMotorsBus", bus_class_mock(bus)):
        leader = WidowXLeader(WidowXLeaderConfig(port="/dev/null", id="left", calibration_dir=tmp_path))
    leader.connect()
    saved = json.loads((tmp_path / "left.json").read_text())
    assert list(saved) == JOINTS  # primaries only: the shadows of a passive leader are never read
    assert saved["wrist_angle"]["drive_mode"] == 1 and saved["shoulder"]["range_min"] == 819  # wx250s.yaml
    leader.disconnect()


def test_aloha_leader_actions_are_what_the_follower_expects(tmp_path, aloha):
    buses = [make_bus_mock({"Present_Position": dict.fromkeys(JOINTS, 2048)}) for _ in range(2)]
    arms = iter(buses)
    with patch(f"{LEADER}.DynamixelMotorsBus", side_effect=lambda **kw: bus_class_mock(next(arms))(**kw)):
        leader = AlohaLeader(AlohaLeaderConfig(id="aloha", calibration_dir=tmp_path))
    leader.connect()
    action = leader.get_action()
    assert list(action) == list(aloha.action_features)
    assert action["left_waist.pos"] == 0.0
    assert action["right_gripper.pos"] == pytest.approx(0.6842 / (0.3083 + 0.6842))
    for bus in buses:
        bus.disable_torque.assert_called()  # moved by hand, as ALOHA's setup_leader_bot
    leader.disconnect()
