"""External torque (paper §3, appendix A.2) against MuJoCo itself on known poses."""

import numpy as np
import pytest

mujoco = pytest.importorskip("mujoco")

from lerobot_torque.robots.effort.external import MAX_RATE_GAP_S, ExternalEffortModel, JointRates  # noqa: E402
from lerobot_torque.robots.effort.feetech_units import kgf_cm_to_newton_meters  # noqa: E402
from lerobot_torque.robots.effort.options import DEFAULT_LIMIT_FRACTION_OF_STALL  # noqa: E402
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SO101_MJCF  # noqa: E402

SO_ARM = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll"]
POSES = [np.zeros(5), np.array([0.3, -1.2, 0.8, 0.5, -1.0]), np.array([-1.0, 0.9, -1.4, -0.7, 2.0])]


@pytest.fixture(scope="module")
def so_model() -> ExternalEffortModel:
    return ExternalEffortModel(mujoco.MjModel.from_xml_path(str(SO101_MJCF)), {j: j for j in SO_ARM})


def reference_data(q: np.ndarray, qd=None) -> tuple:
    """A separate MuJoCo model and data at pose q, computed with mj_forward (no inverse dynamics)."""
    model = mujoco.MjModel.from_xml_path(str(SO101_MJCF))
    data = mujoco.MjData(model)
    data.qpos[:] = q
    if qd is not None:
        data.qvel[:] = qd
    mujoco.mj_forward(model, data)
    return model, data


@pytest.mark.parametrize("q", POSES)
def test_gravity_torque_equals_mujocos_bias_force_at_rest(so_model, q):
    _, data = reference_data(q)
    np.testing.assert_allclose(so_model.model_torque_nm(q), data.qfrc_bias, atol=1e-12)


@pytest.mark.parametrize("q", POSES)
def test_the_vertical_pan_axis_carries_no_gravity_torque(so_model, q):
    assert so_model.model_torque_nm(q)[0] == pytest.approx(0.0, abs=1e-5)  # URDF angles have 6 digits


@pytest.mark.parametrize("q", POSES)
def test_shoulder_lift_gravity_torque_is_the_moment_of_the_distal_weight(so_model, q):
    model, data = reference_data(q)
    joint = model.joint("shoulder_lift")
    body = joint.bodyid[0]
    mass = model.body_subtreemass[body]
    lever = data.subtree_com[body] - data.xanchor[joint.id]
    weight = mass * model.opt.gravity
    # Torque a motor must apply to hold the subtree still = −(moment of its weight about the axis).
    expected = -np.cross(lever, weight) @ data.xaxis[joint.id]
    assert so_model.model_torque_nm(q)[1] == pytest.approx(expected, rel=1e-9)


def test_inverse_dynamics_adds_mass_matrix_times_acceleration(so_model):
    q, qd, qdd = POSES[1], np.array([0.2, -0.1, 0.3, 0.0, 0.5]), np.array([1.0, -2.0, 0.5, 3.0, -1.0])
    model, data = reference_data(q, qd)
    mass_matrix = np.zeros((model.nv, model.nv))
    mujoco.mj_fullM(model, mass_matrix, data.qM)
    np.testing.assert_allclose(
        so_model.model_torque_nm(q, qd, qdd), mass_matrix @ qdd + data.qfrc_bias, atol=1e-10
    )


@pytest.mark.parametrize("q", POSES)
def test_external_torque_recovers_the_jacobian_transpose_of_a_tcp_wrench(so_model, q):
    model, data = reference_data(q)
    jac_pos, jac_rot = np.zeros((3, model.nv)), np.zeros((3, model.nv))
    mujoco.mj_jacSite(model, data, jac_pos, jac_rot, model.site("tcp").id)
    wrench = np.array([2.0, -1.0, 3.0, 0.1, 0.0, -0.2])  # force (N), moment (N·m) at the TCP
    contact_torque = np.vstack([jac_pos, jac_rot]).T @ wrench  # paper eq. (2): τ_ext = Jᵀ F_ext
    measured = data.qfrc_bias + contact_torque  # paper eq. (3)
    np.testing.assert_allclose(so_model.external_torque_nm(measured, q), contact_torque, atol=1e-10)


def test_default_guard_limit_stays_above_gravity_over_the_joint_range(so_model):
    """The default limit (80 % of stall) never fires on the arm's own weight, even with the weaker
    7.4 V STS3215 of the standard SO-101 kit (19.5 kgf·cm)."""
    grid = np.linspace(-1.6, 1.6, 9)
    worst = max(
        np.abs(so_model.model_torque_nm(np.array([0.0, lift, elbow, wrist, 0.0]))).max()
        for lift in grid
        for elbow in grid
        for wrist in grid
    )
    assert worst < DEFAULT_LIMIT_FRACTION_OF_STALL * kgf_cm_to_newton_meters(19.5)


def test_unknown_mjcf_joint_names_are_listed():
    model = mujoco.MjModel.from_xml_path(str(SO101_MJCF))
    with pytest.raises(ValueError, match="MJCF joints \\['waist'\\] not found.*'shoulder_pan'"):
        ExternalEffortModel(model, {"waist": "waist"})


def test_viperx_model_from_gym_aloha_has_the_six_arm_joints():
    pytest.importorskip("gym_aloha")
    from lerobot_torque.robots.viperx_follower_torque.viperx_model import load_viperx_model

    viperx = load_viperx_model(None)
    assert viperx.joint_names == ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate"]
    gravity = viperx.model_torque_nm(np.array([0.0, -0.96, 1.16, 0.0, -0.3, 0.0]))  # ALOHA START_ARM_POSE
    assert gravity[0] == pytest.approx(0.0, abs=1e-6)
    assert np.abs(gravity[1:3]).max() > 0.1  # shoulder and elbow hold the arm up


def test_joint_rates_are_finite_differences_of_positions():
    rates = JointRates()
    assert rates.update(np.array([0.0]), t=0.0)[0] == 0.0
    qd, qdd = rates.update(np.array([0.1]), t=0.1)
    assert qd[0] == pytest.approx(1.0) and qdd[0] == pytest.approx(10.0)
    qd, qdd = rates.update(np.array([0.2]), t=0.2)
    assert qd[0] == pytest.approx(1.0) and qdd[0] == pytest.approx(0.0)


def test_joint_rates_restart_after_a_pause():
    rates = JointRates()
    rates.update(np.array([0.0]), t=0.0)
    qd, qdd = rates.update(np.array([1.0]), t=MAX_RATE_GAP_S + 1.0)
    assert qd[0] == 0.0 and qdd[0] == 0.0
