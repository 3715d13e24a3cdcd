"""Injected failures, so the kiosk's sync can be tested against what networks and
platforms really do (offline-sync.md §10, L4): refusals with Retry-After, the
connection dropped before or after the platform committed, a captive portal's HTML
page answering 200, a platform that hangs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import Enum


class FaultKind(Enum):
    REFUSE = "refuse"  # answer `status` (with Retry-After if given) and do nothing
    DROP_BEFORE = "drop_before"  # read the request, close the connection, do nothing
    DROP_AFTER = "drop_after"  # do the work and commit, then close without answering
    STATUS_AFTER = "status_after"  # do the work and commit, then answer `status` (e.g. 500)
    CAPTIVE_PORTAL = "captive_portal"  # answer 200 text/html and do nothing
    DELAY = "delay"  # wait `delay_s` (or until the platform stops), then proceed normally


@dataclass
class Fault:
    """Affects the next `times` requests whose method and path match.

    `method` None matches every method; `path_prefix` is compared with the start of
    the request path (``/v1/submissions/`` matches every submission operation).
    """

    kind: FaultKind
    method: str | None = None
    path_prefix: str = "/v1/"
    times: int = 1
    status: int = 503
    retry_after: str | None = None
    delay_s: float = 0.0
    hits: int = field(default=0, init=False)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and path.startswith(self.path_prefix)


class FaultPlan:
    """The faults waiting to fire, in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.times - f.hits for f in self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, counted as fired."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None
