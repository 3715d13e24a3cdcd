"""`sim://scanner`: a serial barcode scanner that sends scans as the real ones do,
`[AIM ID][data][suffix]` (hardware-protocols.md §3.1), and misbehaves on request.

Knobs, for tests, the bench and the technician's dev panel:

- `noise`: line noise, control bytes (NUL, XON/XOFF, BEL, an ANSI escape) sprinkled
  through each scan, never the suffix bytes;
- `chunk_size` / `chunk_delay_s`: each scan arrives in pieces this far apart, as over a
  slow UART or a USB-CDC adapter that flushes early;
- `scan(..., suffix="")`: a scanner configured without a suffix;
- `scan(..., encoding="gbk")`: a scanner whose output encoding is GBK;
- `flood(n)`: n distinct scans back to back (a stuck trigger, continuous mode);
- `unplug()` / `plug()` (SimulatedDevice): the cable is pulled, mid-scan if you like.

The scanner ignores what the host writes (no trigger commands in this model).
"""

from __future__ import annotations

import random

from drivers.sim.base import SimulatedDevice

_NOISE = (b"\x00", b"\x11", b"\x13", b"\x07", b"\x1b[2J", b"\x7f")


class ScannerSimulator(SimulatedDevice):
    def __init__(self, *, seed: int = 0) -> None:
        super().__init__()
        self.noise = False
        self.chunk_size: int | None = None
        self.chunk_delay_s = 0.0
        self._rng = random.Random(seed)  # deterministic noise for reproducible tests

    def scan(
        self,
        text: str | bytes,
        symbology: str | None = None,
        suffix: str | bytes = "\r",
        *,
        encoding: str = "utf-8",
        delay_s: float = 0.0,
    ) -> bytes:
        """Send one scan; returns the bytes put on the line. `symbology` is an AIM
        identifier such as "]Q1"; `text` as bytes is sent as is (invalid encodings)."""
        data = text if isinstance(text, bytes) else text.encode(encoding)
        tail = suffix if isinstance(suffix, bytes) else suffix.encode("ascii")
        if symbology:
            data = symbology.encode("ascii") + data
        if self.noise:
            data = self._sprinkle(data, forbidden=tail + b"\r\n")
        frame = data + tail
        self._send_chunked(frame, delay_s)
        return frame

    def flood(self, count: int, *, text: str = "FLOOD", suffix: str | bytes = "\r") -> None:
        """`count` distinct scans at once (so duplicate suppression does not hide them)."""
        tail = suffix if isinstance(suffix, bytes) else suffix.encode("ascii")
        self.send(b"".join(f"{text}-{i:05d}".encode("ascii") + tail for i in range(count)))

    def _send_chunked(self, frame: bytes, delay_s: float) -> None:
        size = self.chunk_size
        if not size:
            self.send(frame, delay_s)
            return
        for n, start in enumerate(range(0, len(frame), size)):
            self.send(frame[start : start + size], delay_s + n * self.chunk_delay_s)

    def _sprinkle(self, data: bytes, *, forbidden: bytes) -> bytes:
        noise = [n for n in _NOISE if not set(n) & set(forbidden)]
        out = bytearray()
        for i in range(len(data) + 1):
            if self._rng.random() < 0.2:
                out += self._rng.choice(noise)
            out += data[i : i + 1]
        return bytes(out)
