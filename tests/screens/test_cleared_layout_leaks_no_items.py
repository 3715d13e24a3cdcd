"""Screens that rebuild their rows (catalog tiles, form fields, review lines, capture
thumbnails) empty a layout each visit. `QLayout.takeAt` hands the item over and PySide6
never frees it: about 140 bytes a widget or stretch, the steadiest part of a 2,000-visit
soak's memory growth (heaptrack: QLayoutPrivate::createWidgetItem, issue 9)."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpacerItem, QVBoxLayout, QWidget

from screens.base import clear_layout


def test_emptying_a_layout_frees_its_items_not_only_its_widgets(qtbot) -> None:  # type: ignore[no-untyped-def]
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    label = QLabel("row")
    layout.addWidget(label)
    stretch = QSpacerItem(1, 1)
    layout.addItem(stretch)
    inner = QHBoxLayout()
    layout.addLayout(inner)
    inner_stretch = QSpacerItem(1, 1)
    inner.addItem(inner_stretch)
    inner_label = QLabel("cell")
    inner.addWidget(inner_label)

    clear_layout(layout)

    assert layout.count() == 0
    # A wrapper stays valid for as long as its C++ object lives: these must be gone.
    assert not shiboken6.isValid(stretch)
    assert not shiboken6.isValid(inner)
    assert not shiboken6.isValid(inner_stretch)
    # The widgets go at the next turn of the event loop, not before.
    with qtbot.waitSignal(inner_label.destroyed):
        pass
    assert not shiboken6.isValid(label)
