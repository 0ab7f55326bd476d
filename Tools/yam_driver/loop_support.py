"""Small pieces of the driver loop: counters, a log throttle, and helper threads."""

import logging
import math
import threading
from concurrent.futures import Future
from typing import Any, Callable, Dict, Tuple

log = logging.getLogger("yam_driver")


class LoopStats:
    """Counters logged every STATS_INTERVAL_S."""

    def __init__(self, now: float) -> None:
        self.reset(now)

    def reset(self, now: float) -> None:
        self.since = now
        self.ticks = self.overruns = self.feeds = self.states = 0
        self.applied = self.refused = self.ignored = 0
        self.max_tick_s = 0.0


class Throttle:
    """Logs the first message of a kind, then at most one summary per interval."""

    def __init__(self, interval_s: float = 5.0) -> None:
        self.interval_s = interval_s
        self.last: Dict[str, Tuple[float, int]] = {}

    def warn(self, key: str, text: str, now: float) -> None:
        last, suppressed = self.last.get(key, (-math.inf, 0))
        if now - last >= self.interval_s:
            more = f" ({suppressed} more like it suppressed)" if suppressed else ""
            log.warning("%s%s", text, more)
            self.last[key] = (now, 0)
        else:
            self.last[key] = (last, suppressed + 1)


def close_within(arm: Any, timeout_s: float) -> None:
    """Close an i2rt robot on a helper thread; raises when it does not finish in time."""
    closer = threading.Thread(target=arm.close, name="yam_driver_close", daemon=True)
    closer.start()
    closer.join(timeout_s)
    if closer.is_alive():
        raise RuntimeError(f"the failed i2rt robot did not close within {timeout_s:g} s")


def run_in_background(work: Callable[[], Any], name: str) -> Future:
    """Runs `work` on a daemon thread; its exception lands in the future, not in excepthook."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
