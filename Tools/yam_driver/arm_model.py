"""YAM model facts the driver needs (reference/yam.md §4–§6): joint names, the un-widened
joint ranges it clips to, the startup check, and the gripper types it can drive.

i2rt parses its MJCF ranges and widens them by 0.15 rad for its own command clip; the driver
clips to the un-widened ranges instead (yam.md §12), so nothing it sends relies on the buffer.
"""

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

JOINT_NAMES: Tuple[str, ...] = ("joint1", "joint2", "joint3", "joint4", "joint5", "joint6")

# i2rt/robot_models/arm/yam/yam.xml `range` attributes, rad (yam.md §5.1).
YAM_XML_RANGES_RAD: Tuple[Tuple[float, float], ...] = (
    (-2.61799, 3.14159),
    (0.0, 3.66519),
    (0.0, 3.14159),
    (-1.69297, 1.5708),
    (-1.5708, 1.5708),
    (-2.0944, 2.0944),
)
# yam.xml `actuatorfrcrange` is ±10 on every joint; reported as max_effort_nm.
YAM_XML_EFFORT_NM = 10.0
# get_yam_robot widens the parsed ranges by this much on each side ("safety buffer").
I2RT_COMMAND_WIDENING_RAD = 0.15
# MotorChainRobot refuses to start more than this far outside its limits; the driver applies
# the same tolerance to the un-widened ranges.
STARTUP_TOLERANCE_RAD = 0.1

# Full open width per gripper type, m (yam.md §4.2). 0 = not stated in the sources.
GRIPPER_STROKE_M = {
    "linear_4310": 0.096,
    "linear_3507": 0.096,
    "crank_4310": 0.071,
    "flexible_4310": 0.0,
}
NO_GRIPPER = "no_gripper"
GRIPPER_TYPES: Tuple[str, ...] = tuple(GRIPPER_STROKE_M) + (NO_GRIPPER,)
ARM_TYPES: Tuple[str, ...] = ("yam", "yam_pro", "yam_ultra", "big_yam")


@dataclass(frozen=True)
class JointRanges:
    """Closed position ranges per joint, rad."""

    lower_rad: np.ndarray
    upper_rad: np.ndarray

    def clip(self, q_rad: np.ndarray) -> np.ndarray:
        return np.clip(q_rad, self.lower_rad, self.upper_rad)

    def violations(self, q_rad: Sequence[float], tolerance_rad: float = 0.0) -> List[str]:
        """One "jointN at x rad is outside [lo, hi] ± tol rad" per joint out of range."""
        out = []
        for name, q, lo, hi in zip(JOINT_NAMES, q_rad, self.lower_rad, self.upper_rad):
            if not (lo - tolerance_rad <= q <= hi + tolerance_rad):
                tol = f" ± {tolerance_rad:g} rad" if tolerance_rad else ""
                out.append(f"{name} at {q:.4f} rad is outside [{lo:.5f}, {hi:.5f}]{tol}")
        return out


def model_ranges(arm_type: str, i2rt_limits_rad: Optional[np.ndarray]) -> Tuple[JointRanges, List[str]]:
    """The un-widened ranges the driver clips to, and warnings about disagreements.

    `i2rt_limits_rad` is `get_robot_info()["joint_limits"]`: i2rt's widened command clip, (6, 2).
    Removing the widening gives the model ranges of the installed i2rt; for the plain YAM they
    are also checked against the yam.xml table above, and where the two disagree the narrower
    range wins, so an i2rt update can tighten but never silently widen what the driver sends.
    """
    warnings: List[str] = []
    table = np.array(YAM_XML_RANGES_RAD) if arm_type == "yam" else None
    derived = None
    if i2rt_limits_rad is not None:
        lim = np.asarray(i2rt_limits_rad, dtype=float)
        if lim.shape == (len(JOINT_NAMES), 2):
            derived = lim.copy()
            derived[:, 0] += I2RT_COMMAND_WIDENING_RAD
            derived[:, 1] -= I2RT_COMMAND_WIDENING_RAD
        else:
            warnings.append(f"i2rt reported joint limits of shape {lim.shape}, expected (6, 2); ignored")
    if derived is None and table is None:
        raise ValueError(f"no joint limits for arm type {arm_type!r}: i2rt reported none and the driver has no table for it")
    if derived is None:
        ranges = table
    elif table is None:
        ranges = derived
    else:
        if np.max(np.abs(derived - table)) > 1e-3:
            warnings.append(
                "i2rt's joint limits minus its 0.15 rad buffer differ from yam.xml "
                f"(i2rt {derived.round(5).tolist()}, yam.xml {table.tolist()}); using the narrower of each"
            )
        ranges = np.column_stack([np.maximum(derived[:, 0], table[:, 0]), np.minimum(derived[:, 1], table[:, 1])])
    return JointRanges(lower_rad=ranges[:, 0].copy(), upper_rad=ranges[:, 1].copy()), warnings
