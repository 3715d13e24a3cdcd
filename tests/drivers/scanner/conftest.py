"""A `sim://scanner` simulator per test, a fake clock, and helpers that wait on Events."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drivers import sim
from drivers.health import Health
from drivers.runner import DeviceRunner
from drivers.scanner.device import ScannerDriver
from drivers.scanner.sim import ScannerSimulator
from tests.fakes import FakeClock


@pytest.fixture
def scanner() -> ScannerSimulator:
    simulator = ScannerSimulator()
    sim.register("scanner", simulator)  # the root conftest restores the registry
    return simulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def driver(scanner: ScannerSimulator, clock: FakeClock) -> Iterator[ScannerDriver]:
    drv = ScannerDriver("sim://", clock=clock, poll_s=0.04)
    drv.open()
    try:
        yield drv
    finally:
        drv.close()


def poll_until(drv: ScannerDriver, done: Callable[[list[object]], bool], *, rounds: int = 50) -> list[object]:
    """Poll (each round is bounded by the driver's poll_s) until `done(events)`."""
    events: list[object] = []
    for _ in range(rounds):
        events += drv.poll()
        if done(events):
            return events
    raise AssertionError(f"condition not met after {rounds} polls; got {events!r}")


class Watcher:
    """Collects a runner's events and health changes; waits on them with timeouts."""

    def __init__(self, runner: DeviceRunner[Any]) -> None:
        self.events: list[object] = []
        self.healths: list[Health] = []
        self._changed = threading.Condition()
        runner.on_event(self._on_event)
        runner.on_health(self._on_health)

    def _on_event(self, _name: str, event: object) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def _on_health(self, _name: str, health: Health) -> None:
        with self._changed:
            self.healths.append(health)
            self._changed.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        with self._changed:
            if not self._changed.wait_for(predicate, timeout_s):
                raise AssertionError(f"timed out; events={self.events!r} healths={self.healths!r}")
