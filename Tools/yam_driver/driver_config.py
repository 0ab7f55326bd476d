"""Configuration of one YAM driver process: command-line flags, optionally a YAML file with
the same names in snake_case (`--config FILE`); flags override the file. Unknown keys and
out-of-range values are errors that name the key. See yam_driver.example.yaml.
"""

import argparse
import difflib
import math
import re
from dataclasses import dataclass, fields
from typing import Any, Dict, List, Optional

from arm_model import ARM_TYPES, GRIPPER_TYPES, NO_GRIPPER


class ConfigError(ValueError):
    """One line naming the offending key or flag."""


@dataclass(frozen=True)
class DriverConfig:
    arm: str
    can: str
    state: str
    control: str
    command: str
    arm_type: str = "yam"
    gripper: str = "linear_4310"
    loop_rate_hz: float = 250.0
    state_rate_hz: float = 100.0
    command_timeout_s: float = 0.1
    motor_timeout_s: float = 0.2
    damp_after_s: float = 0.0
    max_move_speed_rad_per_s: float = 1.0
    gripper_speed_per_s: float = 1.0
    gripper_max_speed_per_s: float = 2.0
    shutdown_hold_s: float = 0.2
    log_level: str = "info"


HELP = {
    "arm": "arm name reported in hello and state, e.g. left (required)",
    "can": "SocketCAN interface of this arm, e.g. can_left (required)",
    "state": "endpoint the ArmState PUB binds, e.g. tcp://*:6001 (required)",
    "control": "endpoint the control REP binds, e.g. tcp://*:6003 (required)",
    "command": "the runtime's ArmCommand PUB to connect to, e.g. tcp://RUNTIME_HOST:6002 (required)",
    "arm_type": f"i2rt arm type: {', '.join(ARM_TYPES)} (default yam)",
    "gripper": f"i2rt gripper type: {', '.join(GRIPPER_TYPES)} (alias none) (default linear_4310)",
    "loop_rate_hz": "motor feed loop rate; its period must be at most a tenth of motor_timeout_s (default 250)",
    "state_rate_hz": "ArmState publish rate, at most loop_rate_hz (default 100)",
    "command_timeout_s": "hold the last position after this long without an ArmCommand (default 0.1)",
    "motor_timeout_s": "motor watchdog assumed, reported in hello; 200 ms until checked, yam.md §7.1 (default 0.2)",
    "damp_after_s": "after this long without any command or motion request, enter DAMPING (gravity "
    "compensation with damping, the arm floats); 0 = hold forever (default 0)",
    "max_move_speed_rad_per_s": "MoveToJoints requests faster than this on any joint are refused (default 1.0)",
    "gripper_speed_per_s": "GripperCommand speed when the request says 0, normalised units/s (default 1.0)",
    "gripper_max_speed_per_s": "upper bound on GripperCommand speed, reported in hello (default 2.0)",
    "shutdown_hold_s": "on SIGINT/SIGTERM, hold the current position this long before closing i2rt (default 0.2)",
    "log_level": "debug, info, warning or error (default info)",
}
REQUIRED = ("arm", "can", "state", "control", "command")
_FIELDS = {f.name: f for f in fields(DriverConfig)}


def parse_args(argv: Optional[List[str]]) -> DriverConfig:
    parser = argparse.ArgumentParser(
        prog="yam_driver.py",
        description="YAM driver node: serves the PLD arm protocol for one YAM arm on top of the i2rt SDK.",
    )
    parser.add_argument("--config", metavar="FILE", help="YAML file with any of the settings below (snake_case keys)")
    for name, f in _FIELDS.items():
        kind = float if f.type in (float, "float") else str
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None, help=HELP[name])
    args = parser.parse_args(argv)
    values: Dict[str, Any] = {}
    if args.config:
        values.update(load_yaml(args.config))
    values.update({k: v for k, v in vars(args).items() if k != "config" and v is not None})
    return build(values)


def load_yaml(path: str) -> Dict[str, Any]:
    import yaml

    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping of settings")
    for key in data:
        if key not in _FIELDS:
            close = difflib.get_close_matches(str(key), list(_FIELDS), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"config {path}: unknown key {key!r}{hint}")
    return data


def build(values: Dict[str, Any]) -> DriverConfig:
    missing = [k for k in REQUIRED if values.get(k) in (None, "")]
    if missing:
        raise ConfigError("missing required setting(s): " + ", ".join("--" + k.replace("_", "-") for k in missing))
    typed: Dict[str, Any] = {}
    for key, value in values.items():
        f = _FIELDS[key]
        if f.type in (float, "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
                raise ConfigError(f"{key}: {value!r} is not a finite number")
            typed[key] = float(value)
        else:
            if not isinstance(value, str):
                raise ConfigError(f"{key}: {value!r} is not a string")
            typed[key] = value
    if typed.get("gripper") == "none":
        typed["gripper"] = NO_GRIPPER
    cfg = DriverConfig(**typed)
    validate(cfg)
    return cfg


def validate(c: DriverConfig) -> None:
    def need(ok: bool, key: str, text: str) -> None:
        if not ok:
            raise ConfigError(f"{key}: {getattr(c, key)!r} {text}")

    need(re.fullmatch(r"[a-z0-9_]+", c.arm) is not None, "arm", "must be lowercase letters, digits, underscores")
    need(c.arm_type in ARM_TYPES, "arm_type", f"is not one of {', '.join(ARM_TYPES)}")
    need(c.gripper in GRIPPER_TYPES, "gripper", f"is not one of {', '.join(GRIPPER_TYPES)}")
    for key in ("state", "control", "command"):
        need("://" in getattr(c, key), key, "is not a ZeroMQ endpoint like tcp://host:port")
    need(c.motor_timeout_s > 0, "motor_timeout_s", "must be > 0")
    need(50.0 <= c.loop_rate_hz <= 1000.0, "loop_rate_hz", "must be in [50, 1000]")
    need(1.0 / c.loop_rate_hz <= c.motor_timeout_s / 10.0, "loop_rate_hz",
         f"is too slow: its period must be at most a tenth of motor_timeout_s ({c.motor_timeout_s:g} s)")
    need(0.0 < c.state_rate_hz <= c.loop_rate_hz, "state_rate_hz", "must be in (0, loop_rate_hz]")
    need(2.0 / c.loop_rate_hz < c.command_timeout_s <= 10.0, "command_timeout_s", "must exceed two loop periods and be at most 10")
    need(c.damp_after_s == 0.0 or c.damp_after_s > c.command_timeout_s, "damp_after_s", "must be 0 (never) or exceed command_timeout_s")
    need(c.max_move_speed_rad_per_s > 0, "max_move_speed_rad_per_s", "must be > 0")
    need(c.gripper_max_speed_per_s > 0, "gripper_max_speed_per_s", "must be > 0")
    need(0 < c.gripper_speed_per_s <= c.gripper_max_speed_per_s, "gripper_speed_per_s", "must be in (0, gripper_max_speed_per_s]")
    need(0.0 <= c.shutdown_hold_s <= 5.0, "shutdown_hold_s", "must be in [0, 5]")
    need(c.log_level in ("debug", "info", "warning", "error"), "log_level", "must be debug, info, warning or error")
