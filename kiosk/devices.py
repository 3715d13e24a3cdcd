"""The device registry: opens each configured device from its URL, one runner thread
per device, and aggregates health into 'can this kiosk serve residents'.

Drivers are listed explicitly in `_FACTORIES` (no registration by import). For a
`sim://` port the registry also creates that device's simulator (the simulated hall)
and keeps it in `simulators` so a tour, a test or the technician's dev panel can
turn its knobs.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers import sim
from drivers.health import DeviceState, Health
from drivers.runner import DeviceRunner, Driver
from kiosk.config import DEVICE_KINDS, Config, DeviceConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Factory:
    module: str
    driver: str
    simulator: str | None  # class in the same package's sim module, for sim:// ports
    sim_module: str | None = None


_FACTORIES: dict[str, _Factory] = {
    "id_reader": _Factory("drivers.id_reader.device", "IdReaderDriver", "IdReaderSimulator", "drivers.id_reader.sim"),
    "printer": _Factory("drivers.printer.device", "PrinterDriver", "PrinterSimulator", "drivers.printer.sim"),
    "scanner": _Factory("drivers.scanner.device", "ScannerDriver", "ScannerSimulator", "drivers.scanner.sim"),
    "camera": _Factory("drivers.camera.device", "CameraDriver", None),
}


def _driver_kwargs(cfg: DeviceConfig) -> dict[str, Any]:
    if cfg.kind == "printer":
        return {"encoding": cfg.encoding, "columns": cfg.columns}
    if cfg.kind == "id_reader":
        return {"baudrate": cfg.baudrate}
    return {}


def _simulator_kwargs(cfg: DeviceConfig) -> dict[str, Any]:
    if cfg.kind == "printer":
        return {"encoding": cfg.encoding, "columns": cfg.columns}
    return {}


class _MissingDriver:
    """Stands in for a driver that cannot be loaded, as a permanent OFFLINE state."""

    def __init__(self, kind: str, why: str) -> None:
        self.kind = kind
        self._why = why

    def open(self) -> None:
        raise OSError(self._why)

    def close(self) -> None:
        pass

    def poll(self) -> list[object]:
        return []

    def health(self) -> Health:
        return Health(DeviceState.OFFLINE, "driver_missing", self._why)


class DeviceRegistry:
    def __init__(self, config: Config, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self.runners: dict[str, DeviceRunner[Any]] = {}
        self.simulators: dict[str, Any] = {}
        self._listeners: list[Callable[[str, Health], None]] = []
        self._event_listeners: list[Callable[[str, object], None]] = []
        self._lock = threading.Lock()
        for kind in DEVICE_KINDS:
            cfg = config.device(kind)
            if not cfg.port:
                continue
            # The scanner's poll blocks in short reads already; waiting between polls
            # would only add up to 50 ms to every scan (bench_scanner.py: p95 44 → 0.2 ms).
            # The camera's poll waits for the next frame: a pause on top halved the live
            # preview (bench_capture_screen.py: 9.9 fps with 50 ms, 20.9 fps without).
            idle_poll_s = 0.0 if kind in ("scanner", "camera") else 0.05
            self.runners[kind] = DeviceRunner(kind, self._make(cfg), clock=clock, idle_poll_s=idle_poll_s)
            self.runners[kind].on_health(self._health_changed)
            self.runners[kind].on_event(self._event)

    def _make(self, cfg: DeviceConfig) -> Driver:
        factory = _FACTORIES[cfg.kind]
        try:
            module = importlib.import_module(factory.module)
            driver_cls = getattr(module, factory.driver)
            if cfg.simulated and factory.simulator and factory.sim_module:
                sim_cls = getattr(importlib.import_module(factory.sim_module), factory.simulator)
                simulator = sim_cls(**_simulator_kwargs(cfg))
                name = sim.sim_url(cfg.kind, cfg.port).removeprefix("sim://")
                sim.register(name, simulator)
                self.simulators[cfg.kind] = simulator
            driver: Driver = driver_cls(cfg.port, **_driver_kwargs(cfg))
            return driver
        except (ImportError, AttributeError) as exc:
            log.error("no driver for %s: %s", cfg.kind, exc)
            return _MissingDriver(cfg.kind, f"driver not available: {type(exc).__name__}")

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        for runner in self.runners.values():
            runner.start()

    def stop(self) -> None:
        for runner in self.runners.values():
            runner.stop()

    # -- health ------------------------------------------------------------------------------
    def on_health(self, listener: Callable[[str, Health], None]) -> None:
        self._listeners.append(listener)

    def on_event(self, listener: Callable[[str, object], None]) -> None:
        self._event_listeners.append(listener)

    def _health_changed(self, kind: str, health: Health) -> None:
        for listener in list(self._listeners):
            listener(kind, health)

    def _event(self, kind: str, event: object) -> None:
        for listener in list(self._event_listeners):
            listener(kind, event)

    def health(self) -> dict[str, Health]:
        return {kind: runner.health for kind, runner in self.runners.items()}

    def required_down(self) -> list[str]:
        """Required devices that cannot serve now. CONNECTING counts as down only once
        the first attempt is over, so a slow start does not flash 'out of service'."""
        down = []
        for kind, runner in self.runners.items():
            if self._config.device(kind).required and runner.health.state in (
                DeviceState.OFFLINE, DeviceState.ERROR,
            ):
                down.append(kind)
        return down

    def runner(self, kind: str) -> DeviceRunner[Any] | None:
        return self.runners.get(kind)
