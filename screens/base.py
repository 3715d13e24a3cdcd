"""What every screen shares: a thin view over the Terminal that renders state and
sends intents. Screens never do I/O; slow work is the Terminal's (through the
background helper in screens/ops.py)."""

from __future__ import annotations

from typing import ClassVar

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.strings import t
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme


class Screen(QWidget):
    step: ClassVar[Step]

    def __init__(self, terminal: Terminal) -> None:
        super().__init__()
        self.terminal = terminal
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(48, 40, 48, 40)
        self.layout_.setSpacing(theme.NORMAL.gap_px)

    @property
    def lang(self) -> str:
        return self.terminal.machine.visit.language

    @property
    def elderly(self) -> bool:
        return self.terminal.machine.visit.elderly

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def refresh(self) -> None:
        """Bring every text and enabled state up to date with the terminal."""
        raise NotImplementedError

    def entered(self) -> None:
        """The screen became visible (start a preview, focus a field)."""

    def left(self) -> None:
        """The screen was replaced (stop a preview)."""


class OrientedScreen(Screen):
    """A screen whose main box layout (`oriented`) stacks its parts on a portrait panel
    and puts them side by side on a landscape one; it re-renders when that flips."""

    oriented: QBoxLayout
    _landscape = False

    def _orientation_changed(self) -> bool:
        window = self.window()
        landscape = window.width() > window.height()
        if landscape == self._landscape:
            return False
        self._landscape = landscape
        self.oriented.setDirection(QBoxLayout.Direction.LeftToRight if landscape
                                   else QBoxLayout.Direction.TopToBottom)
        return True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._orientation_changed() and self.terminal.machine.step is self.step:
            self.refresh()


def make_button(name: str, *, role: str = "") -> QPushButton:
    """A touch button; `name` is its objectName, which the tour clicks by."""
    button = QPushButton()
    button.setObjectName(role or name)
    button.setProperty("intent", name)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


def make_label(role: str = "", *, wrap: bool = True, center: bool = False) -> QLabel:
    label = QLabel()
    if role:
        label.setObjectName(role)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)  # resident data is never markup
    if center:
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def find_intent(root: QWidget, intent: str) -> QPushButton | None:
    for button in root.findChildren(QPushButton):
        if button.property("intent") == intent and button.isVisibleTo(root):
            return button
    return None


def row(*widgets: QWidget, stretch_first: bool = False) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(theme.NORMAL.gap_px)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if (stretch_first and i == 0) else 0)
    return holder


def clear_layout(layout: QLayout) -> None:
    """Empty `layout`: its widgets are deleted (later, by the event loop) and so are
    the layout items that held them.

    `QLayout.takeAt` hands the item to the caller and PySide6 leaves it to C++, so an
    item that is only dropped is never freed: about 140 bytes per widget or stretch,
    which over a 2,000-visit soak of screens that rebuild their rows was the steadiest
    part of the kiosk's memory growth (heaptrack: QLayoutPrivate::createWidgetItem).
    """
    while layout.count():
        child = layout.takeAt(0)
        if child is None:
            break
        widget = child.widget()
        if widget is not None:
            widget.hide()
            widget.deleteLater()
        inner = child.layout()
        if inner is not None:
            clear_layout(inner)
        # A QWidgetItem's destructor leaves its widget alone; a taken sub-layout has
        # no parent any more and goes with its item (it is the item).
        shiboken6.delete(child)
