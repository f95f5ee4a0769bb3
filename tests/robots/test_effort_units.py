"""Unit conversions against the datasheet numbers they cite."""

import math

import pytest

from lerobot_torque.robots.effort import dynamixel_units, feetech_units
from lerobot_torque.robots.interbotix import gripper_radians_to_normalized, normalized_to_gripper_radians


def test_kgf_cm_to_newton_meters_uses_standard_gravity():
    assert feetech_units.kgf_cm_to_newton_meters(30.0) == pytest.approx(2.941995)


def test_full_scale_load_is_the_stall_torque():
    assert feetech_units.load_permille_to_newton_meters(1000, 2.94) == pytest.approx(2.94)
    assert feetech_units.load_permille_to_newton_meters(-250, 2.0) == pytest.approx(-0.5)


def test_feetech_current_unit_is_6_5_milliamperes():
    assert feetech_units.current_units_to_amperes(200) == pytest.approx(1.3)


def test_sts3215_12v_torque_constant_is_about_1_09_nm_per_ampere():
    k_t = feetech_units.torque_constant_nm_per_ampere(
        feetech_units.STS3215_12V_STALL_TORQUE_NM, feetech_units.STS3215_12V_STALL_CURRENT_A
    )
    assert k_t == pytest.approx(1.0896, abs=1e-3)
    assert feetech_units.amperes_to_newton_meters(-2.0, k_t) == pytest.approx(-2 * k_t)


def test_dynamixel_current_unit_is_2_69_milliamperes():
    assert dynamixel_units.current_units_to_milliamperes(-100) == pytest.approx(-269.0)


def test_xm540_current_to_torque_uses_the_emanual_constant():
    k_t = dynamixel_units.TORQUE_CONSTANT_NM_PER_A["xm540-w270"]
    assert dynamixel_units.milliamperes_to_newton_meters(4400, k_t) == pytest.approx(10.6, abs=0.01)


def test_dynamixel_position_2048_is_the_interbotix_joint_zero():
    assert dynamixel_units.position_units_to_radians(2048) == 0.0
    assert dynamixel_units.position_units_to_radians(3072) == pytest.approx(math.pi / 2)
    assert dynamixel_units.radians_to_position_units(-math.pi / 2) == 1024


@pytest.mark.parametrize("units", [0, 841, 2048, 2867, 4095])
def test_position_conversion_round_trips(units):
    assert (
        dynamixel_units.radians_to_position_units(dynamixel_units.position_units_to_radians(units)) == units
    )


def test_gripper_normalization_maps_closed_to_0_and_open_to_1():
    assert gripper_radians_to_normalized(-0.6213, -0.6213, 1.4910) == 0.0
    assert gripper_radians_to_normalized(1.4910, -0.6213, 1.4910) == 1.0
    assert normalized_to_gripper_radians(0.5, -0.6213, 1.4910) == pytest.approx((1.4910 - 0.6213) / 2)
