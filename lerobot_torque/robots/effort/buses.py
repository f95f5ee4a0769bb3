"""LeRobot motor buses that read several registers of every motor in one bus transaction.

LeRobot's `sync_read` reads one register per transaction, so position + effort would cost two
round trips per step. The registers we need are close together in both control tables, so one
sync-read of the span that covers them returns all of them:
- Feetech STS3215: Present_Position (56) … Present_Load (60) = 6 bytes, … Present_Current (69) = 15
  bytes; Feetech's own SDK reads this block in one packet (`SMS_STS::FeedBack`, addresses 56–70).
- Dynamixel X: Present_Current (126), Present_Velocity (128), Present_Position (132) = 10 bytes; the
  Interbotix driver that recorded the ALOHA datasets reads exactly this block (xs_sdk_obj.cpp,
  `SYNC_READ_HANDLER_FOR_PRESENT_POSITION_VELOCITY_CURRENT`).

`sync_read_block` also checks that every motor's reply arrived (LeRobot's `sync_read` returns 0 for a
motor whose packet is missing) and retries corrupted or timed-out transactions before raising.
"""

import logging
from collections.abc import Sequence

from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.feetech import FeetechMotorsBus
from lerobot.motors.motors_bus import NameOrID, Value, get_address
from lerobot.utils.decorators import check_if_not_connected

from lerobot_torque.robots.effort.feetech_units import PRESENT_CURRENT_SIGN_BIT

logger = logging.getLogger(__name__)


class BlockReadMixin:
    """Adds `sync_read_block` to a LeRobot `SerialMotorsBus` subclass (put the mixin first)."""

    @check_if_not_connected
    def sync_read_block(
        self,
        data_names: Sequence[str],
        motors: NameOrID | Sequence[NameOrID] | None = None,
        *,
        normalize: bool = True,
        num_retry: int = 0,
    ) -> dict[str, dict[str, Value]]:
        """Read `data_names` of `motors` in one sync-read transaction.

        Returns `{data_name: {motor: value}}`, sign-decoded, and normalised like `sync_read` when
        `normalize` is true. Raises `ConnectionError` after `1 + num_retry` failed transactions.
        """
        self._assert_protocol_is_compatible("sync_read")
        names = self._get_motors_list(motors)
        ids = [self.motors[motor].id for motor in names]
        model = self.motors[names[0]].model
        spans = {name: get_address(self.model_ctrl_table, model, name) for name in data_names}
        start = min(addr for addr, _ in spans.values())
        length = max(addr + size for addr, size in spans.values()) - start

        self._setup_sync_reader(ids, start, length)
        for attempt in range(1 + num_retry):
            comm = self.sync_reader.txRxPacket()
            missing = [id_ for id_ in ids if not self.sync_reader.isAvailable(id_, start, length)]
            if self._is_comm_success(comm) and not missing:
                break
            result = self.packet_handler.getTxRxResult(comm)
            logger.debug(
                "Block read %s (attempt %d/%d) failed: %s, missing ids %s",
                list(data_names), attempt + 1, 1 + num_retry, result, missing,
            )  # fmt: skip
        else:
            raise ConnectionError(
                f"Could not read {list(data_names)} from motors {ids} on port '{self.port}' after "
                f"{1 + num_retry} attempts (last result: {result}; no valid reply from ids {missing}). "
                "Check the arm's power supply and cable; if this happens only now and then, raise the "
                "robot's `num_read_retries`."
            )

        values: dict[str, dict[str, Value]] = {}
        for name, (addr, size) in spans.items():
            raw = {id_: self.sync_reader.getData(id_, addr, size) for id_ in ids}
            decoded = self._decode_sign(name, raw)
            if normalize and name in self.normalized_data:
                decoded = self._normalize(decoded)
            values[name] = {self._id_to_name(id_): value for id_, value in decoded.items()}
        return values


def _with_current_sign(tables: dict[str, dict], ctrl_tables: dict[str, dict]) -> dict[str, dict]:
    """Feetech encoding tables plus the sign bit of `Present_Current` for models that have it."""
    return {
        model: {**table, "Present_Current": PRESENT_CURRENT_SIGN_BIT}
        if table and "Present_Current" in ctrl_tables.get(model, {})
        else dict(table)
        for model, table in tables.items()
    }


class WrongPortHintMixin:
    """Says which bus was expected when LeRobot's handshake finds no or other motors on the port."""

    bus_description: str

    def _handshake(self) -> None:
        try:
            super()._handshake()
        except (ConnectionError, RuntimeError) as e:
            # RuntimeError, as LeRobot's motor check: its `_connect` rewrites OSErrors (ConnectionError
            # included) into a generic "Could not connect" that would drop this hint.
            raise RuntimeError(
                f"No {self.bus_description} with motors {sorted(self.ids)} answered on port '{self.port}'. "
                f"Check that it is this arm's port (`lerobot-find-port` lists them; another arm's bus, e.g. "
                "a Dynamixel arm on a Feetech robot type or the reverse, gives this error), that the arm is "
                "powered, and that its motors have their ids (`lerobot-setup-motors`). LeRobot reported:\n"
                f"{e}"
            ) from e


class FeetechEffortBus(WrongPortHintMixin, BlockReadMixin, FeetechMotorsBus):
    """LeRobot's Feetech bus + block reads + sign decoding of `Present_Current` (bit 15)."""

    bus_description = "Feetech bus (SCS protocol 0, STS3215 servos)"

    model_encoding_table = _with_current_sign(
        FeetechMotorsBus.model_encoding_table, FeetechMotorsBus.model_ctrl_table
    )


class DynamixelEffortBus(WrongPortHintMixin, BlockReadMixin, DynamixelMotorsBus):
    """LeRobot's Dynamixel bus + block reads (`Present_Current` is already decoded by LeRobot)."""

    bus_description = "Dynamixel bus (protocol 2.0, X-series servos)"
