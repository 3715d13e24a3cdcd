"""pyserial URL handler for `sim://<name>`: a port whose far end is a simulator.

Found by pyserial through `serial.protocol_handler_packages` (drivers/sim/__init__.py).
Like pyserial's own `loop://`, it honours `timeout` and raises when unplugged.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from drivers.sim.base import SimulatedDevice


class Serial(SerialBase):  # type: ignore[misc]
    _sim: SimulatedDevice | None = None

    def open(self) -> None:
        from drivers import sim  # late: the registry module imports this package

        if self.is_open:
            raise SerialException("Port is already open.")
        parts = urllib.parse.urlsplit(self.portstr)
        if parts.scheme != "sim":
            raise SerialException(f"expected a sim:// URL, got {parts.scheme!r}")
        name = (parts.netloc + parts.path).strip("/") or "default"
        found = sim.lookup(name)
        if found is None:
            raise SerialException(f"no simulator registered as {name!r}")
        if not found.plugged:
            raise SerialException(f"simulator {name!r} is unplugged")
        self._sim = found
        self.is_open = True
        found.on_open()

    def close(self) -> None:
        self.is_open = False
        self._sim = None

    def _reconfigure_port(self) -> None:
        """Baud rate and framing mean nothing to a simulator."""

    def _need(self) -> SimulatedDevice:
        if not self.is_open or self._sim is None:
            raise PortNotOpenError()
        return self._sim

    @property
    def in_waiting(self) -> int:
        return self._need().host_in_waiting()

    def read(self, size: int = 1) -> bytes:
        sim_ = self._need()
        out = bytearray()
        timeout = self.timeout  # None blocks, 0 returns at once
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(out) < size:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            chunk = sim_.host_read(size - len(out), remaining)
            if not chunk:
                break
            out += chunk
            if remaining == 0:
                break
        return bytes(out)

    def write(self, data: Any) -> int:
        payload = bytes(data)
        self._need().host_write(payload)
        return len(payload)

    def reset_input_buffer(self) -> None:
        self._need().host_reset_input()

    def reset_output_buffer(self) -> None:
        self._need()

    def flush(self) -> None:
        self._need()
