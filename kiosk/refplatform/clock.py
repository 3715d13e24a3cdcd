"""The platform's clock: wall time in China Standard Time, shiftable for tests.

Every timestamp the platform hands out (``received_at``, ``server_time``, the
``Date`` header) comes from here, so a test can move the platform's clock to
exercise a terminal's clock-offset handling or the 10-minute enrollment window.
China has had no daylight saving time since 1991, so a fixed +08:00 offset is exact.
"""

from __future__ import annotations

import datetime as dt
import threading

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


class PlatformClock:
    def __init__(self) -> None:
        self._offset = dt.timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            offset = self._offset
        return dt.datetime.now(CHINA_TZ) + offset

    def shift(self, delta: dt.timedelta) -> None:
        """Move the platform's notion of now by `delta` (tests only)."""
        with self._lock:
            self._offset += delta

    def today(self) -> dt.date:
        return self.now().date()


def rfc3339(moment: dt.datetime) -> str:
    """2026-11-23T14:05:09+08:00 (seconds precision, always with an offset)."""
    return moment.astimezone(CHINA_TZ).replace(microsecond=0).isoformat()


def parse_rfc3339(text: str) -> dt.datetime | None:
    """The moment, or None when `text` is not an RFC 3339 date-time with an offset."""
    if not isinstance(text, str) or len(text) < 20 or text[10] not in "Tt ":
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
