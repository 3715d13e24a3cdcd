"""Base of every byte-level simulator: host bytes in, device bytes out, with delays.

Subclasses implement `on_host_bytes(data)` and answer with `send(data, delay_s=…)`.
Device-initiated bytes (a scanner's scans, a printer's automatic status) are `send`s
with no request. `unplug()` makes the transport raise as a yanked USB adapter would.
"""

from __future__ import annotations

import threading
import time


class Unplugged(OSError):
    """Raised by the simulated transport while the device is 'unplugged'."""


class SimulatedDevice:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._out = bytearray()
        self._pending: list[tuple[float, bytes]] = []  # (due monotonic time, bytes)
        self.plugged = True
        self.host_bytes = bytearray()  # everything the host wrote, for tests and renderers

    # -- what subclasses implement -----------------------------------------------------
    def on_host_bytes(self, data: bytes) -> None:
        """Handle bytes the host wrote (in whatever chunking the host used)."""

    def on_open(self) -> None:
        """The host opened the port (reset per-connection state here)."""

    # -- device side -------------------------------------------------------------------
    def send(self, data: bytes, delay_s: float = 0.0) -> None:
        with self._cond:
            if delay_s > 0:
                due = time.monotonic() + delay_s
                # Bytes stay in order: a later send never overtakes an earlier delayed one.
                if self._pending:
                    due = max(due, self._pending[-1][0])
                self._pending.append((due, bytes(data)))
            elif self._pending:
                self._pending.append((self._pending[-1][0], bytes(data)))
            else:
                self._out += data
            self._cond.notify_all()

    def unplug(self) -> None:
        with self._cond:
            self.plugged = False
            self._out.clear()
            self._pending.clear()
            self._cond.notify_all()

    def plug(self) -> None:
        with self._cond:
            self.plugged = True
            self._cond.notify_all()

    # -- host side (called by the transport) -------------------------------------------
    def _release_due(self) -> float | None:
        now = time.monotonic()
        while self._pending and self._pending[0][0] <= now:
            self._out += self._pending.pop(0)[1]
        return self._pending[0][0] - now if self._pending else None

    def host_write(self, data: bytes) -> None:
        if not self.plugged:
            raise Unplugged("simulated device unplugged")
        self.host_bytes += data
        self.on_host_bytes(bytes(data))

    def host_read(self, size: int, timeout_s: float | None) -> bytes:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while True:
                if not self.plugged:
                    raise Unplugged("simulated device unplugged")
                next_due = self._release_due()
                if self._out:
                    chunk = bytes(self._out[:size])
                    del self._out[:size]
                    return chunk
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return b""
                waits = [w for w in (remaining, next_due) if w is not None]
                self._cond.wait(min(waits) if waits else None)

    def host_in_waiting(self) -> int:
        with self._cond:
            if not self.plugged:
                raise Unplugged("simulated device unplugged")
            self._release_due()
            return len(self._out)

    def host_reset_input(self) -> None:
        with self._cond:
            self._out.clear()
