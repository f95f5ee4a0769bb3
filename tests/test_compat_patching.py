"""The parameter check every compat patch runs before it wraps LeRobot's or draccus' functions."""

import sys

import pytest

from lerobot_torque.compat.patching import check_parameters, marked_wrapper, parameters_of


def test_a_function_that_is_gone_is_named_as_absent_with_the_fix():
    name = "lerobot.utils.feature_utils.no_such_function"
    absent = r"no_such_function takes \('x',\); the installed one has none\. Fix it"
    with pytest.raises(RuntimeError, match=absent):
        check_parameters({name: ("x",)}, "LeRobot 0.6.1", "Fix it.")


def test_a_wrapped_classmethod_shows_the_parameters_of_the_function_it_wraps():
    class Config:
        @classmethod
        def load(cls, path, revision=None):
            return path

    sys.modules[__name__].Config = Config  # reachable by a dotted name, as LeRobot's classes are
    passing_through = marked_wrapper(Config.load.__func__, lambda original, *a: original(*a), "_mark")
    Config.load = classmethod(passing_through)
    try:
        assert parameters_of(f"{__name__}.Config.load") == ("cls", "path", "revision")
        assert Config.load("here") == "here" and Config.load.__func__._mark is True
    finally:
        del sys.modules[__name__].Config
