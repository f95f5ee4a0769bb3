"""`lerobot-torque-virtual-arm`: a simulated arm on a serial device path, until Ctrl-C.

    lerobot-torque-virtual-arm --arm so101_follower --link /tmp/virtual_follower \\
        --calibration_dir ~/virtual_arms/calibration/robots/so_follower --id follower

prints the port to pass as `--robot.port` (or `--teleop.port` for a leader) and runs the arm in
real time. With `--calibration_dir` the arm starts calibrated and writes the matching LeRobot
calibration file; without it the arm is in its factory state and `lerobot-calibrate` (with
`--hand sweep`) calibrates it like a real one.
"""

import argparse
import ctypes
import ctypes.util
import logging
import signal
import sys
import threading
from pathlib import Path

from lerobot_torque.virtual_arm.arms import ARMS, make_arm_parts
from lerobot_torque.virtual_arm.hand import HandMotion

logger = logging.getLogger(__name__)

MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4  # <sys/mman.h> on Linux (ONFAULT: 4.4+)
SWITCH_INTERVAL_S = 0.0005  # Python's default 5 ms GIL hand-over would delay bus replies
DEFAULT_HAND = {"follower": HandMotion.HOLD, "leader": HandMotion.WAVE}


def lock_memory_if_permitted() -> None:
    """Keep this process's pages in RAM (mlockall) where allowed: a page the kernel reclaimed while
    the arm sat idle costs a fault and a disk read when the next packet needs it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0:  # only pages in use
            logger.debug("mlockall refused (errno %d); pages may be reclaimed", ctypes.get_errno())
    except (OSError, AttributeError):
        logger.debug("mlockall is not available here")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lerobot-torque-virtual-arm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--arm", required=True, choices=sorted(ARMS), help="which arm to simulate")
    parser.add_argument(
        "--hand",
        choices=[m.value for m in HandMotion],
        help="what moves joints whose torque is off: hold (follower default), wave (leader default: "
        "a scripted operator pressing the block), sweep (for lerobot-calibrate)",
    )
    parser.add_argument(
        "--link", help="also make this symlink to the device path, e.g. /tmp/virtual_follower"
    )
    parser.add_argument("--calibration_dir", type=Path, help="start calibrated; write <dir>/<id>.json")
    parser.add_argument(
        "--id", default=None, help="calibration file name (LeRobot's --robot.id / --teleop.id)"
    )
    parser.add_argument(
        "--zero_effort", action="store_true", help="report zero load and current (a dead effort sensor)"
    )
    parser.add_argument(
        "--camera_port",
        type=int,
        help="publish a rendered 64x48 view (10 fps) on this localhost port, for --robot.cameras type zmq",
    )
    parser.add_argument("--trace", type=Path, help="append a JSON-lines record of bus reads and writes here")
    args = parser.parse_args(argv)
    if args.calibration_dir is not None and not args.id:
        parser.error(
            "--calibration_dir needs --id (the same id you pass to LeRobot as --robot.id/--teleop.id)"
        )
    if args.hand is None:
        args.hand = DEFAULT_HAND["leader" if args.arm.endswith("leader") else "follower"]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Answer bus packets within LeRobot's 50 ms packet timeout while physics and rendering run.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    lock_memory_if_permitted()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from lerobot_torque.virtual_arm.virtual_arm import VirtualArm

    arm = VirtualArm(
        make_arm_parts(args.arm),
        HandMotion(args.hand),
        link=args.link,
        zero_effort=args.zero_effort,
        trace_path=args.trace,
        camera_port=args.camera_port,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with arm:
        if args.calibration_dir is not None:
            path = arm.calibrate(args.calibration_dir, args.id)
            logger.info("Calibration written to %s", path)
        print(f"Virtual {args.arm} on {arm.path} (device {arm.port.device}); Ctrl-C to stop.", flush=True)
        stop.wait()
    sys.exit(0)


if __name__ == "__main__":
    main()
