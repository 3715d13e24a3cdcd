"""Fixtures of the ID reader tests: a registered simulator and a running reader whose
events and health changes a test waits on (threading.Condition, never sleep)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import pytest

from drivers import sim
from drivers.health import DeviceState, Health
from drivers.id_reader.device import IdReaderDriver, ReaderTimings
from drivers.id_reader.sim import IdReaderSimulator
from drivers.runner import DeviceRunner

T = TypeVar("T")

# Short delays so scenarios take milliseconds; the logic is the same as in production.
FAST = ReaderTimings(
    find_interval_s=0.01,
    presence_interval_s=0.02,
    failure_pause_s=0.02,
    sam_recheck_s=0.02,
    command_timeout_s=0.2,
    read_timeout_s=0.5,
    appended_timeout_s=0.5,
    reset_timeout_s=0.2,
)
WAIT_S = 5.0


class Recorder:
    """Collects a runner's events and health changes; tests wait on it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.events: list[object] = []
        self.healths: list[Health] = []

    def on_event(self, name: str, event: object) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def on_health(self, name: str, health: Health) -> None:
        with self._cond:
            self.healths.append(health)
            self._cond.notify_all()

    def of(self, kind: type[T]) -> list[T]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]

    def wait_event(self, kind: type[T], count: int = 1, timeout_s: float = WAIT_S) -> T:
        """The `count`-th event of `kind` (1-based), waiting for it if need be."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len([e for e in self.events if isinstance(e, kind)]) >= count,
                                     timeout_s)
            found = [e for e in self.events if isinstance(e, kind)]
        assert ok, f"no {kind.__name__} #{count} within {timeout_s} s; events: {self.events!r}"
        return found[count - 1]

    def wait_health(self, predicate: Callable[[Health], bool], timeout_s: float = WAIT_S) -> Health:
        with self._cond:
            ok = self._cond.wait_for(lambda: bool(self.healths) and predicate(self.healths[-1]), timeout_s)
            last = self.healths[-1] if self.healths else None
        assert ok and last is not None, f"health never matched; history: {self.healths!r}"
        return last

    def wait_state(self, state: DeviceState, timeout_s: float = WAIT_S) -> Health:
        return self.wait_health(lambda h: h.state is state, timeout_s)


@dataclass
class Reader:
    runner: DeviceRunner[IdReaderDriver]
    driver: IdReaderDriver
    simulator: IdReaderSimulator
    recorder: Recorder

    def settle(self, probes: int = 5) -> None:
        """Let the driver run `probes` more find-card polls (no sleeping)."""
        from drivers.id_reader.codec import Command

        target = self.simulator.count(Command.FIND_CARD) + probes
        assert self.simulator.wait_for(Command.FIND_CARD, target, WAIT_S)


@pytest.fixture
def simulator() -> IdReaderSimulator:
    """An empty reader registered as `sim://id_reader` (the root conftest unregisters it)."""
    simulator = IdReaderSimulator()
    sim.register("id_reader", simulator)
    return simulator


@pytest.fixture
def make_reader(simulator: IdReaderSimulator) -> Iterator[Callable[..., Reader]]:
    runners: list[DeviceRunner[IdReaderDriver]] = []

    def make(device: IdReaderSimulator | None = None, **timings: Any) -> Reader:
        """A started reader; `device` replaces the default simulator when given."""
        if device is not None:
            sim.register("id_reader", device)
        driver = IdReaderDriver("sim://", timings=replace(FAST, **timings))
        runner = DeviceRunner("id_reader", driver, idle_poll_s=0.005)
        recorder = Recorder()
        runner.on_event(recorder.on_event)
        runner.on_health(recorder.on_health)
        runners.append(runner)
        runner.start()
        return Reader(runner, driver, device or simulator, recorder)

    yield make
    for runner in runners:
        runner.stop()


@pytest.fixture
def reader(make_reader: Callable[..., Reader]) -> Reader:
    """A running reader with fast timings, READY before the test starts."""
    made = make_reader()
    made.recorder.wait_state(DeviceState.READY)
    return made
