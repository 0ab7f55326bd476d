"""Stand-in for `i2rt.robots.get_robot` (tests only; see `i2rt/__init__.py`).

`get_yam_robot` keeps the v1.2.4 keyword surface the driver uses and i2rt's limit handling
(reference/yam.md §5.2): the yam.xml ranges widened by 0.15 rad become the command clip, and
the constructor refuses a start more than 0.1 rad outside the widened limits.
"""

import time
from typing import Optional

import numpy as np

from i2rt._standin_bench import bench
from i2rt.robots.motor_chain_robot import MotorChainRobot
from i2rt.robots.utils import ArmType, GripperType

# i2rt/robot_models/arm/yam/yam.xml ranges (yam.md §5.1)
YAM_XML_RANGES = np.array(
    [
        [-2.61799, 3.14159],
        [0.0, 3.66519],
        [0.0, 3.14159],
        [-1.69297, 1.5708],
        [-1.5708, 1.5708],
        [-2.0944, 2.0944],
    ]
)
YAM_KP = [80.0, 80.0, 80.0, 10.0, 10.0, 10.0]  # i2rt/robots/config/yam.yml (yam.md §4.1)
YAM_KD = [5.0, 5.0, 5.0, 1.5, 1.5, 1.5]
GRIPPER_KP_KD = {"linear_4310": (20.0, 0.5), "crank_4310": (20.0, 0.5), "linear_3507": (10.0, 0.3), "flexible_4310": (20.0, 0.5)}


def get_yam_robot(
    channel: str = "can0",
    arm_type: ArmType = ArmType.YAM,
    gripper_type: GripperType = GripperType.LINEAR_4310,
    zero_gravity_mode: bool = True,
    ee_mass: Optional[float] = None,
    ee_inertia: Optional[np.ndarray] = None,
    gravity_comp_factor: Optional[np.ndarray] = None,
    gripper_limits_override: Optional[np.ndarray] = None,
    sim: bool = False,
    enable_auto_recovery: bool = False,
) -> MotorChainRobot:
    b = bench()
    with b.lock:
        failing = b.fail_creates > 0
        if failing:
            b.fail_creates -= 1
    if failing:
        b.event("create failed")
        raise RuntimeError(f"stand-in: no response from motor id 0x01 on {channel}")
    if arm_type != ArmType.YAM:
        raise ValueError(f"stand-in: only ArmType.YAM is simulated, not {arm_type}")
    time.sleep(0.05)  # reading the motors takes a moment on a real bus
    limits = YAM_XML_RANGES.copy()
    limits[:, 0] -= 0.15  # i2rt's "safety buffer"
    limits[:, 1] += 0.15
    kp, kd = list(YAM_KP), list(YAM_KD)
    with_gripper = gripper_type not in (GripperType.NO_GRIPPER, GripperType.YAM_TEACHING_HANDLE)
    gripper_index = None
    gripper_limits = None
    if with_gripper:
        gkp, gkd = GRIPPER_KP_KD[gripper_type.value]
        kp.append(gkp)
        kd.append(gkd)
        gripper_index = 6
        gripper_limits = np.array([0.0, 6.57]) if gripper_limits_override is None else np.asarray(gripper_limits_override)
    robot = MotorChainRobot(
        joint_limits=limits,
        kp=kp,
        kd=kd,
        gripper_index=gripper_index,
        gripper_limits=gripper_limits,
        zero_gravity_mode=zero_gravity_mode,
    )
    with b.lock:
        b.robots_created += 1
        b.current_robot = robot
    b.event(f"create {channel} {gripper_type.value} zero_gravity_mode={zero_gravity_mode}")
    return robot
