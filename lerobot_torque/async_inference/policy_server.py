"""`python -m lerobot_torque.async_inference.policy_server`: LeRobot's policy server for plugin policies.

Subclasses `PolicyServer` (lerobot/async_inference/policy_server.py), with LeRobot's flags
(`PolicyServerConfig`, lerobot/async_inference/configs.py), and changes three things:

- Policy types: LeRobot's `SUPPORTED_POLICIES` plus every type an installed plugin registers
  (`act_torque`, `pi0_torque`); any other type is refused with that list.
- A torque policy that reads an effort history of more than one frame is served only to our robot
  client (`robot_client.py`), which sends the history window with each observation; LeRobot's own
  client is refused with what to run instead, as is a robot whose features lack the policy's effort.
- Each chunk's batch carries the observation's window under the policy's effort key, so the policy
  reads the window its training data had for that frame (`effort_window.py`), not a history of the
  few observations the server received.

Queueing, filtering, timing and the policy's pre/post-processors are LeRobot's. Refusals reach the
client as gRPC INVALID_ARGUMENT with the message.

LeRobot's server unpickles whatever clients send: listen on localhost or a trusted network only.
"""

import logging
import pickle  # nosec: LeRobot's protocol; see the module docstring
import threading
from concurrent import futures
from dataclasses import asdict
from pprint import pformat

import draccus
import grpc

from lerobot.async_inference import policy_server as lerobot_policy_server
from lerobot.async_inference.configs import PolicyServerConfig
from lerobot.async_inference.constants import SUPPORTED_POLICIES
from lerobot.async_inference.helpers import RemotePolicyConfig, TimedAction, TimedObservation
from lerobot.async_inference.policy_server import PolicyServer
from lerobot.configs import PreTrainedConfig
from lerobot.transport import services_pb2_grpc  # type: ignore
from lerobot.utils.constants import OBS_STR
from lerobot.utils.feature_utils import build_dataset_frame
from lerobot.utils.import_utils import register_third_party_plugins

from lerobot_torque.async_inference.effort_window import (
    EffortWindow,
    TorqueRemotePolicyConfig,
    checked_window,
)
from lerobot_torque.policies.torque import TorquePolicyConfigMixin

logger = logging.getLogger(__name__)

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
CLIENT_COMMAND = "python -m lerobot_torque.async_inference.robot_client"


def supported_policy_types() -> list[str]:
    """LeRobot's async-inference policy types, then those registered by installed plugins."""
    plugins = [
        name
        for name, config_class in PreTrainedConfig.get_known_choices().items()
        if not config_class.__module__.startswith("lerobot.")
    ]
    return list(dict.fromkeys([*SUPPORTED_POLICIES, *plugins]))


class WindowedPreprocessor:
    """The policy's preprocessor, applied to LeRobot's observation plus the effort window of the call.

    LeRobot's `raw_observation_to_observation` keeps only the state, the images and the task, so the
    window is added here; the normaliser broadcasts the per-entry stats over its frame dimension.
    """

    def __init__(self, pipeline, call: threading.local):
        self.pipeline, self._call = pipeline, call

    def __call__(self, observation: dict) -> dict:
        window: EffortWindow | None = getattr(self._call, "window", None)
        return self.pipeline(observation if window is None else {**observation, **window.batch()})


class TorquePolicyServer(PolicyServer):
    """LeRobot's `PolicyServer` for plugin policy types, feeding torque policies the client's window."""

    def __init__(self, config: PolicyServerConfig):
        super().__init__(config)
        self.supported_policies = supported_policy_types()
        # LeRobot's SendPolicyInstructions checks its module-level list; ours runs first and refuses
        # with a message, so that list is given the plugin types (in this process only).
        lerobot_list = lerobot_policy_server.SUPPORTED_POLICIES
        lerobot_list.extend(name for name in self.supported_policies if name not in lerobot_list)
        self.effort_window: tuple[str, list[int]] | None = None  # (key, offsets) every observation carries
        self._call = threading.local()  # the window of the chunk being computed, per gRPC thread

    @property
    def current_effort_window(self) -> EffortWindow | None:
        """The window of the chunk this thread is computing (None outside `_predict_action_chunk`)."""
        return getattr(self._call, "window", None)

    def SendPolicyInstructions(self, request, context):  # noqa: N802 (gRPC method name)
        """LeRobot's handler after our checks; refusals abort the call with their message."""
        specs = pickle.loads(request.data)  # nosec: LeRobot's handler unpickles the same bytes
        if not (self.running and isinstance(specs, RemotePolicyConfig)):
            return super().SendPolicyInstructions(request, context)  # LeRobot's warning or TypeError
        try:
            window = self._effort_window_for(specs)
        except ValueError as e:
            self.logger.error("Refused policy instructions: %s", e)
            self.policy = self.preprocessor = self.postprocessor = None  # serve nothing until accepted
            self.effort_window = None
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        response = super().SendPolicyInstructions(request, context)
        self.effort_window = window
        self.preprocessor = WindowedPreprocessor(self.preprocessor, self._call)
        return response

    def _effort_window_for(self, specs: RemotePolicyConfig) -> tuple[str, list[int]] | None:
        """The window every observation must carry for this policy, or None; ValueError to refuse."""
        if specs.policy_type not in self.supported_policies:
            raise ValueError(
                f"Policy type '{specs.policy_type}' is not served here. Supported: "
                f"{self.supported_policies} (LeRobot's async-inference policies and the types of "
                "installed plugins). Check --policy_type, or install the plugin that registers it."
            )
        config_class = PreTrainedConfig.get_known_choices()[specs.policy_type]
        if not issubclass(config_class, TorquePolicyConfigMixin):
            return None
        try:
            config = PreTrainedConfig.from_pretrained(specs.pretrained_name_or_path)
        except FileNotFoundError as e:
            raise ValueError(f"Cannot load the {specs.policy_type} policy: {e}") from e
        torque = getattr(config, "torque", None)
        if torque is None or torque.layout is None:
            return None
        layout = torque.layout
        found = torque.find_layout(specs.lerobot_features, required=False)
        if found is None or found.key != layout.key:
            raise ValueError(
                f"{specs.policy_type} reads effort {layout.names} from '{layout.key}', but the robot's "
                f"observation features are {sorted(specs.lerobot_features)}"
                f"{'' if found is None else f' with effort in {found.key!r}'}. Use the robot type the "
                "policy was trained with (an '*_torque' robot); for a policy trained on a separate "
                "'observation.effort', convert its dataset with `lerobot-torque-effort-layout --to=state` "
                "and train on that."
            )
        layout.check_compatible(found)
        offsets = torque.history_offsets()
        if not isinstance(specs, TorqueRemotePolicyConfig):
            if len(offsets) == 1:
                return None  # the current frame only: the policy's own one-frame history is exact
            raise ValueError(
                f"{specs.policy_type} reads an effort history of {len(offsets)} frames (offsets "
                f"{offsets}), but this client sends observations only when its action queue runs low, "
                f"so that history would have gaps no training window has. Run `{CLIENT_COMMAND}` "
                "(same flags as LeRobot's robot_client), which sends the window with each observation."
            )
        if specs.effort_window_key != layout.key or specs.effort_window_offsets != offsets:
            raise ValueError(
                f"The client sends effort windows of '{specs.effort_window_key}' at offsets "
                f"{specs.effort_window_offsets}, but the policy at '{specs.pretrained_name_or_path}' reads "
                f"'{layout.key}' at {offsets}. Give the client the same --pretrained_name_or_path "
                "(its config.json must be the server's)."
            )
        return layout.key, offsets

    def _predict_action_chunk(self, observation_t: TimedObservation) -> list[TimedAction]:
        """LeRobot's `_predict_action_chunk`, with the observation's effort window in the batch."""
        window = None
        if self.effort_window is not None:
            key, offsets = self.effort_window
            raw = observation_t.get_observation()
            current = build_dataset_frame({key: self.lerobot_features[key]}, raw, prefix=OBS_STR)[key]
            window = checked_window(raw, key, offsets, current)
        self._call.window = window
        try:
            return super()._predict_action_chunk(observation_t)
        finally:
            self._call.window = None


def start_server(policy_server: TorquePolicyServer, max_workers: int = 4) -> grpc.Server:
    """Serve `policy_server` on its `host:port` (as LeRobot's `serve`) and return the started server."""
    config = policy_server.config
    if config.host not in LOOPBACK_HOSTS:
        logger.warning(
            "Listening on %s: LeRobot's policy server unpickles what clients send, so anyone who can "
            "reach this port can run code here. Use localhost or a trusted network only.",
            config.host,
        )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers))
    services_pb2_grpc.add_AsyncInferenceServicer_to_server(policy_server, server)
    server.add_insecure_port(f"{config.host}:{config.port}")
    server.start()
    policy_server.logger.info(
        "PolicyServer started on %s:%s, serving %s",
        config.host,
        config.port,
        policy_server.supported_policies,
    )
    return server


@draccus.wrap()
def serve(cfg: PolicyServerConfig) -> None:
    """Run the server until interrupted (LeRobot's flags: `--host`, `--port`, `--fps`, ...)."""
    logging.info(pformat(asdict(cfg)))
    policy_server = TorquePolicyServer(cfg)
    start_server(policy_server).wait_for_termination()
    policy_server.logger.info("Server terminated")


if __name__ == "__main__":
    register_third_party_plugins()
    serve()
