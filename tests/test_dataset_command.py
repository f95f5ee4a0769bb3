"""`lerobot-torque-dataset`: inspect, layout, units, external and plots on small local datasets.

The simulated press demonstrations (two scripted torque_press episodes, one success, one failure) run
the documented pipeline: record the unit → add external effort → inspect → plot.
"""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lerobot.datasets import LeRobotDataset

from lerobot_torque.datasets.cli import run
from lerobot_torque.datasets.effort_meta import EffortChannel, read_column
from lerobot_torque.datasets.inspection import alignment, channel_report
from lerobot_torque.datasets.units import MOTOR_MODELS
from tests.dataset_fixtures import (
    PRESS_JOINTS,
    PRESS_SEEDS,
    save_tiny_act_torque,
    with_state_names,
    write_press_demos,
)
from tests.envs.press_fixtures import make_config
from tests.tiny import CHUNK, HISTORY, STRIDE

SUBCOMMANDS = [
    ["inspect"],
    ["layout"],
    ["units"],
    ["external"],
    ["push"],
    ["plot", "episode"],
    ["plot", "prediction"],
    ["plot", "distribution"],
]


def column(dataset: LeRobotDataset, key: str) -> np.ndarray:
    return np.stack(dataset.hf_dataset.with_format("numpy")[key])


def edit(tmp_path, source: LeRobotDataset, name: str, *args: str) -> LeRobotDataset:
    """Run one editing subcommand from `source` into `tmp_path / name`."""
    out = tmp_path / name
    run(
        [
            args[0],
            f"--repo-id={source.repo_id}",
            f"--root={source.root}",
            *args[1:],
            f"--output-repo-id=local/{name}",
            f"--output-root={out}",
        ]
    )
    return LeRobotDataset(f"local/{name}", root=out)


@pytest.fixture(scope="module")
def press(tmp_path_factory) -> LeRobotDataset:
    return write_press_demos(tmp_path_factory.mktemp("press") / "demos")


@pytest.fixture(scope="module")
def press_ext(press, tmp_path_factory) -> LeRobotDataset:
    """The press demos with their unit recorded and external effort added, as the README does it."""
    base = tmp_path_factory.mktemp("press_ext")
    declared = edit(base, press, "declared", "units", "--declare=N·m")
    return edit(base, declared, "external", "external", "--model=torque_press")


@pytest.fixture(scope="module")
def state_dataset(synthetic_datasets) -> LeRobotDataset:
    return LeRobotDataset("local/synthetic_state", root=synthetic_datasets["state"])


@pytest.mark.parametrize("subcommand", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_documents_its_options(subcommand, capsys):
    with pytest.raises(SystemExit) as exit_:
        run([*subcommand, "--help"])
    assert exit_.value.code == 0 and "--repo-id" in capsys.readouterr().out


# --- inspect -------------------------------------------------------------------------------------


def test_inspect_json_gives_per_joint_statistics_units_and_the_policy_window(press_ext, capsys):
    run(
        [
            "inspect",
            f"--repo-id={press_ext.repo_id}",
            f"--root={press_ext.root}",
            "--json",
            f"--history-length={HISTORY}",
            f"--history-stride={STRIDE}",
            f"--future-frames={CHUNK}",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    names = [ch["name"] for ch in report["channels"]]
    assert names == [*PRESS_JOINTS, *(f"{j}.effort_ext" for j in PRESS_JOINTS)]
    assert {ch["unit"] for ch in report["channels"]} == {"N·m"}
    effort = column(press_ext, "observation.effort")
    assert report["channels"][1]["mean"] == pytest.approx(float(effort[:, 1].mean()), rel=1e-5)
    assert report["alignment"] == {
        "effort_without_position": [],
        "position_without_effort": [],
        "same_order": True,
    }
    span = (HISTORY - 1) * STRIDE
    lengths = [80, 80]
    assert report["history"]["history_offsets"] == [-6, -4, -2, 0]
    assert report["history"]["history_padded_fraction"] == pytest.approx(
        sum(min(n, span) for n in lengths) / 160
    )


def channel(values) -> dict:
    return channel_report(EffortChannel("observation.effort", 0, "j"), np.asarray(values, float), None, {})


def test_inspect_flags_nan_constant_saturated_and_spiking_channels():
    smooth = np.sin(np.linspace(0, 6, 200))
    spiking = smooth.copy()
    spiking[100] += 5.0
    assert channel(np.r_[smooth[:-1], np.nan]).flags == ["nan"]
    assert channel(np.full(50, 3.0)).flags == ["constant"]
    assert "saturated" in channel(np.r_[smooth * 500, np.full(40, 1000.0)]).flags
    assert channel(spiking).flags == ["outliers"] and channel(spiking).outlier_frames == 1
    hold = 3.0 + 0.05 * np.sin(np.arange(30))
    assert channel(np.r_[np.zeros(100), np.linspace(0, 3, 30), hold]).flags == []  # rest, contact ramp, hold


def test_inspect_reports_effort_joints_without_positions():
    features = {
        "observation.state": {"dtype": "float32", "shape": (3,), "names": ["a.pos", "b.pos", "a.effort"]},
    }
    channels = [
        EffortChannel("observation.state", 2, "a.effort"),
        EffortChannel("observation.state", 3, "c.effort"),
    ]
    assert alignment(features, channels) == {
        "effort_without_position": ["c"],
        "position_without_effort": ["b"],
        "same_order": True,
    }


# --- layout ---------------------------------------------------------------------------------------


def file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_split_then_merge_gives_the_original_values_exactly_and_reuses_the_videos(state_dataset, tmp_path):
    split = edit(tmp_path, state_dataset, "split", "layout", "--to=feature")
    assert split.meta.features["observation.effort"]["names"] == ["joint0.effort", "joint1.effort"]
    merged = edit(tmp_path, split, "merged", "layout", "--to=state")
    assert (
        merged.meta.features["observation.state"]["names"]
        == state_dataset.meta.features["observation.state"]["names"]
    )
    for key in ("observation.state", "action", "timestamp", "episode_index"):
        assert np.array_equal(column(merged, key), column(state_dataset, key)), key
    videos = sorted(p.relative_to(state_dataset.root) for p in state_dataset.root.glob("videos/**/*.mp4"))
    assert videos and all(file_digest(merged.root / v) == file_digest(state_dataset.root / v) for v in videos)
    assert "layout --repo-id=local/split" in merged.meta.features["observation.state"]["info"]["made_by"][-1]


def test_merging_carries_recorded_units_to_the_new_entry_names(press_ext, tmp_path):
    merged = edit(tmp_path, press_ext, "merged", "layout", "--to=state")
    units = merged.meta.features["observation.state"]["info"]["effort_units"]
    assert units == dict.fromkeys(
        ["shoulder.effort", "elbow.effort", "shoulder.effort_ext", "elbow.effort_ext"], "N·m"
    )


def test_rename_turns_other_projects_effort_names_into_ours_without_touching_data(state_dataset, tmp_path):
    foreign = with_state_names(
        state_dataset, ["joint0.pos", "joint1.pos", "joint0.eff", "joint1.tau"], tmp_path / "src"
    )
    renamed = edit(tmp_path, foreign, "renamed", "layout", "--rename")
    assert renamed.meta.features["observation.state"]["names"] == [
        "joint0.pos",
        "joint1.pos",
        "joint0.effort",
        "joint1.effort",
    ]
    data = sorted(p.relative_to(foreign.root) for p in foreign.root.glob("data/**/*.parquet"))
    assert all(file_digest(renamed.root / p) == file_digest(foreign.root / p) for p in data)


def test_rename_refuses_a_dataset_without_foreign_names(state_dataset, tmp_path):
    with pytest.raises(ValueError, match="nothing to rename"):
        edit(tmp_path, state_dataset, "renamed", "layout", "--rename")
    assert not (tmp_path / "renamed").exists() and not list(tmp_path.glob(".renamed*"))


# --- units ------------------------------------------------------------------------------------------


def test_units_convert_load_registers_to_newton_meters_and_invert_round_trips(state_dataset, tmp_path):
    factor = MOTOR_MODELS["sts3215_12v"].newton_meters_per["load"]
    nm = edit(tmp_path, state_dataset, "nm", "units", "--from=load", "--motor=sts3215_12v")
    raw, converted = column(state_dataset, "observation.state"), column(nm, "observation.state")
    np.testing.assert_array_equal(converted[:, :2], raw[:, :2])  # positions untouched
    np.testing.assert_allclose(converted[:, 2:], raw[:, 2:] * factor, rtol=1e-6)
    info = nm.meta.features["observation.state"]["info"]
    assert info["effort_units"] == {"joint0.effort": "N·m", "joint1.effort": "N·m"}
    assert info["effort_conversions"]["joint0.effort"]["motor"] == "sts3215_12v"
    np.testing.assert_allclose(
        nm.meta.stats["observation.state"]["mean"][2:], converted[:, 2:].mean(0), rtol=1e-5
    )
    episodes = pd.read_parquet(next((nm.root / "meta" / "episodes").glob("*/*.parquet")))
    first_max = np.asarray(episodes["stats/observation.state/max"][0])
    np.testing.assert_allclose(first_max[2:], converted[:60, 2:].max(0), rtol=1e-6)  # meta/episodes too

    back = edit(tmp_path, nm, "back", "units", "--invert")
    np.testing.assert_allclose(column(back, "observation.state"), raw, rtol=1e-6, atol=1e-9)
    assert back.meta.features["observation.state"]["info"]["effort_units"] == {
        "joint0.effort": "load",
        "joint1.effort": "load",
    }


def test_units_refuse_to_convert_a_recorded_unit_twice(press_ext, tmp_path):
    with pytest.raises(ValueError, match="records .*N·m"):
        edit(tmp_path, press_ext, "twice", "units", "--from=mA", "--motor=xm540_w270")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from=load", "--table=joint0=0.01"], "missing: \\['joint1'\\]"),
        (["--from=load", "--motor=xl999"], "sts3215_12v"),
        (["--from=volts", "--motor=so101"], "choose one of \\['load', 'current', 'mA'\\]"),
        (["--from=load", "--motor=xm540_w270"], "no 'load' reading"),
        (["--from=load"], "either --motor"),
    ],
)
def test_units_errors_name_the_problem_and_the_choices(state_dataset, tmp_path, args, message):
    with pytest.raises(ValueError, match=message):
        edit(tmp_path, state_dataset, "bad", "units", *args)


# --- external -----------------------------------------------------------------------------------


def test_external_effort_is_measured_minus_the_press_arm_gravity(press_ext):
    from lerobot_torque.envs.torque_press.sim import PressSimulation

    gravity = PressSimulation(make_config()).kinematics.gravity_torque
    state, effort = column(press_ext, "observation.state"), column(press_ext, "observation.effort")
    assert press_ext.meta.features["observation.state"]["names"][2:] == [
        "shoulder.effort_ext",
        "elbow.effort_ext",
    ]
    for frame in (0, 40, 120):
        expected = effort[frame] - gravity(state[frame, :2].astype(np.float64))
        np.testing.assert_allclose(state[frame, 2:], expected, atol=1e-5)


def test_external_effort_needs_effort_recorded_in_newton_meters(press, tmp_path):
    with pytest.raises(ValueError, match="needs measured effort in N·m.*units --declare N·m"):
        edit(tmp_path, press, "ext", "external", "--model=torque_press")
    assert not (tmp_path / "ext").exists() and not list(tmp_path.glob(".ext*"))


def test_outputs_never_overwrite_an_existing_folder(press, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "kept").touch()
    with pytest.raises(FileExistsError, match="already exists"):
        edit(tmp_path, press, "taken", "units", "--declare=N·m")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["kept"]


def test_sim_demos_record_the_outcome_as_next_success(press):
    success = column(press, "next.success").reshape(len(PRESS_SEEDS), -1)
    assert success[0, -1] and not success[1].any()  # seed 0 succeeds at its end, seed 1 never


# --- plots ------------------------------------------------------------------------------------------


def labels(fig) -> dict[str, list[str]]:
    axes = fig.axes
    return {
        "x": [ax.get_xlabel() for ax in axes],
        "y": [ax.get_ylabel() for ax in axes],
        "titles": [ax.get_title() for ax in axes],
        "legend": [t.get_text() for ax in axes if ax.get_legend() for t in ax.get_legend().get_texts()],
    }


def is_png(path) -> bool:
    with Image.open(path) as image:
        return image.format == "PNG" and image.size[0] > 200


def test_episode_plot_shades_contact_from_external_effort_and_marks_outcomes(press_ext, tmp_path):
    from lerobot_torque.datasets.plots import plot_episodes

    fig = plot_episodes(press_ext, [0, 1], tmp_path / "episodes.png")
    assert is_png(tmp_path / "episodes.png")
    found = labels(fig)
    assert found["titles"][:2] == ["episode 0: success", "episode 1: failure"]
    assert found["y"] == ["effort (N·m)", "effort (N·m)", "external effort (N·m)", "external effort (N·m)"]
    assert set(found["x"]) == {"", "time (s)"} and set(PRESS_JOINTS) <= set(found["legend"])
    assert "contact" in found["legend"] and "success" in found["legend"]
    assert any(patch.get_label() == "contact" for patch in fig.axes[0].patches)


def test_prediction_plot_shows_the_policy_future_effort_next_to_the_recording(press_ext, tmp_path):
    checkpoint = save_tiny_act_torque(press_ext, tmp_path / "policy")
    out = tmp_path / "prediction.png"
    run(
        [
            "plot",
            "prediction",
            f"--repo-id={press_ext.repo_id}",
            f"--root={press_ext.root}",
            f"--policy-path={checkpoint}",
            "--episode=1",
            "--frames",
            "10",
            "50",
            f"--output={out}",
        ]
    )
    assert is_png(out)
    from lerobot_torque.datasets.plots import plot_prediction

    fig = plot_prediction(press_ext, str(checkpoint), 1, [50], tmp_path / "again.png")
    found = labels(fig)
    assert found["y"] == ["shoulder (N·m)", "elbow (N·m)"] and found["legend"] == ["recorded", "predicted"]
    recorded, predicted = fig.axes[0].lines[:2]
    np.testing.assert_array_equal(
        recorded.get_ydata(), read_column(press_ext, "observation.effort")[80 + 44 : 80 + 56, 0]
    )
    assert list(predicted.get_xdata()) == list(range(51, 51 + CHUNK))


def test_distribution_plot_normalises_with_the_policy_statistics(press_ext, tmp_path):
    from lerobot_torque.datasets.plots import plot_distribution

    checkpoint = save_tiny_act_torque(press_ext, tmp_path / "policy")
    fig = plot_distribution(press_ext, tmp_path / "dist.png", policy_path=str(checkpoint))
    assert is_png(tmp_path / "dist.png")
    found = labels(fig)
    assert found["titles"][:2] == PRESS_JOINTS
    assert found["x"] == ["effort (N·m)", "effort (N·m)", "normalised (mean_std)", "normalised (mean_std)"]
    bars = fig.axes[2].patches  # the shoulder's normalised histogram
    normalised = np.repeat(
        [bar.get_x() + bar.get_width() / 2 for bar in bars], [int(bar.get_height()) for bar in bars]
    )
    assert abs(normalised.mean()) < 0.1 and abs(normalised.std() - 1) < 0.1


def test_plot_errors_name_the_valid_episodes(press_ext, tmp_path):
    from lerobot_torque.datasets.plots import plot_episodes

    with pytest.raises(ValueError, match="episodes 0…1"):
        plot_episodes(press_ext, [5], tmp_path / "x.png")
    with pytest.raises(ValueError, match="EPISODE=success"):
        plot_episodes(press_ext, [0], tmp_path / "x.png", outcomes=["0:ok"])


def test_inspect_reads_the_effort_window_of_a_trained_policy(press_ext, tmp_path, capsys):
    checkpoint = save_tiny_act_torque(press_ext, tmp_path / "policy")
    run(
        [
            "inspect",
            f"--repo-id={press_ext.repo_id}",
            f"--root={press_ext.root}",
            f"--policy-path={checkpoint}",
        ]
    )
    text = capsys.readouterr().out
    assert f"policy effort window: history offsets [-6, -4, -2, 0], {CHUNK} future frames" in text


def test_the_robots_arm_models_cover_their_arm_joints():
    from lerobot_torque.datasets.external_effort import ARM_MODELS
    from lerobot_torque.robots.interbotix import ARM_JOINTS

    so101 = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll"]
    assert ARM_MODELS["so101"].build(so101).joint_names == so101
    assert ARM_MODELS["viperx"].build(ARM_JOINTS).model_torque_nm(np.zeros(len(ARM_JOINTS))).shape == (6,)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["units", "--invert"],
            "--invert undoes a recorded conversion to N·m, but \\['shoulder', 'elbow'\\]",
        ),
        (["units", "--declare=N·m", "--from=load"], "do not combine it with --from"),
        (["units", "--declare=wrist=N·m"], "--declare names joints \\['wrist'\\]"),
        (["external", "--model=torque_press"], "already has \\['shoulder.effort_ext', 'elbow.effort_ext'\\]"),
    ],
)
def test_edits_refuse_inputs_that_would_invent_or_double_values(press_ext, tmp_path, args, message):
    with pytest.raises(ValueError, match=message):
        edit(tmp_path, press_ext, "refused", *args)
    assert not list(tmp_path.iterdir())  # nothing written, no temporary folder left


def test_prediction_plot_refuses_frames_outside_the_episode(press_ext, tmp_path):
    from lerobot_torque.datasets.plots import plot_prediction

    checkpoint = save_tiny_act_torque(press_ext, tmp_path / "policy")
    with pytest.raises(ValueError, match="outside episode 0 \\(frames 0…79\\)"):
        plot_prediction(press_ext, str(checkpoint), 0, [80], tmp_path / "x.png")
