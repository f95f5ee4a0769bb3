"""A robot pointed at another arm's bus says which bus it expected and how to find the right port."""

import pytest

from lerobot_torque.robots.so_follower_torque import SOFollowerTorqueConfig
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SOFollowerTorque
from lerobot_torque.robots.viperx_follower_torque.config_viperx_follower_torque import (
    ViperXFollowerTorqueConfig,
)
from lerobot_torque.robots.viperx_follower_torque.viperx_follower_torque import ViperXFollowerTorque
from lerobot_torque.virtual_arm.arms import make_arm_parts
from lerobot_torque.virtual_arm.hand import HandMotion
from lerobot_torque.virtual_arm.virtual_arm import VirtualArm
from tests.virtual_arm.virtual_arms import lerobot


@pytest.mark.parametrize(
    ("arm", "robot_class", "config_class", "expected"),
    [
        ("viperx_follower", SOFollowerTorque, SOFollowerTorqueConfig, "Feetech bus"),
        ("so101_follower", ViperXFollowerTorque, ViperXFollowerTorqueConfig, "Dynamixel bus"),
    ],
)
def test_a_robot_on_another_arms_bus_names_the_expected_bus_and_the_fix(
    arm, robot_class, config_class, expected, tmp_path
):
    with VirtualArm(make_arm_parts(arm), HandMotion.HOLD) as running:
        robot = robot_class(config_class(port=running.path, id="x", calibration_dir=tmp_path))
        with pytest.raises(RuntimeError, match=expected) as error:
            robot.connect()
    assert "lerobot-find-port" in str(error.value) and running.path in str(error.value)


@pytest.mark.slow
def test_lerobot_calibrate_on_the_wrong_bus_prints_the_hint(tmp_path):
    with (
        VirtualArm(make_arm_parts("viperx_follower"), HandMotion.HOLD) as running,
        pytest.raises(RuntimeError, match="No Feetech bus") as error,
    ):
        lerobot(
            "lerobot-calibrate",
            "--robot.type=so101_follower_torque",
            f"--robot.port={running.path}",
            "--robot.id=x",
            f"--robot.calibration_dir={tmp_path}",
        )
    assert "lerobot-find-port" in str(error.value)
