#!/usr/bin/env python3
"""YAM driver node: serves the PLD arm protocol (Sources/Wire/proto/pld_arm.proto) for one YAM
arm on top of the i2rt SDK. One process per arm.

  python3 Tools/yam_driver/yam_driver.py --arm left --can can_left \\
      --state tcp://*:6001 --control tcp://*:6003 --command tcp://RUNTIME_HOST:6002 \\
      [--gripper linear_4310] [--config left.yaml] [...]

Exit status: 0 after SIGINT/SIGTERM (held, then closed i2rt), 2 on a configuration error,
1 when the sockets or the robot cannot be set up (one line on stderr saying why).
See README.md in this directory.
"""

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # Tools/: the generated pldproto package

import zmq  # noqa: E402

from arm_links import ArmLinks  # noqa: E402
from driver_config import ConfigError, DriverConfig, parse_args  # noqa: E402
from driver_loop import DriverLoop  # noqa: E402
from i2rt_arm import I2rtArm, MotorFault, StartupError, i2rt_is_standin  # noqa: E402

log = logging.getLogger("yam_driver")


def main(argv: Optional[List[str]] = None) -> int:
    try:
        cfg = parse_args(argv)
    except ConfigError as exc:
        print(f"yam_driver: error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=getattr(logging, cfg.log_level.upper()),
        format=f"%(asctime)s yam_driver[{cfg.arm}] %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    if i2rt_is_standin():
        log.warning("i2rt is the TEST STAND-IN (Tools/tests/fake_i2rt): no real arm is being driven")
    ctx = zmq.Context()
    try:
        return run(cfg, ctx)
    except StartupError as exc:
        print(f"yam_driver: error: {exc}", file=sys.stderr)
        return 1
    finally:
        ctx.term()


def run(cfg: DriverConfig, ctx: zmq.Context) -> int:
    stop = threading.Event()

    def request_stop(signum: int, _frame) -> None:
        log.info("%s: holding, then closing", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    links = ArmLinks(ctx, cfg.state, cfg.control, cfg.command)  # bind first: fail before touching the arm
    try:
        def create_arm():
            return I2rtArm.create(cfg.can, cfg.arm_type, cfg.gripper)

        arm, warnings = create_arm()
        for w in warnings:
            log.warning("%s", w)
        log.info(
            "serving arm %s on %s: state %s, control %s, commands from %s",
            cfg.arm, cfg.can, cfg.state, cfg.control, cfg.command,
        )
        try:
            loop = DriverLoop(cfg, arm, links, create_arm)
        except MotorFault as exc:
            arm.close()
            raise StartupError(str(exc)) from None
        loop.run(stop)
    finally:
        links.close()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
