# Two entry points (README): `make demo` sets up and runs the main job, `make test` the test suite.
# Both install into .venv from scratch when it is missing.

PYTHON_VERSION ?= 3.12.1
VENV := .venv
STAMP := $(VENV)/.installed

# LeRobot's unreleased main, checked by a second pass over the same environment: its sources first on
# PYTHONPATH (lerobot-* subprocesses inherit it). .ci/upstream/README.md says what the tarball is.
UPSTREAM_TARBALL ?= .ci/upstream/lerobot-main-7427f31.tar.gz
UPSTREAM_CACHE ?= .cache/lerobot-upstream
# ≈ 1.5 min on 2 cores: the compat and discovery tests, and lerobot-train with act_torque in both effort
# layouts and with pi0_torque from pi0_base (subprocess tests that check no LeRobot API are left out).
UPSTREAM_TESTS ?= \
	tests/test_lerobot_versions.py \
	tests/test_lerobot_init.py \
	tests/test_compat_dataset_windows.py \
	--deselect=tests/test_compat_dataset_windows.py::test_a_spawned_dataloader_worker_gets_the_backport_when_it_receives_the_dataset \
	tests/test_compat_rollout_features.py \
	--deselect=tests/test_compat_rollout_features.py::test_plugin_import_stays_light_and_patches_lerobot_rollout_when_it_is_imported \
	--deselect=tests/test_compat_rollout_features.py::test_lerobot_rollout_reports_the_missing_effort_in_the_terminal \
	tests/test_plugin_discovery.py::test_lerobots_plugin_registry_imports_our_policies \
	tests/test_lerobot_train.py::test_training_writes_a_checkpoint_that_records_the_effort_layout \
	tests/test_lerobot_train.py::test_checkpoint_round_trip_gives_identical_actions \
	tests/test_lerobot_train.py::test_live_history_reproduces_the_training_window_through_the_trained_policy \
	tests/test_lerobot_train.py::test_feature_layout_trains_and_a_long_history_warns_once \
	tests/test_pi0_lerobot_train.py::test_pi0_torque_fine_tunes_from_pi0_base
UPSTREAM_DIR := $(UPSTREAM_CACHE)/$(basename $(basename $(notdir $(UPSTREAM_TARBALL))))
UPSTREAM_STAMP := $(UPSTREAM_DIR)/.extracted
UPSTREAM_PYTEST = PYTHONPATH="$(abspath $(UPSTREAM_DIR))/src$${PYTHONPATH:+:$$PYTHONPATH}" \
	LEROBOT_TORQUE_UPSTREAM_SRC="$(abspath $(UPSTREAM_DIR))/src" $(VENV)/bin/python -m pytest $(UPSTREAM_TESTS)

.PHONY: setup test test-upstream demo

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v ffmpeg >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq ffmpeg; } \
		|| echo "ffmpeg not found: install it (e.g. apt-get install ffmpeg) so LeRobot's video decoder loads"
	@[ -x $(VENV)/bin/python ] || PYENV_VERSION=$(PYTHON_VERSION) python3.12 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[all,test]"
	@touch $@

# The tests with a virtual arm run first, one at a time, in their own pytest process: next to a second
# worker's real-time processes an arm can get no core for the SDK's polling client (docs/virtual_arm.md).
# The rest runs on 2 pytest workers (pytest-xdist), a test file per worker so that module fixtures are
# built once; most of its time is single-threaded lerobot-* subprocesses.
test: setup $(UPSTREAM_STAMP)
	$(VENV)/bin/python -m pytest tests/virtual_arm --durations=15
	$(VENV)/bin/python -m pytest --ignore=tests/virtual_arm -n 2 --dist loadfile --durations=25
	$(UPSTREAM_PYTEST)

test-upstream: setup $(UPSTREAM_STAMP)
	$(UPSTREAM_PYTEST)

# Extracted into a sibling first, renamed when complete: an interrupted extraction is redone.
$(UPSTREAM_STAMP): $(UPSTREAM_TARBALL)
	rm -rf "$(UPSTREAM_DIR)" "$(UPSTREAM_DIR).partial" && mkdir -p "$(UPSTREAM_DIR).partial"
	tar -xzf "$<" --strip-components=1 -C "$(UPSTREAM_DIR).partial"
	@[ -f "$(UPSTREAM_DIR).partial/src/lerobot/__init__.py" ] || { echo "$< has no <top directory>/src/lerobot/__init__.py: pass a tarball of LeRobot's sources laid out like .ci/upstream/lerobot-main-7427f31.tar.gz"; exit 1; }
	touch "$(UPSTREAM_DIR).partial/.extracted" && mv "$(UPSTREAM_DIR).partial" "$(UPSTREAM_DIR)"

$(UPSTREAM_TARBALL):
	@echo "UPSTREAM_TARBALL=$@ does not exist: pass the path of a LeRobot source tarball (see .ci/upstream/README.md)"; exit 1

demo: setup
	MUJOCO_GL=$${MUJOCO_GL:-egl} $(VENV)/bin/lerobot-torque-benchmark --preset quick --output-dir results/torque_press_quick
