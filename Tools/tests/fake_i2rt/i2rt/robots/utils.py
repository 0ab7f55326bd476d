"""Stand-in for `i2rt.robots.utils`: the arm and gripper type enums (tests only)."""

import enum
from typing import List


class ArmType(enum.Enum):
    YAM = "yam"
    YAM_PRO = "yam_pro"
    YAM_ULTRA = "yam_ultra"
    BIG_YAM = "big_yam"
    NO_ARM = "no_arm"

    @classmethod
    def from_string_name(cls, name: str) -> "ArmType":
        try:
            return cls(name)
        except ValueError:
            raise ValueError(
                f"Unknown arm type: {name}, arm has to be one of the following: {[a.value for a in cls]}"
            ) from None


class GripperType(enum.Enum):
    CRANK_4310 = "crank_4310"
    LINEAR_3507 = "linear_3507"
    LINEAR_4310 = "linear_4310"
    FLEXIBLE_4310 = "flexible_4310"
    YAM_TEACHING_HANDLE = "yam_teaching_handle"
    NO_GRIPPER = "no_gripper"

    @classmethod
    def from_string_name(cls, name: str) -> "GripperType":
        try:
            return cls(name)
        except ValueError:
            raise ValueError(
                f"Unknown gripper type: {name}, gripper has to be one of the following: {cls.available_grippers()}"
            ) from None

    @classmethod
    def available_grippers(cls) -> List[str]:
        return [g.value for g in cls]
