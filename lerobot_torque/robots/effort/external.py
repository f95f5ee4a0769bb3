"""External joint torque: measured torque minus the torque the arm model predicts (paper §3, App. A.2).

The paper writes τ_measured = τ_model + Jᵀ(q) F_ext (eq. 3) with the full rigid-body model
M(q)q̈ + C(q, q̇)q̇ + G(q) (eq. 1), and uses τ_model = G(q) under quasi-static motion (A.2.4).
`ExternalEffortModel` computes τ_model with MuJoCo's inverse dynamics (`mj_inverse`) on an MJCF model
of one arm, with constraints disabled: contacts, joint limits and dry friction are not part of
τ_model, so they stay in the residual like any other unmodelled torque.

Joint velocities and accelerations (for `ModelTorque.INVERSE_DYNAMICS`, options.py) come from finite
differences of the observed positions (`JointRates`); motor velocity registers are not used, so every
robot gets the same estimate.

Left out: payload identification and thermal compensation of k_t (paper A.2.5 lists both).
"""

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import mujoco

# Above this gap between two observations the finite differences are meaningless (e.g. after a reset
# pause); rates restart from zero. 0.2 s = 6 frames at 30 fps, 10 at 50 fps (this port).
MAX_RATE_GAP_S = 0.2


def import_mujoco():
    """Import MuJoCo or raise an ImportError that names our extra."""
    try:
        import mujoco
    except ImportError as e:
        raise ImportError(
            "External effort (external_effort=true) computes the arm model with MuJoCo, which is not "
            "installed. Install it with `pip install 'lerobot_policy_torque[sim]'`, or set "
            "external_effort=false."
        ) from e
    return mujoco


class ExternalEffortModel:
    """Model torque of one arm from an MJCF model, and measured − model torque.

    Args:
        model: A compiled MuJoCo model of the arm (its gravity is used as given).
        joints: Robot joint name → MJCF joint name, for every joint that gets an external torque.
    """

    def __init__(self, model: "mujoco.MjModel", joints: Mapping[str, str]):
        mujoco = import_mujoco()
        self._mujoco = mujoco
        self.model = model
        self.model.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONSTRAINT
        self.data = mujoco.MjData(model)
        missing = [
            name for name in joints.values() if mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name) < 0
        ]
        if missing:
            valid = [model.joint(i).name for i in range(model.njnt)]
            raise ValueError(f"MJCF joints {missing} not found in the model; it has {valid}.")
        self.joint_names = list(joints)
        ids = [model.joint(name).id for name in joints.values()]
        self._qpos_adr = np.array([model.jnt_qposadr[i] for i in ids])
        self._dof_adr = np.array([model.jnt_dofadr[i] for i in ids])

    @classmethod
    def from_xml(cls, xml: str, joints: Mapping[str, str]) -> "ExternalEffortModel":
        """Build from an MJCF string (absolute paths inside it resolve as on disk)."""
        return cls(import_mujoco().MjModel.from_xml_string(xml), joints)

    def model_torque_nm(
        self, q_rad: np.ndarray, qd: np.ndarray | None = None, qdd: np.ndarray | None = None
    ) -> np.ndarray:
        """τ_model in N·m for joint angles `q_rad` (order of `joint_names`); velocity and acceleration
        default to zero, which gives the gravity torque G(q)."""
        self.data.qvel[:] = 0.0
        self.data.qacc[:] = 0.0
        self.data.qpos[self._qpos_adr] = q_rad
        if qd is not None:
            self.data.qvel[self._dof_adr] = qd
        if qdd is not None:
            self.data.qacc[self._dof_adr] = qdd
        self._mujoco.mj_inverse(self.model, self.data)
        return self.data.qfrc_inverse[self._dof_adr].copy()

    def external_torque_nm(
        self,
        measured_nm: np.ndarray,
        q_rad: np.ndarray,
        qd: np.ndarray | None = None,
        qdd: np.ndarray | None = None,
    ) -> np.ndarray:
        """δτ = τ_measured − τ_model (paper eq. 3, appendix A.2.4), N·m."""
        return measured_nm - self.model_torque_nm(q_rad, qd, qdd)


class JointRates:
    """q̇ and q̈ by finite differences of successive joint angles and their timestamps."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self._last: tuple[float, np.ndarray, np.ndarray] | None = None

    def update(self, q_rad: np.ndarray, t: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (q̇, q̈) at angles `q_rad` observed at time `t` (default: now)."""
        t = time.perf_counter() if t is None else t
        qd = np.zeros_like(q_rad)
        qdd = np.zeros_like(q_rad)
        if self._last is not None:
            last_t, last_q, last_qd = self._last
            dt = t - last_t
            if 0 < dt <= MAX_RATE_GAP_S:
                qd = (q_rad - last_q) / dt
                qdd = (qd - last_qd) / dt
        self._last = (t, q_rad.copy(), qd)
        return qd, qdd
