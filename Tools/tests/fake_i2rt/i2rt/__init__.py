"""Stand-in for the i2rt SDK (i2rt-robotics/i2rt v1.2.4), for Tools/tests ONLY.

There is no CAN bus and no YAM arm on the machines that run these tests, so the YAM driver
(Tools/yam_driver) is tested against this small imitation of the i2rt API surface it uses
(reference/yam.md §3): `i2rt.robots.get_robot.get_yam_robot` and a robot object with the
methods of `MotorChainRobot`. It simulates a first-order joint response and can be told,
through a side channel, to fail the way i2rt fails ("motor chain is not running").

It is a mock because the hardware cannot exist here, not a replacement for a test on a real
arm. It is only importable when a test puts `Tools/tests/fake_i2rt` on PYTHONPATH; the driver
imports whatever `i2rt` is installed and reports its version, so a driver running on the
stand-in says `i2rt standin` in its hello reply and logs a warning.
"""

__version__ = "standin"
IS_STANDIN = True
