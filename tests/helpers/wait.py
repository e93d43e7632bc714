"""The one polling helper: wait on a condition with a deadline (the only ``time.sleep`` of the tests).

Browser tests wait with Playwright (``expect()``, ``wait_for_function``); everything else — a server's
health, a log line, a file, a subprocess — waits here: never a fixed delay, never a wall-clock assertion.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def until(condition: Callable[[], T], timeout: float = 30, message: str = "condition jamais remplie",
          interval: float = 0.05) -> T:
    """Call ``condition`` until it returns something truthy (returned) or ``timeout`` seconds pass
    (AssertionError with ``message``). Exceptions raised by ``condition`` propagate: a dead process fails
    at once rather than at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} (après {timeout:g} s)")
        time.sleep(interval)
