"""Named crash points for the kill -9 tests (offline-sync.md §10, L1).

Production code calls `hit("enqueue.files_durable")` at the moments where a crash is
interesting. Normally that is one environment lookup. With
``OFFLINE_QUEUE_CRASH_AT=<name>`` (or ``<name>@<n>`` for the n-th time that point is
reached) the process sends itself SIGKILL there: no `finally`, no atexit, no flush,
exactly like a power cut as far as this process is concerned. In-process tests install
a hook instead (`hooked`), which usually raises `SimulatedCrash`.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ENV = "OFFLINE_QUEUE_CRASH_AT"

#: Every crash point, in the order a delivery meets them.
POINTS = (
    "enqueue.file_fsynced",  # a material file is fsynced under its temp name, not renamed yet
    "enqueue.files_durable",  # every file renamed and the directory fsynced; the row not committed
    "enqueue.committed",  # the row committed; enqueue has not returned (no receipt printed yet)
    "put.answered",  # the platform committed the manifest; its answer not read yet
    "patch.answered",  # the platform stored a chunk; its answer not read yet
    "finalize.answered",  # the platform created the case; its answer not read yet
    "deliver.before_ack",  # the case number is known; the local ack not committed
    "purge.committed",  # keys and payload dropped from the database; files still on disk
    "purge.unlinked",  # files unlinked; the WAL not checkpointed yet
    "evaluation.answered",  # the platform recorded an evaluation; its answer not read yet
)


class SimulatedCrash(BaseException):
    """Raised by in-process crash hooks; a BaseException so `except Exception` cannot eat it."""


_hook_lock = threading.Lock()
_hooks: list[Callable[[str], None]] = []
_counts: dict[str, int] = {}


def hit(name: str) -> None:
    if _hooks:
        with _hook_lock:
            hooks = list(_hooks)
        for hook in hooks:
            hook(name)
    spec = os.environ.get(ENV)
    if not spec:
        return
    target, _, nth = spec.partition("@")
    if target != name:
        return
    with _hook_lock:
        _counts[name] = _counts.get(name, 0) + 1
        count = _counts[name]
    if count >= (int(nth) if nth else 1):
        os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def hooked(hook: Callable[[str], None]) -> Iterator[None]:
    """Call `hook(name)` at every crash point while the block runs (tests)."""
    with _hook_lock:
        _hooks.append(hook)
    try:
        yield
    finally:
        with _hook_lock:
            _hooks.remove(hook)


def crash_at(name: str, nth: int = 1) -> Callable[[str], None]:
    """A hook raising SimulatedCrash the `nth` time `name` is reached."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    seen = 0

    def hook(point: str) -> None:
        nonlocal seen
        if point == name:
            seen += 1
            if seen == nth:
                raise SimulatedCrash(name)

    return hook
