"""Runtime properties of a running virtual arm that keep its replies within the SDKs' timeouts."""

import gc

from lerobot_torque.virtual_arm.arms import make_arm_parts
from lerobot_torque.virtual_arm.hand import HandMotion
from lerobot_torque.virtual_arm.virtual_arm import VirtualArm


def test_a_started_arm_keeps_existing_objects_out_of_full_garbage_collections():
    """A full collection of ~500k objects (torch is imported) stops the bus thread for ~250 ms."""
    arm = VirtualArm(make_arm_parts("so101_follower"), HandMotion.HOLD)
    gc.unfreeze()
    with arm:
        assert gc.get_freeze_count() > 100_000
