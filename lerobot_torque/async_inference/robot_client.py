"""`python -m lerobot_torque.async_inference.robot_client`: LeRobot's robot client plus the effort window.

Subclasses `RobotClient` (lerobot/async_inference/robot_client.py), with LeRobot's flags
(`RobotClientConfig`, lerobot/async_inference/configs.py). For a torque policy it reads the window
offsets from the policy's config (`--pretrained_name_or_path`, a Hub id or a path that exists on this
machine too), then:

- samples the robot every control step: the observation on steps that send one, and the robot's
  `read_state()` (positions and effort in one bus read, no camera; `get_observation()` for robots
  without it) on the others, both at the same point of LeRobot's control loop;
- sends each observation with the window of its step (`effort_window.py`) and tells the server it
  does (`TorqueRemotePolicyConfig`).

Frame 0 of the window is the client's first control step (its episode start). The offsets are frames
of the policy's training data: run the client at that data's fps (`--fps`). For other policies the
client is LeRobot's.
"""

import logging
import threading
from dataclasses import asdict, fields
from pprint import pformat

import draccus

from lerobot.async_inference.configs import RobotClientConfig
from lerobot.async_inference.helpers import (
    RawObservation,
    RemotePolicyConfig,
    TimedObservation,
    visualize_action_queue_size,
)
from lerobot.async_inference.robot_client import RobotClient
from lerobot.cameras.zmq import ZMQCameraConfig  # noqa: F401 - `--robot.cameras` type zmq, as lerobot-record
from lerobot.configs import PreTrainedConfig
from lerobot.utils.import_utils import register_third_party_plugins

from lerobot_torque.async_inference.effort_window import (
    EFFORT_WINDOW_KEY,
    EffortWindow,
    EffortWindowSampler,
    TorqueRemotePolicyConfig,
)
from lerobot_torque.policies.torque import TorquePolicyConfigMixin


def policy_effort_window(policy_type: str, pretrained_name_or_path: str) -> tuple[str, list[int]] | None:
    """The dataset key and history offsets a torque policy reads, or None for other policies."""
    config_class = PreTrainedConfig.get_known_choices().get(policy_type)
    if config_class is None or not issubclass(config_class, TorquePolicyConfigMixin):
        return None  # the server refuses unknown types with its list
    try:
        config = PreTrainedConfig.from_pretrained(pretrained_name_or_path)
    except (FileNotFoundError, ValueError) as e:
        raise FileNotFoundError(
            f"The client reads the effort history offsets of {policy_type} from the policy's config.json, "
            f"but could not load it from '{pretrained_name_or_path}' ({e}). Give a Hub id, or a path that "
            "exists on this machine too (a copy of the checkpoint's config.json is enough)."
        ) from e
    torque = getattr(config, "torque", None)
    if torque is None or torque.layout is None:
        return None
    return torque.layout.key, torque.history_offsets()


class TorqueRobotClient(RobotClient):
    """LeRobot's `RobotClient` that samples the robot every control step and sends the effort window."""

    def __init__(self, config: RobotClientConfig):
        window = policy_effort_window(config.policy_type, config.pretrained_name_or_path)  # before connecting
        super().__init__(config)
        self.effort_window: EffortWindowSampler | None = None
        self._step_unsampled = False
        if window is None:
            return
        key, offsets = window
        specs = {f.name: getattr(self.policy_config, f.name) for f in fields(RemotePolicyConfig)}
        self.policy_config = TorqueRemotePolicyConfig(
            **specs, effort_window_key=key, effort_window_offsets=offsets
        )
        feature = self.policy_config.lerobot_features.get(key)
        if feature is not None:  # else the server refuses the instructions, naming the robot's features
            self.effort_window = EffortWindowSampler(key, feature, offsets)
        self._read_state = getattr(self.robot, "read_state", None)
        if self._read_state is None:
            self.logger.info("%s has no read_state(); sampling effort with get_observation()", self.robot)
            self._read_state = self.robot.get_observation

    def _ready_to_send_observation(self) -> bool:
        """LeRobot's check, called once per control step; on steps that send no observation this also
        samples the robot (steps that send one sample it in `send_observation`)."""
        ready = super()._ready_to_send_observation()
        if self.effort_window is not None:
            if self._step_unsampled and self.effort_window.latest is not None:
                self.logger.warning(
                    "No robot reading at the last control step: its effort frame repeats the one before."
                )
                self.effort_window.hold()
            self._step_unsampled = True
            if not ready:
                self._sample(self._read_state())
        return ready

    def send_observation(self, obs: TimedObservation) -> bool:
        """LeRobot's `send_observation`, with this control step's effort window in the observation."""
        if self.effort_window is not None:
            raw: RawObservation = obs.get_observation()
            raw[EFFORT_WINDOW_KEY] = self._sample(raw)
        return super().send_observation(obs)

    def _sample(self, state: dict) -> EffortWindow:
        self._step_unsampled = False
        return self.effort_window.add(state)


@draccus.wrap()
def async_client(cfg: RobotClientConfig) -> None:
    """LeRobot's `async_client` (lerobot/async_inference/robot_client.py) with `TorqueRobotClient`."""
    logging.info(pformat(asdict(cfg)))
    client = TorqueRobotClient(cfg)
    if not client.start():
        client.stop()
        raise SystemExit(
            "The policy server did not accept the policy instructions; its reason is logged above."
        )
    receiver = threading.Thread(target=client.receive_actions, daemon=True)
    receiver.start()
    try:
        client.control_loop(task=cfg.task)
    finally:
        client.stop()
        receiver.join()
        if cfg.debug_visualize_queue_size:
            visualize_action_queue_size(client.action_queue_size)
        client.logger.info("Client stopped")


if __name__ == "__main__":
    register_third_party_plugins()
    async_client()
