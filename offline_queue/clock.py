"""Time, injected: wall-clock time for records and receipts, monotonic time for timers.

Persisted retry times are wall-clock seconds (a monotonic clock does not survive a
restart); they are clamped on read so that a clock stepped backwards cannot park an
application for longer than the backoff cap (reliability.md §7A, A7).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Aware local wall-clock time."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


class FakeClock:
    """A clock that moves only when told to (tests, tours)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = start or dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._mono = 1000.0

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            self._mono += seconds

    def set_wall(self, when: dt.datetime) -> None:
        """Step the wall clock only (an NTP step or a wrong RTC); monotonic time is unchanged."""
        with self._lock:
            self._now = when

    def __repr__(self) -> str:
        return f"FakeClock({self.now().isoformat()})"


def rfc3339(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.isoformat(timespec="seconds")
