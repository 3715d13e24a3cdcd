"""Slow work off the GUI thread (after Anki's `aqt.operations`): the work function runs
on a pool thread and must not touch widgets; its result comes back on the GUI thread
through a queued signal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    finished = Signal(object, object, object)  # done callback, result, exception


class _Job(QRunnable):
    def __init__(self, relay: _Relay, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        super().__init__()
        self._relay = relay
        self._work = work
        self._done = done

    def run(self) -> None:
        try:
            result: Any = self._work()
            error: BaseException | None = None
        except Exception as exc:
            result, error = None, exc
        # RuntimeError: the app is shutting down and the relay is gone; nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            self._relay.finished.emit(self._done, result, error)


class QtBackground:
    """A `kiosk.terminal.Background` backed by a QThreadPool."""

    def __init__(self) -> None:
        self._relay = _Relay()
        self._relay.finished.connect(self._deliver)
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(2)
        self.in_flight = 0

    def __call__(self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        self.in_flight += 1
        self._pool.start(_Job(self._relay, work, done))

    def _deliver(self, done: Callable[[Any, BaseException | None], None], result: Any, exc: BaseException | None) -> None:
        self.in_flight -= 1
        done(result, exc)

    def wait(self, timeout_ms: int = 10_000) -> bool:
        return self._pool.waitForDone(timeout_ms)
