"""Slow work off the GUI thread (after Anki's `aqt.operations`): the work function runs
on a pool thread and must not touch widgets; its result comes back on the GUI thread
through a queued signal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from kiosk.maintenance import limit_malloc_arenas


class _Relay(QObject):
    finished = Signal(object, object, object)  # done callback, result, exception


class _Job(QRunnable):
    def __init__(self, relay: _Relay, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        super().__init__()
        self._relay = relay
        self._work: Callable[[], Any] | None = work
        self._done: Callable[[Any, BaseException | None], None] | None = done

    def run(self) -> None:
        work, done = self._work, self._done
        # The pool deletes the C++ runnable, but PySide may keep this Python wrapper
        # (the soak counted +55 _Job over 200 visits); holding nothing, a kept wrapper
        # costs bytes, not a visit's pages and PDFs that the closures carry.
        self._work = self._done = None
        if work is None or done is None:
            return
        try:
            result: Any = work()
            error: BaseException | None = None
        except Exception as exc:
            result, error = None, exc
        # RuntimeError: the app is shutting down and the relay is gone; nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            self._relay.finished.emit(done, result, error)
        del work, done, result, error


class QtBackground:
    """A `kiosk.terminal.Background` backed by a QThreadPool."""

    def __init__(self) -> None:
        self._relay = _Relay()
        self._relay.finished.connect(self._deliver)
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(2)
        # The two workers live as long as the app: Qt ends an idle pool thread after
        # 30 s and starts a new one for the next job, and between visits that is every
        # job; each new thread may come with a malloc arena of its own (see
        # kiosk.maintenance.limit_malloc_arenas).
        self._pool.setExpiryTimeout(-1)
        self.in_flight = 0

    def __call__(self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        self.in_flight += 1
        self._pool.start(_Job(self._relay, work, done))

    def _deliver(self, done: Callable[[Any, BaseException | None], None], result: Any, exc: BaseException | None) -> None:
        self.in_flight -= 1
        done(result, exc)

    def wait(self, timeout_ms: int = 10_000) -> bool:
        return self._pool.waitForDone(timeout_ms)


def steady_process() -> None:
    """What `kiosk run` sets once at start-up for a process that runs for months (the
    benches that stand in for it call it too): at most two malloc arenas, and Qt's
    global thread pool (large image conversions and scaling) keeps its threads instead
    of ending them after 30 s idle and starting new ones."""
    limit_malloc_arenas()
    QThreadPool.globalInstance().setExpiryTimeout(-1)
