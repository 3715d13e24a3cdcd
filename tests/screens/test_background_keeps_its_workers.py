"""Between visits every background job finds its pool thread ended (Qt ends one idle
for 30 s) and starts a new one, which may bring a new malloc arena that is never given
back (issue 9's soak). The kiosk keeps its workers for its whole life."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool

from screens.ops import QtBackground, steady_process


def test_workers_are_not_ended_and_restarted_between_visits(qtbot) -> None:  # type: ignore[no-untyped-def]
    background = QtBackground()
    steady_process()
    # No way to watch 30 idle seconds pass without sleeping in a test: the setting it is.
    assert background._pool.expiryTimeout() < 0
    assert QThreadPool.globalInstance().expiryTimeout() < 0
    results: list[int] = []
    background(lambda: 6 * 7, lambda value, error: results.append(value))
    qtbot.waitUntil(lambda: results == [42])
    assert background.wait()
