"""Scripted joint-space expert for `aloha_insertion_torque`.

The waypoints follow ACT's scripted insertion (Zhao et al. 2023, `scripted_policy.py`: grippers
pitched 60° down, each arm grasps its object from above, both meet in the middle, then the peg slides
into the socket), but the expert acts in joint space, as the env's actions are joint targets: each
waypoint is solved once into joint angles by damped-least-squares inverse kinematics on the MuJoCo
model, and the command moves towards them at a bounded joint speed.

No clock: a move ends when both grasp points, computed from the *measured* joint angles, have reached
their goal, and the grasp ends when both grippers push on their object (finger effort), so every
phase change is visible in the observation. Moves are straight lines of the grasp points, solved every
centimetre (intermediate points are passed as the command reaches them). The object poses come from
the simulator at reset (the camera shows them).
"""

from collections.abc import Callable
from dataclasses import dataclass

import mujoco
import numpy as np

from lerobot_torque.envs.aloha_insertion.model import (
    GRIPPERS,
    JOINTS_PER_ARM,
    LEFT_ARM,
    LEFT_JOINTS,
    PEG_POSE,
    RIGHT_ARM,
    RIGHT_JOINTS,
    SOCKET_POSE,
)

GRASP_OFFSET = 0.15  # m from the gripper link origin along its x axis, ≈ 1 cm short of the fingertips (ours)
GRIP_HEIGHT = 0.002  # m from the object centre to the grasp point: fingertips ≈ 1 cm above the table (ours)
PITCH = np.deg2rad(60.0)  # downward pitch of both grippers, as ACT's scripted insertion
WAYPOINT_SPACING = 0.01  # m between IK solutions along a straight move (ours)
REACH_TOLERANCE = 0.005  # m: a move ends when both measured grasp points are this close (ours)
GRIP_FORCE = 3.0  # N on each gripper's finger that counts as holding the object (ours)
GRIP_SETTLED = 0.03  # change of the normalised gripper opening per step below which it has stopped
MEET = np.array([0.0, 0.5, 0.2])  # m, where the objects meet (ours; ACT: z = 0.15)
RAISE = 0.04  # m lifted slowly straight up after the grasp, while the grip settles (ours)
MEET_GAP, INSERT_GAP = 0.1, 0.04  # m from MEET to each object's centre before and after inserting: the
# peg (12 cm) reaches the socket's pin (8 cm, centred) when the centres are 10 cm apart
OPEN, CLOSED = 1.0, 0.0  # gym-aloha's normalised gripper action


def rotation_about_y(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rotation_about_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def resting_height(model: mujoco.MjModel, body: str) -> float:
    """Height of a free body's origin when it lies flat on the table (z = 0): its lowest box face."""
    body_id = model.body(body).id
    geoms = [g for g in range(model.ngeom) if model.geom_bodyid[g] == body_id]
    return float(-min(model.geom_pos[g][2] - model.geom_size[g][2] for g in geoms))


class ArmIK:
    """Damped-least-squares IK of one arm's grasp point (position and orientation), 6 joints."""

    def __init__(self, model: mujoco.MjModel, side: str, joints: slice):
        self.model = model
        self.data = mujoco.MjData(model)
        self.body = model.body(f"vx300s_{side}/gripper_link").id
        self.base = model.body(f"vx300s_{side}").pos.copy()
        self.joints = joints
        self.range = model.jnt_range[joints.start : joints.stop]

    def pose(self, qpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grasp point (3,) and gripper rotation (3, 3) at the model configuration `qpos`."""
        self.data.qpos[:] = qpos
        mujoco.mj_kinematics(self.model, self.data)
        rot = self.data.xmat[self.body].reshape(3, 3).copy()
        return self.data.xpos[self.body] + rot[:, 0] * GRASP_OFFSET, rot

    def heading(self, position: np.ndarray) -> float:
        """Yaw (rad) of the direction from the arm's base to `position`, relative to straight ahead."""
        ahead = -np.sign(self.base[0])  # the left arm looks along +x, the right one along -x
        delta = position - self.base
        return float(np.arctan2(ahead * delta[1], ahead * delta[0]))

    def solve(self, qpos: np.ndarray, position: np.ndarray, rotation: np.ndarray, iterations: int = 200):
        """Joint angles (6,) reaching the pose, starting from `qpos` (the full model qpos)."""
        q = np.array(qpos, dtype=float)
        jacp, jacr = np.zeros((3, self.model.nv)), np.zeros((3, self.model.nv))
        for _ in range(iterations):
            point, rot = self.pose(q)
            error = np.concatenate(
                [position - point, 0.5 * sum(np.cross(rot[:, i], rotation[:, i]) for i in range(3))]
            )
            if np.abs(error).max() < 1e-5:
                break
            mujoco.mj_comPos(self.model, self.data)
            mujoco.mj_jac(self.model, self.data, jacp, jacr, point, self.body)
            jac = np.vstack([jacp, jacr])[:, self.joints]
            step = jac.T @ np.linalg.solve(jac @ jac.T + 1e-4 * np.eye(6), error)
            q[self.joints] = np.clip(
                q[self.joints] + np.clip(step, -0.2, 0.2), self.range[:, 0], self.range[:, 1]
            )
        return q[self.joints].copy()


@dataclass
class Phase:
    name: str
    left: np.ndarray  # (6,) joint targets
    right: np.ndarray  # (6,)
    gripper: float  # normalised opening of both grippers
    speed: float  # rad per control step
    wait_for_grip: bool = False
    via: bool = False  # a point on the way: passed when the command gets there
    left_point: np.ndarray | None = None  # (3,) grasp point the joint targets place
    right_point: np.ndarray | None = None


class AlohaInsertionExpert:
    """`act(observation)` → the 14-dim joint action of gym-aloha (left arm first).

    `object_poses()` returns the peg's and the socket's current poses (position, wxyz quaternion:
    14 numbers, gym-aloha's `env_state`; the camera shows them). The moves after the grasp are planned
    when both grippers hold their object, and the insertion when both have been lifted, from where
    each object actually sits in its gripper, so the peg meets the socket on its axis whatever the
    grasp did to them.
    """

    def __init__(self, model: mujoco.MjModel, qpos: np.ndarray, object_poses: Callable[[], np.ndarray]):
        self.object_poses = object_poses
        poses = object_poses()
        # gym-aloha drops the objects from 5 cm: plan with the height at which each comes to rest.
        peg = np.array([*poses[PEG_POSE][:2], resting_height(model, "peg")])
        socket = np.array([*poses[SOCKET_POSE][:2], resting_height(model, "socket")])
        self.iks = (ArmIK(model, "left", LEFT_ARM), ArmIK(model, "right", RIGHT_ARM))
        left_ik, right_ik = self.iks
        self._q = np.array(qpos, dtype=float)  # the model configuration the plan has reached
        self._at = [left_ik.pose(self._q)[0], right_ik.pose(self._q)[0]]
        # Grippers pitched down; each turns with its waist towards its target (yaw), so the wrist's
        # two roll joints stay near zero; closing the fingers squares the object up with them.
        pitched = (
            rotation_about_y(PITCH) @ left_ik.pose(qpos)[1],
            rotation_about_y(-PITCH) @ right_ik.pose(qpos)[1],
        )

        def facing(side: int):
            return lambda target: rotation_about_z(self.iks[side].heading(target)) @ pitched[side]

        self._facing = (facing(0), facing(1))
        up, grip = np.array([0.0, 0.0, 0.08]), np.array([0.0, 0.0, GRIP_HEIGHT])
        self.phases = [
            *self.segment("approach", (socket + up, peg + up), self._facing, OPEN, 0.05),
            *self.segment("descend", (socket + grip, peg + grip), self._facing, OPEN, 0.03),
            *self.segment(
                "grasp", (socket + grip, peg + grip), self._facing, CLOSED, 0.03, wait_for_grip=True
            ),
        ]
        self.index = 0
        self.command = np.concatenate([qpos[LEFT_ARM], qpos[RIGHT_ARM]])  # (12,) left joints, right joints
        self._measured_q = np.array(qpos, dtype=float)
        self._planners = [self.plan_transfer, self.plan_insert]  # run when the phases so far are done

    def segment(self, name, goals, rotations, gripper, speed, wait_for_grip=False) -> list[Phase]:
        """Straight-line moves of both grasp points to `goals`, solved every ≤ `WAYPOINT_SPACING` so the
        fingertips never dip below the line (a joint-space interpolation would). `rotations[i]` maps a
        grasp point to the gripper rotation wanted there."""
        starts = self._at
        distance = max(np.linalg.norm(goal - start) for goal, start in zip(goals, starts, strict=True))
        count = max(1, int(np.ceil(distance / WAYPOINT_SPACING)))
        phases = []
        for i in range(1, count + 1):
            points = [start + (goal - start) * i / count for start, goal in zip(starts, goals, strict=True)]
            for side, (ik, point) in enumerate(zip(self.iks, points, strict=True)):
                self._q[ik.joints] = ik.solve(self._q, point, rotations[side](point))
            last = i == count
            phases.append(
                Phase(
                    name,
                    self._q[LEFT_ARM].copy(),
                    self._q[RIGHT_ARM].copy(),
                    gripper,
                    speed,
                    wait_for_grip=wait_for_grip and last,
                    via=not last,
                    left_point=points[0],
                    right_point=points[1],
                )
            )
        self._at = list(goals)
        return phases

    def plan_transfer(self) -> None:
        """Raise both objects slowly, then lift them to meet on one axis.

        Each object's position in its grasp frame (now) gives the grasp point that puts the object's
        centre at `MEET ∓ MEET_GAP` with the gripper facing the meeting point; the grasp rarely
        leaves an object's centre at the grasp point.
        """
        poses = self.object_poses()
        grasps = [ik.pose(self._measured_q) for ik in self.iks]
        self._at = [point for point, _ in grasps]
        goals = []
        for side, (sign, (point, rot)) in enumerate(zip((-1.0, 1.0), grasps, strict=True)):
            held = SOCKET_POSE if side == 0 else PEG_POSE  # the left arm holds the socket, the right the peg
            centre = poses[held][:3]
            target = MEET + np.array([sign * MEET_GAP, 0.0, 0.0])
            goals.append(target - self._facing[side](target) @ (rot.T @ (centre - point)))
        raise_by = np.array([0.0, 0.0, RAISE])
        self.phases += [
            *self.segment(
                "raise", (self._at[0] + raise_by, self._at[1] + raise_by), self._facing, CLOSED, 0.005
            ),
            *self.segment("lift", tuple(goals), self._facing, CLOSED, 0.015),
        ]

    def plan_insert(self) -> None:
        """Level both objects (turn each gripper about its object's centre), put the peg on the
        socket's axis, then push it in along x. A two-finger grasp lets a held object pivot."""
        poses = self.object_poses()
        grasps = [ik.pose(self._measured_q) for ik in self.iks]
        centres, goals, rotations = [], [], []
        for side, (point, rot) in enumerate(grasps):
            body = poses[SOCKET_POSE if side == 0 else PEG_POSE]
            body_rot = np.zeros(9)
            mujoco.mju_quat2Mat(body_rot, body[3:])
            pitch = float(np.arcsin(np.clip(body_rot.reshape(3, 3)[2, 0], -1.0, 1.0)))  # of the x axis
            turn = rotation_about_y(pitch)  # about the world y axis, through the object's centre
            centres.append(body[:3])
            goals.append(body[:3] + turn @ (point - body[:3]))
            rotations.append(lambda _, r=turn @ rot: r)
        peg, socket = centres[1], centres[0]
        align = socket + np.array([peg[0] - socket[0], 0.0, 0.0]) - peg  # fix y and z, keep the gap
        push = np.array([2 * INSERT_GAP - (peg[0] - socket[0]), 0.0, 0.0])  # centres 2·INSERT_GAP apart
        self._at = [point for point, _ in grasps]
        self.phases += [
            *self.segment("align", (goals[0], goals[1] + align), rotations, CLOSED, 0.005),
            *self.segment("insert", (goals[0], goals[1] + align + push), rotations, CLOSED, 0.005),
        ]

    @property
    def phase(self) -> Phase:
        return self.phases[self.index]

    def reached(self, phase: Phase) -> bool:
        """Both grasp points, computed from the *measured* joint angles, within `REACH_TOLERANCE`."""
        left = np.linalg.norm(self.iks[0].pose(self._measured_q)[0] - phase.left_point)
        right = np.linalg.norm(self.iks[1].pose(self._measured_q)[0] - phase.right_point)
        return max(left, right) < REACH_TOLERANCE

    def act(self, observation: dict) -> np.ndarray:
        measured = np.asarray(observation["agent_pos"], dtype=float)  # (14,) 6 joints + gripper per arm
        self._measured_q[LEFT_ARM] = measured[LEFT_JOINTS]
        self._measured_q[RIGHT_ARM] = measured[RIGHT_JOINTS]
        # Holding: both fingers push on their object (effort) and have stopped (gripper position).
        finger_force = np.abs(np.asarray(observation["effort"], dtype=float)[GRIPPERS])
        grips = measured[GRIPPERS]
        settled = self._last_grips is not None and np.abs(grips - self._last_grips).max() < GRIP_SETTLED
        self._last_grips = grips
        gripped = settled and bool(finger_force.min() > GRIP_FORCE) and grips.max() < 0.9
        while True:
            phase = self.phase
            if phase.via:
                done = np.abs(self.command - np.concatenate([phase.left, phase.right])).max() < 1e-9
            else:
                done = self.reached(phase) and (gripped or not phase.wait_for_grip)
            if not done:
                break
            if self.index == len(self.phases) - 1:
                if not self._planners:
                    break
                self._planners.pop(0)()
            self.index += 1
        phase = self.phase
        target = np.concatenate([phase.left, phase.right])
        self.command = self.command + np.clip(target - self.command, -phase.speed, phase.speed)
        left, right = self.command[:JOINTS_PER_ARM], self.command[JOINTS_PER_ARM:]
        return np.concatenate([left, [phase.gripper], right, [phase.gripper]]).astype(np.float32)

    _last_grips: np.ndarray | None = None
