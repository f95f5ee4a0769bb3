"""Per-step bus cost of the effort robots against LeRobot's position-only SO-100 follower.

Every variant runs the same control step (`get_observation()` then `send_action()` holding the
present position) through the real Feetech SDK, on the byte-level STS3215 emulator of the tests
(tests/robots/fake_feetech_port.py). The emulator counts transactions and bytes and, in `realtime`
mode, sleeps what they would take on the wire: `latency` per transaction (USB round trip) plus 10
bits per byte at 1 Mbaud. Variants are measured side by side, interleaved round by round, and every
ratio is taken against `so100_follower` from the same run.

Run from the repository root:
    .venv/bin/python benchmarks/robot_read_cost.py [--steps 200] [--rounds 5] [--latency-ms 1.0]

The latency is a model parameter (1 ms: one USB full-speed frame); the transaction and byte counts do
not depend on it. Nothing here measures a real arm.
"""

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lerobot_torque.evaluation.machine import machine_line

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.robots.fake_feetech_port, shared with the tests

from lerobot.motors import MotorCalibration  # noqa: E402
from lerobot.robots.so_follower import SO100Follower, SO100FollowerConfig  # noqa: E402

from lerobot_torque.robots.so_follower_torque import SOFollowerTorqueConfig  # noqa: E402
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SOFollowerTorque  # noqa: E402
from tests.robots.fake_feetech_port import FakeFeetechPort, attach  # noqa: E402

MOTOR_IDS = [1, 2, 3, 4, 5, 6]
MID_POSITION = 2048
BASELINE = "so100_follower"


def with_fake_port(robot, latency_s: float, realtime: bool) -> FakeFeetechPort:
    """Open `robot`'s bus on an emulated port, calibrated over the full 0…4095 range."""
    port = attach(robot.bus, FakeFeetechPort(MOTOR_IDS, latency_s=latency_s, realtime=realtime))
    robot.bus.calibration = {
        name: MotorCalibration(id=motor.id, drive_mode=0, homing_offset=0, range_min=0, range_max=4095)
        for name, motor in robot.bus.motors.items()
    }
    for motor_id in MOTOR_IDS:
        port.set_register(motor_id, 56, 2, MID_POSITION)
        port.set_register(motor_id, 60, 2, 100)
    return port


def control_step(robot) -> None:
    obs = robot.get_observation()
    robot.send_action({key: value for key, value in obs.items() if key.endswith(".pos")})


def two_sync_reads_step(robot) -> None:
    """What reading effort with LeRobot's one-register `sync_read` would cost: a second read."""
    positions = robot.bus.sync_read("Present_Position")
    robot.bus.sync_read("Present_Load")
    robot.bus.sync_write("Goal_Position", positions)


def variants(calibration_dir: Path) -> dict[str, tuple[Callable[[], object], Callable]]:
    """name → (robot factory, step function)."""
    so100 = {"port": "/dev/emulated", "calibration_dir": calibration_dir}

    def torque(**options):
        return lambda: SOFollowerTorque(SOFollowerTorqueConfig(**so100, **options))

    return {
        BASELINE: (lambda: SO100Follower(SO100FollowerConfig(**so100)), control_step),
        "  + Present_Load by a 2nd sync_read": (
            lambda: SO100Follower(SO100FollowerConfig(**so100)),
            two_sync_reads_step,
        ),
        "so100_follower_torque (load, guard on)": (torque(), control_step),
        "so100_follower_torque (current, guard on)": (torque(effort_register="current"), control_step),
        "so100_follower_torque (load, guard off)": (torque(effort_guard=False), control_step),
        "so100_follower_torque (load, effort_ext)": (torque(external_effort=True), control_step),
    }


def measure(steps: int, rounds: int, latency_s: float) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        built = {}
        for name, (make, step) in variants(Path(tmp)).items():
            robot = make()
            built[name] = (robot, with_fake_port(robot, latency_s, realtime=True), step)
        wall = dict.fromkeys(built, 0.0)
        for _ in range(rounds):
            for name, (robot, _port, step) in built.items():
                start = time.perf_counter()
                for _ in range(steps):
                    step(robot)
                wall[name] += time.perf_counter() - start
        total = steps * rounds
        return {
            name: {
                "transactions": port.transactions / total,
                "bytes": port.bytes_on_wire / total,
                "modelled_ms": port.modelled_time_s / total * 1e3,
                "measured_ms": wall[name] / total * 1e3,
            }
            for name, (_robot, port, _step) in built.items()
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="control steps per variant and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--latency-ms", type=float, default=1.0, help="modelled cost of one bus transaction")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    results = measure(args.steps, args.rounds, args.latency_ms / 1e3)
    base = results[BASELINE]
    print(f"# {' '.join(sys.argv)}")
    print(
        f"# {machine_line()}; {args.rounds} "
        f"rounds x {args.steps} steps per variant, 1 Mbaud, {args.latency_ms} ms per transaction; "
        "one step = get_observation + send_action"
    )
    header = ("variant", "transactions", "bytes", "modelled ms", "measured ms", "x modelled", "x measured")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, r in results.items():
        print(
            f"| {name.strip()} | {r['transactions']:.1f} | {r['bytes']:.0f} | {r['modelled_ms']:.3f} | "
            f"{r['measured_ms']:.3f} | {r['modelled_ms'] / base['modelled_ms']:.2f} | "
            f"{r['measured_ms'] / base['measured_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
