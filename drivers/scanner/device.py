"""The scanner session: one port, one framer, one gate, driven by a DeviceRunner.

`ScannerDriver(url)` opens `serial.serial_for_url(url)` (`sim://` → the simulator; a tty,
`socket://`, `rfc2217://` …), or, for `evdev:///dev/input/by-id/…`, a grabbed
keyboard-wedge node (wedge.py). Bytes go through `ScanFramer`, scans through `ScanGate`;
`poll()` returns `CodeScanned` / `ScanRejected` events. A scanner is silent until
someone scans, so a poll is short reads for up to `poll_s` (the runner's bound of about
0.2 s): it returns as soon as a scan completes, and between polls nobody reads. Any I/O error propagates, and the runner marks the
scanner OFFLINE and reopens it with backoff (reliability.md §6 rule 3).

The text is never logged: a QR code may carry personal data (STYLE.md 13).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Final, Protocol

import serial

from drivers.health import CONNECTING, READY, DeviceState, Health
from drivers.scanner.codec import IDLE_S, LINE, MAX_SCAN_BYTES, ScanFramer, Suffix
from drivers.scanner.events import CodeScanned, ScannerEvent, ScanRejected
from drivers.scanner.gate import ScanGate, ScannerStats
from drivers.scanner.wedge import EvdevPort
from drivers.sim import sim_url

log = logging.getLogger(__name__)

EVDEV_SCHEME: Final = "evdev://"
DEFAULT_BAUDRATE: Final = 9600  # the usual factory setting of serial scanners [U: model-specific]
READ_SLICE_S: Final = 0.02  # one read's timeout: bounds the latency a suffix-less scan adds
FLOOD_HEALTH_S: Final = 10.0  # DEGRADED this long after a flood dropped scans
GARBLED_STREAK: Final = 3  # this many undecodable/truncated frames in a row → DEGRADED

__all__ = ["CodeScanned", "ScanRejected", "ScannerDriver", "ScannerEvent", "ScannerStats"]


class _Port(Protocol):
    """What the session needs of a port: pyserial's Serial and wedge.EvdevPort."""

    @property
    def in_waiting(self) -> int: ...
    def read(self, size: int = 1) -> bytes: ...
    def reset_input_buffer(self) -> None: ...
    def close(self) -> None: ...


class ScannerDriver:
    kind = "scanner"

    def __init__(
        self,
        url: str,
        *,
        suffix: Suffix = LINE,
        aim: bool = True,
        encoding: str | None = None,
        max_scan_bytes: int = MAX_SCAN_BYTES,
        idle_s: float = IDLE_S,
        dedupe_window_s: float = 1.5,
        max_scans_per_s: float = 2.0,
        flood_burst: int = 3,
        baudrate: int = DEFAULT_BAUDRATE,
        poll_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._baudrate = baudrate
        self._clock = clock
        self._framer = ScanFramer(suffix, aim=aim, encoding=encoding, max_bytes=max_scan_bytes, idle_s=idle_s)
        self._gate = ScanGate(dedupe_window_s=dedupe_window_s, max_scans_per_s=max_scans_per_s, burst=flood_burst)
        self._reads_per_poll = max(1, math.ceil(poll_s / READ_SLICE_S))
        self._idle_reads = math.ceil(idle_s / READ_SLICE_S) + 1
        self._port: _Port | None = None

    def __repr__(self) -> str:
        return f"ScannerDriver({self.url!r}, {'open' if self._port else 'closed'})"

    @property
    def stats(self) -> ScannerStats:
        """Counters since construction (they survive reconnects)."""
        return self._gate.stats

    # -- Driver protocol -------------------------------------------------------------------
    def open(self) -> None:
        self.close()
        port = self._open_port()
        try:
            # A scan made while nobody was listening (kiosk starting, scanner replugged)
            # belongs to no visit: drop it rather than act on it later.
            port.reset_input_buffer()
        except BaseException:
            port.close()
            raise
        self._port = port

    def close(self) -> None:
        port, self._port = self._port, None
        self._framer.reset()
        if port is not None:
            port.close()

    def poll(self) -> list[object]:
        port = self._port
        if port is None:
            raise OSError("scanner port is not open")
        events: list[object] = []
        # A poll is `poll_s` of reads, plus, while a frame is half-read, enough more to
        # end it by silence: returning with a frame pending would add the runner's idle
        # wait to that scan's latency. A stream that never pauses is cut off by the
        # bound all the same.
        for i in range(self._reads_per_poll + self._idle_reads):
            # Read what is there, else wait up to one slice for the first byte. The
            # timeout was set once at open: changing it re-runs tcsetattr on a tty.
            data = port.read(port.in_waiting or 1)
            now = self._clock()
            items = self._framer.feed(data, now) if data else self._framer.idle(now)
            for item in items:
                events += self._gate.offer(item, now)
            events += self._gate.release(now)
            if self._framer.pending:
                continue
            if events or i + 1 >= self._reads_per_poll:
                break  # deliver a scan as soon as it is whole
        return events

    def health(self) -> Health:
        if self._port is None:
            return CONNECTING
        now = self._clock()
        if self._gate.garbled_streak >= GARBLED_STREAK:
            # Unreadable frames one after another: the baud rate or the scanner's output
            # encoding is probably wrong (hardware-protocols.md §7 item 6).
            return Health(DeviceState.DEGRADED, "garbled_input", "check baud rate and output encoding")
        if self._gate.flooding(now, FLOOD_HEALTH_S):
            # A stuck trigger, continuous mode sweeping many codes, or an attack.
            return Health(DeviceState.DEGRADED, "scan_flood", f"{self._gate.stats.dropped} scans dropped")
        return READY

    # -- internals -----------------------------------------------------------------------------
    def _open_port(self) -> _Port:
        if self.url.startswith(EVDEV_SCHEME):
            return EvdevPort(self.url.removeprefix(EVDEV_SCHEME), timeout=READ_SLICE_S)
        port: _Port = serial.serial_for_url(
            sim_url(self.kind, self.url), baudrate=self._baudrate, timeout=READ_SLICE_S
        )
        return port
