"""Clocks the visit can be given. The kiosk runs on `time.monotonic`; the tour and
tests use `SteppableClock` to jump over an idle timeout instead of sleeping."""

from __future__ import annotations

import threading
import time


class SteppableClock:
    """Monotonic time plus an offset that only grows."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("monotonic clocks do not go back")
        with self._lock:
            self._offset += seconds
