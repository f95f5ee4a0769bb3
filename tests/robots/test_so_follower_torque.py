"""SO-100/SO-101 follower with effort, on a mocked Feetech bus (LeRobot's robot-test style)."""

import logging
import math
from unittest.mock import patch

import pytest

from lerobot.utils.errors import DeviceNotConnectedError

from lerobot_torque.robots.bi_so_follower_torque.bi_so_follower_torque import BiSOFollowerTorque
from lerobot_torque.robots.bi_so_follower_torque.config_bi_so_follower_torque import BiSOFollowerTorqueConfig
from lerobot_torque.robots.effort.feetech_units import STS3215_12V_STALL_TORQUE_NM
from lerobot_torque.robots.so_follower_torque import SOFollowerTorqueArmConfig, SOFollowerTorqueConfig
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SOFollowerTorque
from tests.robots.config_fake_camera import FakeCameraConfig
from tests.robots.mock_buses import bus_class_mock, make_bus_mock

MODULE = "lerobot_torque.robots.so_follower_torque.so_follower_torque"
MOTORS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
ARM = MOTORS[:-1]
LOAD = 120.0  # decoded Present_Load of every motor, 0.1 % units
CURRENT = -40.0  # decoded Present_Current of every motor, 6.5 mA units


@pytest.fixture
def registers() -> dict[str, dict[str, float]]:
    return {
        "Present_Position": {motor: 10.0 * i for i, motor in enumerate(MOTORS)},
        "Present_Load": dict.fromkeys(MOTORS, LOAD),
        "Present_Current": dict.fromkeys(MOTORS, CURRENT),
    }


@pytest.fixture
def make_follower(tmp_path, registers):
    robots = []

    def _make(**overrides) -> SOFollowerTorque:
        bus = make_bus_mock(registers)
        with patch(f"{MODULE}.FeetechEffortBus", bus_class_mock(bus)):
            robot = SOFollowerTorque(
                SOFollowerTorqueConfig(port="/dev/null", calibration_dir=tmp_path, **overrides)
            )
        robots.append(robot)
        return robot

    yield _make
    for robot in robots:
        if robot.is_connected:
            robot.disconnect()


def goal(value_by_motor: dict[str, float]) -> dict[str, float]:
    return {f"{motor}.pos": value for motor, value in value_by_motor.items()}


def test_observation_has_every_motor_position_then_effort(make_follower):
    robot = make_follower()
    robot.connect()
    obs = robot.get_observation()
    assert list(obs) == [f"{m}.pos" for m in MOTORS] + [f"{m}.effort" for m in MOTORS]
    assert list(obs) == list(robot.observation_features)


def test_read_state_is_the_observation_without_its_cameras(make_follower):
    robot = make_follower(cameras={"top": FakeCameraConfig(width=8, height=8, fps=30)})
    robot.connect()
    observation = robot.get_observation()
    assert "top" in observation
    assert robot.read_state() == {key: value for key, value in observation.items() if key != "top"}


def test_actions_stay_positions_only(make_follower):
    assert list(make_follower().action_features) == [f"{m}.pos" for m in MOTORS]


def test_positions_and_load_come_from_one_block_read(make_follower):
    robot = make_follower(num_read_retries=5)
    robot.connect()
    obs = robot.get_observation()
    robot.bus.sync_read_block.assert_called_once_with(["Present_Position", "Present_Load"], num_retry=5)
    robot.bus.sync_read.assert_not_called()
    assert obs["elbow_flex.pos"] == 20.0
    assert obs["elbow_flex.effort"] == LOAD


def test_current_register_is_read_when_selected(make_follower):
    robot = make_follower(effort_register="current")
    robot.connect()
    obs = robot.get_observation()
    robot.bus.sync_read_block.assert_called_once_with(["Present_Position", "Present_Current"], num_retry=2)
    assert obs["gripper.effort"] == CURRENT


def test_load_in_newton_meters_is_permille_of_stall_torque(make_follower):
    robot = make_follower(effort_unit="nm", stall_torque_nm={m: 2.0 for m in MOTORS} | {"gripper": 1.0})
    robot.connect()
    obs = robot.get_observation()
    assert obs["shoulder_pan.effort"] == pytest.approx(LOAD / 1000 * 2.0)
    assert obs["gripper.effort"] == pytest.approx(LOAD / 1000 * 1.0)


def test_current_in_newton_meters_uses_stall_torque_over_stall_current(make_follower):
    robot = make_follower(
        effort_register="current", effort_unit="nm", stall_torque_nm=3.0, stall_current_a=2.0
    )
    robot.connect()
    obs = robot.get_observation()
    assert obs["wrist_flex.effort"] == pytest.approx(CURRENT * 6.5e-3 * 3.0 / 2.0)


def test_per_motor_constant_missing_a_motor_is_rejected(make_follower):
    with pytest.raises(ValueError, match="stall_torque_nm has no value for"):
        make_follower(stall_torque_nm={"gripper": 1.0})


def test_observation_before_connect_raises(make_follower):
    with pytest.raises(DeviceNotConnectedError):
        make_follower().get_observation()


def test_reconnect_after_disconnect_reads_again(make_follower, registers):
    robot = make_follower()
    robot.connect()
    robot.get_observation()
    robot.disconnect()
    assert not robot.is_connected
    registers["Present_Load"]["wrist_roll"] = -7.0
    robot.connect()
    assert robot.get_observation()["wrist_roll.effort"] == -7.0


def test_read_failure_reaches_the_caller(make_follower):
    robot = make_follower()
    robot.connect()
    robot.bus.sync_read_block.side_effect = ConnectionError(
        "Could not read ['Present_Position', 'Present_Load']"
    )
    with pytest.raises(ConnectionError, match="Could not read"):
        robot.get_observation()


def test_default_limits_are_80_percent_of_stall_and_leave_the_gripper_free(make_follower):
    assert make_follower().guard.limits == dict.fromkeys(ARM, 800.0)
    nm = make_follower(effort_unit="nm").guard.limits
    assert nm == pytest.approx(dict.fromkeys(ARM, 0.8 * STS3215_12V_STALL_TORQUE_NM))


def test_effort_limits_naming_an_unknown_joint_are_rejected(make_follower):
    with pytest.raises(ValueError, match="unknown joints \\['elbow'\\]"):
        make_follower(effort_limits={"elbow": 100.0})


def test_guard_holds_only_the_over_limit_joint_at_its_present_position(make_follower, registers):
    robot = make_follower(effort_limits={"elbow_flex": 500.0, "wrist_flex": 500.0})
    robot.connect()
    registers["Present_Load"]["elbow_flex"] = -650.0
    robot.get_observation()
    sent = robot.send_action(goal(dict.fromkeys(MOTORS, 45.0)))
    assert sent["elbow_flex.pos"] == registers["Present_Position"]["elbow_flex"]
    assert all(sent[f"{m}.pos"] == 45.0 for m in MOTORS if m != "elbow_flex")
    written = robot.bus.sync_write.call_args.args
    assert written[0] == "Goal_Position" and written[1]["elbow_flex"] == 20.0


def test_guard_passes_actions_through_under_the_limit(make_follower):
    robot = make_follower()
    robot.connect()
    robot.get_observation()
    action = goal(dict.fromkeys(MOTORS, 45.0))
    assert robot.send_action(action) == action


def test_guard_warns_once_per_contact_event(make_follower, registers, caplog):
    robot = make_follower(effort_limits=500.0)
    robot.connect()
    registers["Present_Load"]["shoulder_lift"] = 900.0
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            robot.get_observation()
            robot.send_action(goal(dict.fromkeys(MOTORS, 45.0)))
        registers["Present_Load"]["shoulder_lift"] = 0.0
        robot.get_observation()
        robot.send_action(goal(dict.fromkeys(MOTORS, 45.0)))
        registers["Present_Load"]["shoulder_lift"] = 900.0
        robot.get_observation()
        robot.send_action(goal(dict.fromkeys(MOTORS, 45.0)))
    warnings = [r for r in caplog.records if "shoulder_lift" in r.getMessage()]
    assert len(warnings) == 2


def test_guard_uses_the_observation_reading_without_another_bus_read(make_follower):
    robot = make_follower()
    robot.connect()
    robot.get_observation()
    robot.send_action(goal(dict.fromkeys(MOTORS, 45.0)))
    assert robot.bus.sync_read_block.call_count == 1
    robot.bus.sync_read.assert_not_called()


def test_guard_reads_the_bus_when_no_observation_preceded_the_action(make_follower):
    robot = make_follower()
    robot.connect()
    robot.send_action(goal(dict.fromkeys(MOTORS, 45.0)))
    assert robot.bus.sync_read_block.call_count == 1


def test_guard_off_sends_actions_without_any_read(make_follower, registers):
    robot = make_follower(effort_guard=False)
    robot.connect()
    registers["Present_Load"]["elbow_flex"] = 1000.0
    action = goal(dict.fromkeys(MOTORS, 45.0))
    assert robot.guard is None
    assert robot.send_action(action) == action
    robot.bus.sync_read_block.assert_not_called()


def test_max_relative_target_still_caps_the_guarded_goal(make_follower):
    robot = make_follower(max_relative_target=5.0)
    robot.connect()
    robot.get_observation()
    sent = robot.send_action(goal(dict.fromkeys(MOTORS, 45.0)))
    assert sent["shoulder_pan.pos"] == 5.0  # present 0 + cap 5
    robot.bus.sync_read.assert_called_once_with("Present_Position", num_retry=2)


def test_calibration_files_are_shared_with_lerobots_so_follower():
    config = SOFollowerTorqueConfig(port="/dev/null")
    assert config.calibration_dir.name == "so_follower"


def test_external_effort_needs_degrees():
    with pytest.raises(ValueError, match="use_degrees=true"):
        SOFollowerTorqueConfig(port="/dev/null", use_degrees=False, external_effort=True)


def test_unknown_effort_register_lists_the_valid_ones():
    with pytest.raises(ValueError, match="choose one of \\['load', 'current'\\]"):
        SOFollowerTorqueConfig(port="/dev/null", effort_register="torque")


def test_bimanual_robot_prefixes_effort_and_routes_actions(tmp_path, registers):
    left, right = make_bus_mock(registers), make_bus_mock(registers)
    buses = iter([left, right])
    with patch(f"{MODULE}.FeetechEffortBus", side_effect=lambda **kw: bus_class_mock(next(buses))(**kw)):
        robot = BiSOFollowerTorque(
            BiSOFollowerTorqueConfig(
                id="pair",
                calibration_dir=tmp_path,
                left_arm_config=SOFollowerTorqueArmConfig(port="/dev/a"),
                right_arm_config=SOFollowerTorqueArmConfig(port="/dev/b", effort_register="current"),
            )
        )
    robot.connect()
    obs = robot.get_observation()
    assert set(obs) == set(robot.observation_features)
    assert [k for k in robot.observation_features if k.endswith(".effort")][:2] == [
        "left_shoulder_pan.effort",
        "left_shoulder_lift.effort",
    ]
    assert obs["left_gripper.effort"] == LOAD and obs["right_gripper.effort"] == CURRENT
    assert robot.read_state() == obs  # no camera here
    assert robot.left_arm.id == "pair_left"
    robot.send_action({f"{side}_{m}.pos": 1.0 for side in ("left", "right") for m in MOTORS})
    assert left.sync_write.call_args.args[1] == dict.fromkeys(MOTORS, 1.0)
    robot.disconnect()


def test_external_effort_is_measured_newton_meters_minus_the_gravity_model(make_follower, registers):
    pytest.importorskip("mujoco")
    robot = make_follower(external_effort=True)
    robot.connect()
    obs = robot.get_observation()
    assert [k for k in obs if k.endswith(".effort_ext")] == [f"{m}.effort_ext" for m in ARM]
    q = [math.radians(registers["Present_Position"][m]) for m in ARM]
    gravity = robot.external.model_torque_nm(q)
    measured = LOAD / 1000 * STS3215_12V_STALL_TORQUE_NM  # raw .effort, converted for the subtraction
    assert obs["shoulder_lift.effort_ext"] == pytest.approx(measured - gravity[1])
    assert obs["shoulder_lift.effort"] == LOAD
