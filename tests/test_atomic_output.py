"""`atomic_output`: an output folder appears complete or not at all, and nothing left blocks a rerun."""

import os
import signal
import tempfile

import pytest

from lerobot_torque.atomic_output import STAGING_MARK, atomic_output, lock_folder, unlock_folder
from tests.kill_point import python_signal_defaults  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("python_signal_defaults")


def write_two_files(staging):
    staging.mkdir()
    (staging / "data.txt").write_text("data")
    (staging / "stats.json").write_text("{}")


def test_the_output_appears_only_when_the_block_completes(tmp_path):
    target = tmp_path / "out"
    with atomic_output(target, option="--root") as staging:
        write_two_files(staging)
        assert not target.exists()
        assert staging.parent.parent == tmp_path  # a sibling: the rename stays on one filesystem
    assert sorted(p.name for p in target.iterdir()) == ["data.txt", "stats.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_error_in_the_block_leaves_nothing_behind(tmp_path):
    with (
        pytest.raises(RuntimeError, match="boom"),
        atomic_output(tmp_path / "out", option="--root") as staging,
    ):
        write_two_files(staging)
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_sigterm_leaves_nothing_behind_and_exits_with_the_shells_status(tmp_path):
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exit_info, atomic_output(tmp_path / "out", option="--root") as staging:
        write_two_files(staging)
        os.kill(os.getpid(), signal.SIGTERM)
    assert exit_info.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is previous


def test_an_existing_output_is_refused_with_the_fix_and_left_as_it_was(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "mine.txt").write_text("keep")
    with (
        pytest.raises(FileExistsError, match=r"--output-root=.*out already exists.*rm -r"),
        atomic_output(target, option="--output-root"),
    ):
        pytest.fail("the block must not run")
    assert (target / "mine.txt").read_text() == "keep" and len(list(tmp_path.iterdir())) == 1


def test_an_empty_output_folder_counts_as_free(tmp_path):
    (tmp_path / "out").mkdir()
    with atomic_output(tmp_path / "out", option="--root") as staging:
        write_two_files(staging)
    assert (tmp_path / "out" / "data.txt").exists()


def test_a_killed_runs_leftover_is_removed_and_a_running_ones_is_kept(tmp_path):
    stale = tempfile.mkdtemp(prefix="out" + STAGING_MARK, dir=tmp_path)  # its process is gone
    running = tempfile.mkdtemp(prefix="out" + STAGING_MARK, dir=tmp_path)
    descriptor = lock_folder(running)  # as the writing process holds it
    try:
        with atomic_output(tmp_path / "out", option="--root") as staging:
            write_two_files(staging)
    finally:
        unlock_folder(descriptor)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", os.path.basename(running)])
    assert not os.path.exists(stale)


def test_parent_folders_it_created_are_removed_after_a_failure(tmp_path):
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "data" / "demos", option="--root") as staging:
        write_two_files(staging)
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_a_programs_own_sigterm_handler_is_left_in_place(tmp_path):
    received = []
    signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    with atomic_output(tmp_path / "out", option="--root") as staging:
        write_two_files(staging)
        os.kill(os.getpid(), signal.SIGTERM)
    assert received == [signal.SIGTERM] and (tmp_path / "out" / "data.txt").exists()
