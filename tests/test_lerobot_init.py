"""Torque policies run LeRobot's own `__init__`s with their networks: fails loudly if LeRobot changes."""

import importlib

import pytest

from lerobot.policies.act import modeling_act
from lerobot.policies.act.modeling_act import ACTPolicy

from lerobot_torque.policies.torque.lerobot_init import NAMES, lerobot_init


def lerobot_function(path: str):
    module, cls, method = path.rsplit(".", 2)
    return getattr(getattr(importlib.import_module(module), cls), method)


@pytest.mark.parametrize("path", NAMES)
def test_lerobot_still_builds_its_networks_under_the_names_we_bind(path):
    function = lerobot_function(path)
    lerobot_init(function, **dict.fromkeys(NAMES[path]))  # raises if a name is no longer looked up


def test_the_rebound_function_sees_our_name_and_lerobots_module_keeps_its_own():
    class Network:
        def __init__(self, config):
            self.config = config

    init = lerobot_init(ACTPolicy.__init__, ACT=Network)
    assert init.__globals__["ACT"] is Network and init.__code__ is ACTPolicy.__init__.__code__
    assert modeling_act.ACT is not Network and ACTPolicy.__init__.__globals__["ACT"] is modeling_act.ACT


def test_a_name_lerobot_no_longer_looks_up_names_the_file_to_update():
    with pytest.raises(RuntimeError, match=r"no longer looks up \['DETR'\].*torque/lerobot_init.py"):
        lerobot_init(ACTPolicy.__init__, DETR=object)
