"""Async inference for the torque policies: LeRobot's policy server and robot client, subclassed.

LeRobot's client (lerobot/async_inference/robot_client.py) sends an observation only when its action
queue runs low, so a policy that keeps its effort history on the server would see gaps no training
window has. Our client samples the robot every control step and sends the effort window with each
observation (`effort_window`); our server (`policy_server`) also serves plugin policy types.

    python -m lerobot_torque.async_inference.policy_server --host=127.0.0.1 --port=8080 --fps=30
    python -m lerobot_torque.async_inference.robot_client --robot.type=so101_follower_torque ...

Needs `pip install "lerobot_policy_torque[async]"` (LeRobot's `async` extra: grpcio).
"""

import importlib.util

if importlib.util.find_spec("grpc") is None:
    raise ImportError(
        "lerobot_torque.async_inference needs grpcio, which is not installed. Install it with: "
        'pip install "lerobot_policy_torque[async]"'
    )
