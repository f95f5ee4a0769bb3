"""Factory memories of virtual motors: LeRobot's model numbers and limits, datasheet defaults, signs."""

import pytest

from lerobot.motors.dynamixel.tables import MODEL_NUMBER_TABLE as DYNAMIXEL_MODEL_NUMBERS
from lerobot.motors.dynamixel.tables import X_SERIES_CONTROL_TABLE
from lerobot.motors.feetech.tables import MODEL_NUMBER_TABLE as FEETECH_MODEL_NUMBERS
from lerobot.motors.feetech.tables import STS_SMS_SERIES_CONTROL_TABLE

from lerobot_torque.virtual_arm.motor_memory import (
    DYNAMIXEL_X_MEMORY_SIZE,
    FEETECH_MEMORY_SIZE,
    X_SERIES_MODEL_DEFAULTS,
    decode_dynamixel_register,
    decode_feetech_register,
    dynamixel_memory,
    encode_dynamixel_register,
    encode_feetech_register,
    encode_feetech_sign_magnitude,
    feetech_memory,
)


def register(memory: bytearray, table: dict, name: str) -> int:
    address, size = table[name]
    return int.from_bytes(memory[address : address + size], "little")


@pytest.mark.parametrize("model", sorted(X_SERIES_MODEL_DEFAULTS))
def test_dynamixel_memory_holds_the_model_number_and_full_position_range(model):
    memory = dynamixel_memory(model, motor_id=7)
    assert len(memory) == DYNAMIXEL_X_MEMORY_SIZE == 147  # Present_Temperature (146) is the last register
    values = {name: register(memory, X_SERIES_CONTROL_TABLE, name) for name in X_SERIES_CONTROL_TABLE}
    assert values["Model_Number"] == DYNAMIXEL_MODEL_NUMBERS[model]
    assert values["ID"] == 7
    assert values["Baud_Rate"] == 3  # 1 Mbps, LeRobot's default
    assert (values["Min_Position_Limit"], values["Max_Position_Limit"]) == (0, 4095)
    assert (values["Operating_Mode"], values["Drive_Mode"], values["Torque_Enable"]) == (3, 0, 0)
    assert values["Homing_Offset"] == 0
    assert values["Return_Delay_Time"] == 250
    assert values["Present_Position"] == values["Goal_Position"] == 2048
    assert values["Present_Input_Voltage"] == 120
    assert values["Firmware_Version"] >= 38  # Drive_Mode exists from firmware 38


def test_xm_models_differ_in_current_and_velocity_limits():
    xm430, xm540 = dynamixel_memory("xm430-w350"), dynamixel_memory("xm540-w270")
    assert register(xm430, X_SERIES_CONTROL_TABLE, "Current_Limit") == 1193
    assert register(xm540, X_SERIES_CONTROL_TABLE, "Current_Limit") == 2047
    assert register(xm540, X_SERIES_CONTROL_TABLE, "Goal_Current") == 2047
    assert register(xm430, X_SERIES_CONTROL_TABLE, "Velocity_Limit") == 200
    assert register(xm540, X_SERIES_CONTROL_TABLE, "Velocity_Limit") == 128
    assert register(xm540, X_SERIES_CONTROL_TABLE, "Position_P_Gain") == 800


def test_feetech_memory_holds_the_sts3215_defaults():
    memory = feetech_memory(motor_id=4)
    table = STS_SMS_SERIES_CONTROL_TABLE
    assert len(memory) == FEETECH_MEMORY_SIZE == 128
    assert register(memory, table, "Model_Number") == FEETECH_MODEL_NUMBERS["sts3215"] == 777
    assert register(memory, table, "ID") == 4
    assert (register(memory, table, "Min_Position_Limit"), register(memory, table, "Max_Position_Limit")) == (
        0,
        4095,
    )
    assert register(memory, table, "Operating_Mode") == 0
    assert register(memory, table, "Torque_Enable") == 0
    assert (register(memory, table, "P_Coefficient"), register(memory, table, "D_Coefficient")) == (32, 32)
    assert register(memory, table, "Present_Voltage") == 120


@pytest.mark.parametrize(
    ("factory", "model"), [(dynamixel_memory, "xh540-w150"), (feetech_memory, "sts3250")]
)
def test_a_model_without_datasheet_defaults_is_refused_with_the_supported_list(factory, model):
    with pytest.raises(NotImplementedError, match="supported models are"):
        factory(model)


def test_feetech_signs_use_lerobots_direction_bits_and_current_bit_15():
    assert encode_feetech_register("Present_Load", -300) == (1 << 10) | 300
    assert encode_feetech_register("Present_Current", -77) == (1 << 15) | 77
    assert encode_feetech_register("Present_Voltage", 120) == 120  # unsigned register
    assert encode_feetech_sign_magnitude(-5, 11) == (1 << 11) | 5
    for name, value in [("Present_Position", -2000), ("Homing_Offset", -1500), ("Present_Current", 42)]:
        assert decode_feetech_register(name, encode_feetech_register(name, value)) == value


def test_dynamixel_signs_are_twos_complement_of_the_register_size():
    assert encode_dynamixel_register("Present_Current", -1, "xm430-w350") == 0xFFFF
    assert encode_dynamixel_register("Present_Velocity", -1, "xm430-w350") == 0xFFFF_FFFF
    assert encode_dynamixel_register("Moving", 1, "xm430-w350") == 1
    assert decode_dynamixel_register("Homing_Offset", 0xFFFF_FB2E, "xm540-w270") == -1234
