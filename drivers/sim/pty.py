"""Serve a simulator behind a pseudo-terminal, so anything that opens a tty path
(our own `serial_for_url("/dev/pts/N")`, minicom, another program) talks to it."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from types import TracebackType

from drivers.sim.base import SimulatedDevice, Unplugged


class PtyBridge:
    """Pumps bytes between a pty master and a simulator on one thread."""

    def __init__(self, simulator: SimulatedDevice) -> None:
        self.simulator = simulator
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="pty-bridge", daemon=True)

    def __enter__(self) -> PtyBridge:
        self.simulator.on_open()
        self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):  # already closed by the peer
                os.close(fd)

    def _pump(self) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([self._master], [], [], 0.01)
            try:
                if readable:
                    data = os.read(self._master, 4096)
                    if data:
                        self.simulator.host_write(data)
                out = self.simulator.host_read(4096, 0)
                if out:
                    os.write(self._master, out)
            except Unplugged:
                continue
            except OSError:
                return


def serve_pty(simulator: SimulatedDevice) -> PtyBridge:
    """`with serve_pty(sim) as bridge: serial_for_url(bridge.path)`."""
    return PtyBridge(simulator)
