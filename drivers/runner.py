"""One thread owns each device: open, poll, run queued calls, reconnect with backoff.

A driver implements `Driver` (open/close/poll); the runner turns every exception from
it into an OFFLINE health state, closes the handle and reopens later with capped
exponential backoff (0.5 s, 1, 2, 4 … 30 s, reliability.md §6 rule 3). Work that must
run on the device's thread (print a job, reset the reader) goes through `call()`,
which returns a Future; the GUI never touches a port.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from drivers.health import CONNECTING, DeviceState, DeviceUnavailable, Health

log = logging.getLogger(__name__)

D = TypeVar("D", bound="Driver")
T = TypeVar("T")

BACKOFF_START_S = 0.5
BACKOFF_CAP_S = 30.0


class Driver(Protocol):
    """A device session. `poll` does one bounded round of work (≤ ~0.2 s) and returns
    events for listeners; `health` is read after every round."""

    kind: str

    def open(self) -> None: ...
    def close(self) -> None: ...
    def poll(self) -> list[object]: ...
    def health(self) -> Health: ...


HealthListener = Callable[[str, Health], None]
EventListener = Callable[[str, object], None]


class DeviceRunner(Generic[D]):
    def __init__(
        self,
        name: str,
        driver: D,
        *,
        clock: Callable[[], float] = time.monotonic,
        idle_poll_s: float = 0.05,
    ) -> None:
        self.name = name
        self.driver = driver
        self._clock = clock
        self._idle_poll_s = idle_poll_s
        self._calls: queue.Queue[tuple[Callable[[D], Any], concurrent.futures.Future[Any]]] = queue.Queue()
        self._health_listeners: list[HealthListener] = []
        self._event_listeners: list[EventListener] = []
        self._health = CONNECTING
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._open = False
        self._backoff_s = BACKOFF_START_S
        self._next_open_at = 0.0
        self.reconnects = 0

    def __repr__(self) -> str:
        return f"DeviceRunner({self.name!r}, {self._health.state.value})"

    # -- listeners -------------------------------------------------------------------
    def on_health(self, listener: HealthListener) -> None:
        self._health_listeners.append(listener)

    def on_event(self, listener: EventListener) -> None:
        self._event_listeners.append(listener)

    @property
    def health(self) -> Health:
        return self._health

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"device-{self.name}", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def call(self, fn: Callable[[D], T]) -> concurrent.futures.Future[T]:
        """Run `fn(driver)` on the device thread. Fails the future if the device is down."""
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._calls.put((fn, fut))
        self._wake.set()
        return fut

    def wake(self) -> None:
        """Retry opening now (a technician pressed 'test', or a hot-plug was seen)."""
        self._next_open_at = 0.0
        self._wake.set()

    # -- thread ----------------------------------------------------------------------
    def _set_health(self, health: Health) -> None:
        if health != self._health:
            before = self._health
            self._health = health
            log.info("device-status-changed %s %s -> %s %s", self.name, before.state.value,
                     health.state.value, health.reason)
            for listener in list(self._health_listeners):
                listener(self.name, health)

    def _emit(self, event: object) -> None:
        for listener in list(self._event_listeners):
            listener(self.name, event)

    def _drop(self, exc: BaseException) -> None:
        log.warning("device %s dropped: %s", self.name, type(exc).__name__)
        try:
            self.driver.close()
        except Exception:  # closing a dead port may fail too; nothing to keep
            log.debug("close after drop failed", exc_info=True)
        self._open = False
        self.reconnects += 1
        self._next_open_at = self._clock() + self._backoff_s
        self._backoff_s = min(self._backoff_s * 2, BACKOFF_CAP_S)
        self._set_health(Health(DeviceState.OFFLINE, "disconnected", type(exc).__name__))

    def _fail_calls(self) -> None:
        while True:
            try:
                _, fut = self._calls.get_nowait()
            except queue.Empty:
                return
            fut.set_exception(ConnectionError(f"{self.name} is offline"))

    def run_once(self) -> None:
        """One round of the loop; public so tests can drive a runner without a thread."""
        if not self._open:
            if self._clock() < self._next_open_at:
                self._fail_calls()
                return
            try:
                self.driver.open()
            except Exception as exc:
                self._drop(exc)
                self._fail_calls()
                return
            self._open = True
            self._backoff_s = BACKOFF_START_S
        try:
            while True:
                try:
                    fn, fut = self._calls.get_nowait()
                except queue.Empty:
                    break
                if fut.set_running_or_notify_cancel():
                    try:
                        fut.set_result(fn(self.driver))
                    except (OSError, DeviceUnavailable) as exc:
                        fut.set_exception(exc)
                        raise  # the port is gone: drop and reconnect
                    except Exception as exc:
                        fut.set_exception(exc)
            for event in self.driver.poll():
                self._emit(event)
            self._set_health(self.driver.health())
        except Exception as exc:
            self._drop(exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            wait_s = self._idle_poll_s
            if not self._open:
                wait_s = max(0.01, min(self._next_open_at - self._clock(), 1.0))
            self._wake.wait(wait_s)
            self._wake.clear()
        try:
            self.driver.close()
        except Exception:
            log.debug("close at stop failed", exc_info=True)
