"""Every test that starts a virtual arm lives in `tests/virtual_arm/`, which `make test` runs first,
one test at a time, in its own pytest process.

In the parallel part of the suite a client polling the SDK and a second worker's process can hold
both cores at real-time priority (docs/virtual_arm.md), and the arm then answers nothing.
"""

import re
from pathlib import Path

TESTS = Path(__file__).parent
STARTS_AN_ARM = re.compile(r"\b(running_virtual_arm|VirtualArm|PtyPort)\(")


def test_no_test_outside_tests_virtual_arm_starts_a_virtual_arm():
    outside = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("*.py"))
        if "virtual_arm" not in path.relative_to(TESTS).parts[:1]
        and path.name != Path(__file__).name
        and STARTS_AN_ARM.search(path.read_text())
    ]
    assert not outside, f"Move these tests to tests/virtual_arm/: {outside}"


def test_make_test_runs_the_virtual_arm_tests_alone_before_the_parallel_part():
    recipe = (TESTS.parent / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in recipe.splitlines()[1:]]
    assert lines[0].startswith("$(VENV)/bin/python -m pytest tests/virtual_arm") and " -n " not in lines[0]
    assert "--ignore=tests/virtual_arm" in lines[1]
