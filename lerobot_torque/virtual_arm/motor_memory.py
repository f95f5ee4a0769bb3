"""Factory-default register memories of virtual motors, and the sign encodings of their registers.

A virtual motor is a bytearray holding its control table, little-endian, at the addresses of
LeRobot's tables (`lerobot/motors/{feetech,dynamixel}/tables.py`). `feetech_memory` and
`dynamixel_memory` fill it with the values a motor has out of the box, after LeRobot's
`lerobot-setup-motors` gave it its id and bus baud rate, so the first `connect()`, `calibrate()` and
`configure()` see what they see on hardware. Sources, per value in the tables below:
- [FT] Feetech STS/SMS memory table ("initial value" column), as transcribed with LeRobot's
  addresses; [LR] LeRobot's former SO-100 follower `configure()` ("P_Coefficient … Default is 32",
  "I_Coefficient and D_Coefficient to default value 0 and 32").
- [XM430], [XM540], [XL430], [XC430]: ROBOTIS e-Manual control tables of XM430-W350, XM540-W270,
  XL430-W250, XC430-W150 ("Default/Initial Value" column), [X] where all four agree;
  [XM540-2018]: the 2018 e-Manual edition of XM540-W270 (Acceleration Limit(40), which later
  editions no longer list; Drive Mode(10) "Available after Firmware version 38"; Goal PWM/Current
  "reset to PWM Limit(36), Current Limit(38)" when the operating mode changes).
- [port]: chosen by this port where the datasheet gives no number (model-specific factory
  bytes, firmware versions, present values of a motor at rest).
Registers not listed are 0: their datasheet default where it gives one, [port] where it leaves the
value to the model (Feetech Phase, Unloading/LED alarm conditions, Minimum_Startup_Force,
velocity-loop coefficients, the factory area 80…86). Present values (position, voltage, temperature)
are what a motor at rest reports; the simulation overwrites them every step.

Sign encodings (for the simulation writing present values and reading goals): Feetech registers use
a direction bit + magnitude (LeRobot's `STS_SMS_SERIES_ENCODINGS_TABLE`, plus `Present_Current`
bit 15 as `FeetechEffortBus` decodes it), Dynamixel registers two's complement of the register size
(LeRobot's `X_SERIES_ENCODINGS_TABLE`). Both reuse `lerobot.motors.encoding_utils`.
"""

from lerobot.motors.dynamixel import OperatingMode as DynamixelOperatingMode
from lerobot.motors.dynamixel import tables as dynamixel_tables
from lerobot.motors.encoding_utils import (
    decode_sign_magnitude,
    decode_twos_complement,
    encode_sign_magnitude,
    encode_twos_complement,
)
from lerobot.motors.feetech import OperatingMode as FeetechOperatingMode
from lerobot.motors.feetech import tables as feetech_tables

from lerobot_torque.robots.effort.feetech_units import PRESENT_CURRENT_SIGN_BIT

# Feetech protocol 0 addresses are one byte; the STS table ends at 86 (Acceleration_Multiplier).
FEETECH_MEMORY_SIZE = 128
# Up to Present_Temperature (146); the indirect-address area (168…661) is not modelled.
DYNAMIXEL_X_MEMORY_SIZE = max(
    address + size for address, size in dynamixel_tables.X_SERIES_CONTROL_TABLE.values()
)
DEFAULT_BAUDRATE = 1_000_000  # LeRobot's default for both buses (feetech.py, dynamixel.py)
# [XM540-2018] "Recommended : 12V"; [port] for Feetech, as the 12 V STS3215 constants of feetech_units.py.
NOMINAL_INPUT_VOLTAGE_V = 12.0
AMBIENT_TEMPERATURE_C = 30  # [port]

# STS3215 (SO-100/SO-101), LeRobot register names.
STS3215_DEFAULTS = {
    "Firmware_Major_Version": 3,  # [port] read by LeRobot's firmware check only for equality
    "Firmware_Minor_Version": 10,  # [port]
    "Response_Status_Level": 1,  # [FT] 1 = answer every instruction
    "Min_Position_Limit": 0,  # [FT]
    # Max_Position_Limit = resolution − 1 = 4095 [FT], set from LeRobot's MODEL_RESOLUTION below
    "Max_Temperature_Limit": 70,  # [FT] °C
    "Max_Voltage_Limit": 140,  # [port] 14.0 V; [FT] leaves it to the model
    "Min_Voltage_Limit": 40,  # [FT] 4.0 V
    "Max_Torque_Limit": 1000,  # [FT] 100.0 %, copied to Torque_Limit at power-on
    "P_Coefficient": 32,  # [LR]
    "D_Coefficient": 32,  # [LR]
    "I_Coefficient": 0,  # [LR], [FT]
    "CW_Dead_Zone": 1,  # [FT]
    "CCW_Dead_Zone": 1,  # [FT]
    "Protection_Current": 511,  # [FT] 6.5 mA per unit
    "Angular_Resolution": 1,  # [FT]
    "Homing_Offset": 0,  # [FT]
    "Operating_Mode": FeetechOperatingMode.POSITION.value,  # [FT] 0 = position servo mode
    "Protective_Torque": 20,  # [FT] % after an overload trips
    "Protection_Time": 200,  # [FT] 10 ms per unit
    "Overload_Torque": 80,  # [FT] %
    "Over_Current_Protection_Time": 200,  # [FT] 10 ms per unit
    "Return_Delay_Time": 0,  # [FT] (LeRobot's `configure_motors` comment says 250; it writes 0 anyway)
    "Torque_Enable": 0,  # [FT]
    "Acceleration": 0,  # [FT]
    "Torque_Limit": 1000,  # [FT] = Max_Torque_Limit
    "Lock": 1,  # [FT] EEPROM locked
}

# Dynamixel X series, LeRobot register names: values shared by the four models of ALOHA's arms …
X_SERIES_DEFAULTS = {
    "Firmware_Version": 45,  # [port] any version ≥ 38 has Drive_Mode [XM540-2018]
    "Return_Delay_Time": 250,  # [X] 2 µs per unit
    "Drive_Mode": 0,  # [X]
    "Operating_Mode": DynamixelOperatingMode.POSITION.value,  # [X] 3 = position control
    "Secondary_ID": 255,  # [X] no shadow
    "Protocol_Type": 2,  # [X]
    "Homing_Offset": 0,  # [X]
    "Moving_Threshold": 10,  # [X] 0.229 rev/min
    "Temperature_Limit": 80,  # [XM430] [XM540] [XC430] °C
    "Max_Voltage_Limit": 160,  # [XM430] [XM540] [XC430] 0.1 V
    "Min_Voltage_Limit": 95,  # [XM430] [XM540]
    "PWM_Limit": 885,  # [X] 0.113 %
    "Acceleration_Limit": 32767,  # [XM540-2018] [XL430]
    "Min_Position_Limit": 0,  # [X]
    # Max_Position_Limit = resolution − 1 = 4095 [X], from LeRobot's MODEL_RESOLUTION
    "Shutdown": 52,  # [X] overload, electrical shock, overheating
    "Torque_Enable": 0,  # [X]
    "LED": 0,  # [X]
    "Status_Return_Level": 2,  # [X] answer every instruction
    "Velocity_I_Gain": 1920,  # [XM430] [XM540] [XC430]
    "Velocity_P_Gain": 100,  # [X]
    "Position_D_Gain": 0,  # [XM430] [XM540] [XC430]
    "Position_I_Gain": 0,  # [X]
    "Position_P_Gain": 800,  # [XM430] [XM540]
    "Feedforward_2nd_Gain": 0,  # [X]
    "Feedforward_1st_Gain": 0,  # [X]
    "Bus_Watchdog": 0,  # [X]
    "Profile_Acceleration": 0,  # [X]
    "Profile_Velocity": 0,  # [X]
}
# … and per model. XL430-W250 and XC430-W150 list no Current Limit(38) or Goal Current(102), and their
# address 126 (LeRobot's Present_Current) is Present Load in 0.1 % [XL430] [XC430].
X_SERIES_MODEL_DEFAULTS = {
    "xm430-w350": {"Current_Limit": 1193, "Velocity_Limit": 200},  # [XM430]
    "xm540-w270": {"Current_Limit": 2047, "Velocity_Limit": 128},  # [XM540]
    "xl430-w250": {  # [XL430]
        "Temperature_Limit": 72,
        "Max_Voltage_Limit": 140,
        "Min_Voltage_Limit": 60,
        "Velocity_Limit": 415,
        "Velocity_I_Gain": 1000,
        "Position_D_Gain": 4000,
        "Position_P_Gain": 640,
    },
    "xc430-w150": {"Min_Voltage_Limit": 60, "Velocity_Limit": 460, "Position_P_Gain": 460},  # [XC430]
}


def _store(memory: bytearray, table: dict[str, tuple[int, int]], name: str, raw: int) -> None:
    address, size = table[name]
    memory[address : address + size] = raw.to_bytes(size, "little")


def _check_model(model: str, supported: list[str], kind: str) -> None:
    if model not in supported:
        raise NotImplementedError(
            f"No factory memory for {kind} model '{model}' yet: supported models are {supported}. "
            "Add its datasheet defaults to lerobot_torque/virtual_arm/motor_memory.py."
        )


def feetech_memory(
    model: str = "sts3215",
    *,
    motor_id: int = 1,
    position: int | None = None,
    baudrate: int = DEFAULT_BAUDRATE,
    input_voltage_v: float = NOMINAL_INPUT_VOLTAGE_V,
    temperature_c: int = AMBIENT_TEMPERATURE_C,
) -> bytearray:
    """The 128-byte memory of a Feetech motor at rest with its factory defaults (`STS3215_DEFAULTS`).

    Args:
        model: LeRobot model name; `sts3215` only for now (model number 777 from LeRobot's
            `MODEL_NUMBER_TABLE`).
        motor_id: Value of the `ID` register (what `lerobot-setup-motors` wrote).
        position: `Present_Position` and `Goal_Position`, raw; default mid-range (resolution / 2).
        baudrate: Value of `Baud_Rate`, as an index into LeRobot's baud-rate table (1 Mbps = 0 [FT]).
        input_voltage_v: `Present_Voltage` (0.1 V per unit [FT]).
        temperature_c: `Present_Temperature` (°C [FT]).
    """
    _check_model(model, ["sts3215"], "Feetech")
    table = feetech_tables.MODEL_CONTROL_TABLE[model]
    resolution = feetech_tables.MODEL_RESOLUTION[model]
    position = resolution // 2 if position is None else position
    values = {
        **STS3215_DEFAULTS,
        "Model_Number": feetech_tables.MODEL_NUMBER_TABLE[model],
        "ID": motor_id,
        "Baud_Rate": feetech_tables.MODEL_BAUDRATE_TABLE[model][baudrate],
        "Max_Position_Limit": resolution - 1,
        "Present_Position": encode_feetech_register("Present_Position", position, model),
        "Goal_Position": encode_feetech_register("Goal_Position", position, model),
        "Present_Voltage": round(input_voltage_v * 10),
        "Present_Temperature": temperature_c,
    }
    memory = bytearray(FEETECH_MEMORY_SIZE)
    for name, raw in values.items():
        _store(memory, table, name, raw)
    return memory


def dynamixel_memory(
    model: str,
    *,
    motor_id: int = 1,
    position: int | None = None,
    baudrate: int = DEFAULT_BAUDRATE,
    input_voltage_v: float = NOMINAL_INPUT_VOLTAGE_V,
    temperature_c: int = AMBIENT_TEMPERATURE_C,
) -> bytearray:
    """The memory (addresses 0…146) of a Dynamixel X-series motor at rest with its factory defaults.

    Values: `X_SERIES_DEFAULTS` with the model's `X_SERIES_MODEL_DEFAULTS`; Goal_PWM = PWM_Limit and
    Goal_Current = Current_Limit, as the firmware sets them [XM540-2018].

    Args:
        model: LeRobot model name: xm430-w350, xm540-w270 (ViperX follower), xl430-w250, xc430-w150
            (WidowX leader). Model number from LeRobot's `MODEL_NUMBER_TABLE`.
        motor_id: Value of the `ID` register (what `lerobot-setup-motors` wrote).
        position: `Present_Position` and `Goal_Position`, raw; default mid-range (2048, the joint
            zero of Interbotix arms).
        baudrate: Value of `Baud_Rate`, as an index into LeRobot's baud-rate table (1 Mbps = 3; the
            factory value is 1 = 57,600 bps, which `lerobot-setup-motors` changes).
        input_voltage_v: `Present_Input_Voltage` (0.1 V per unit).
        temperature_c: `Present_Temperature` (°C).
    """
    _check_model(model, sorted(X_SERIES_MODEL_DEFAULTS), "Dynamixel")
    table = dynamixel_tables.MODEL_CONTROL_TABLE[model]
    resolution = dynamixel_tables.MODEL_RESOLUTION[model]
    position = resolution // 2 if position is None else position
    values = {**X_SERIES_DEFAULTS, **X_SERIES_MODEL_DEFAULTS[model]}
    values |= {
        "Model_Number": dynamixel_tables.MODEL_NUMBER_TABLE[model],
        "ID": motor_id,
        "Baud_Rate": dynamixel_tables.MODEL_BAUDRATE_TABLE[model][baudrate],
        "Max_Position_Limit": resolution - 1,
        "Goal_PWM": values["PWM_Limit"],
        "Goal_Current": values.get("Current_Limit", 0),
        "Present_Position": encode_dynamixel_register("Present_Position", position, model),
        "Goal_Position": encode_dynamixel_register("Goal_Position", position, model),
        "Present_Input_Voltage": round(input_voltage_v * 10),
        "Present_Temperature": temperature_c,
    }
    memory = bytearray(DYNAMIXEL_X_MEMORY_SIZE)
    for name, raw in values.items():
        _store(memory, table, name, raw)
    return memory


def feetech_sign_bits(model: str = "sts3215") -> dict[str, int]:
    """Register → sign bit, as `FeetechEffortBus` decodes them (LeRobot's table + Present_Current)."""
    bits = dict(feetech_tables.MODEL_ENCODING_TABLE[model])
    if bits and "Present_Current" in feetech_tables.MODEL_CONTROL_TABLE[model]:
        bits["Present_Current"] = PRESENT_CURRENT_SIGN_BIT
    return bits


def encode_feetech_sign_magnitude(value: int, sign_bit: int) -> int:
    """Signed `value` → raw register: direction bit `sign_bit` + magnitude (LeRobot's encoding)."""
    return encode_sign_magnitude(value, sign_bit)


def encode_feetech_register(name: str, value: int, model: str = "sts3215") -> int:
    """Signed `value` of Feetech register `name` → the raw unsigned content (unsigned registers pass)."""
    sign_bit = feetech_sign_bits(model).get(name)
    return value if sign_bit is None else encode_sign_magnitude(value, sign_bit)


def decode_feetech_register(name: str, raw: int, model: str = "sts3215") -> int:
    """Raw content of Feetech register `name` → its signed value, the inverse of `encode_feetech_register`."""
    sign_bit = feetech_sign_bits(model).get(name)
    return raw if sign_bit is None else decode_sign_magnitude(raw, sign_bit)


def encode_dynamixel_register(name: str, value: int, model: str) -> int:
    """Signed `value` of Dynamixel register `name` → raw content (two's complement of its size)."""
    n_bytes = dynamixel_tables.MODEL_ENCODING_TABLE[model].get(name)
    return value if n_bytes is None else encode_twos_complement(value, n_bytes)


def decode_dynamixel_register(name: str, raw: int, model: str) -> int:
    """Raw content of Dynamixel register `name` → its signed value."""
    n_bytes = dynamixel_tables.MODEL_ENCODING_TABLE[model].get(name)
    return raw if n_bytes is None else decode_twos_complement(raw, n_bytes)
