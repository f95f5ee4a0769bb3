# Two entry points (README): `make demo` sets up and runs the main job, `make test` the test suite.
# Both install into .venv from scratch when it is missing.

PYTHON_VERSION ?= 3.12.1
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup test demo

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v ffmpeg >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq ffmpeg; } \
		|| echo "ffmpeg not found: install it (e.g. apt-get install ffmpeg) so LeRobot's video decoder loads"
	@[ -x $(VENV)/bin/python ] || PYENV_VERSION=$(PYTHON_VERSION) python3.12 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[all,test]"
	@touch $@

# The virtual-arm end-to-end tests run first, in their own pytest process: after the rest of the
# suite their arms miss LeRobot's 34–50 ms bus timeouts far more often (docs/virtual_arm.md).
test: setup
	$(VENV)/bin/python -m pytest tests/virtual_arm
	$(VENV)/bin/python -m pytest --ignore=tests/virtual_arm

demo: setup
	MUJOCO_GL=$${MUJOCO_GL:-egl} $(VENV)/bin/lerobot-torque-benchmark --preset quick --output-dir results/torque_press_quick
