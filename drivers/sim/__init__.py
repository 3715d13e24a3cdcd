"""Simulators that speak each device's real bytes, behind pyserial URLs or a pty.

`sim://<kind>[/<name>]` opens the simulator registered under that name (default: the
kind) through `drivers.sim.protocol_sim`, a pyserial URL handler, so driver code is
the same for a simulator, a socket and a real tty. `serve_pty()` puts a simulator
behind a pseudo-terminal for tools that want a device path.

Simulators are registered explicitly by the code that creates them (the simulated
hall, a test); nothing registers itself on import.
"""

from __future__ import annotations

import threading

import serial

from drivers.sim.base import SimulatedDevice

_lock = threading.Lock()
_simulators: dict[str, SimulatedDevice] = {}

if "drivers.sim" not in serial.protocol_handler_packages:
    # pyserial finds `sim://` by importing drivers.sim.protocol_sim (see its urlhandler).
    serial.protocol_handler_packages.append("drivers.sim")


def register(name: str, simulator: SimulatedDevice) -> None:
    with _lock:
        _simulators[name] = simulator


def unregister(name: str) -> None:
    with _lock:
        _simulators.pop(name, None)


def lookup(name: str) -> SimulatedDevice | None:
    with _lock:
        return _simulators.get(name)


def sim_url(kind: str, url: str) -> str:
    """Expand the config's bare `sim://` to `sim://<kind>`; other URLs pass through."""
    if url.rstrip("/") in ("sim:", "sim://"):
        return f"sim://{kind}"
    return url


__all__ = ["SimulatedDevice", "lookup", "register", "sim_url", "unregister"]
