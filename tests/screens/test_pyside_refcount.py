"""PySide6 6.12.0 under Python 3.11 drops a reference to None on every call of a
void C++ method (QLabel.setText, Signal.emit …); the kiosk died with 'deallocating
None' after a few hundred visits. A 24-hour kiosk must never run on such a build."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    changed = Signal(str)


def test_void_calls_do_not_leak_or_drop_references_to_none(qtbot) -> None:  # type: ignore[no-untyped-def]
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    emitter.changed.connect(lambda _v: None)
    before = sys.getrefcount(None)
    for _ in range(5000):
        label.setText("x")
        emitter.changed.emit("x")
    assert abs(sys.getrefcount(None) - before) < 50
