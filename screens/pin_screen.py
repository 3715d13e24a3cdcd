"""The technician's way in: a 3-second press in the window's top-left corner while the
kiosk is idle (attract or out of service), then a PIN pad over everything.

Wrong PINs lock the entry with growing delays kept on disk (kiosk.staff.TechnicianLock:
they survive a restart); the pad shows the countdown. Nothing on the pad says what it
is for until it is opened, and it closes by itself after `PAD_TIMEOUT_S` untouched, so
a resident who stumbles on it is back at the attract screen at once. The PIN is never
logged; the attempt is (`auth-pin-entry`, vxsuite's event ids).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPointF, QTimer, Signal
from PySide6.QtGui import QMouseEvent, QTouchEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.staff import TechnicianLock
from kiosk.strings import register, t
from screens.base import make_button, make_label, row

log = logging.getLogger(__name__)

CORNER_PX = 120
HOLD_MS = 3000
PAD_TIMEOUT_S = 30
MAX_PIN_DIGITS = 12

register({
    "pin.title": ("技术维护", "Maintenance"),
    "pin.prompt": ("请输入技术员 PIN", "Enter the technician PIN"),
    "pin.ok": ("确定", "OK"),
    "pin.cancel": ("取消", "Cancel"),
    "pin.clear": ("清除", "Clear"),
    "pin.backspace": ("⌫", "⌫"),
    "pin.wrong": ("PIN 不正确，还可尝试 {n} 次", "Wrong PIN, {n} attempt(s) left"),
    "pin.wrong_locked": ("PIN 不正确。已锁定 {time}", "Wrong PIN. Locked for {time}"),
    "pin.locked": ("输错次数过多，已锁定。请 {time} 后再试", "Too many wrong PINs. Try again in {time}"),
    "pin.no_pin": ("本机尚未设置技术员 PIN（kiosk technician set-pin）", "No technician PIN is set on this terminal"),
})


def format_duration(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


class LongPressDetector(QObject):
    """An application-wide event filter: a press held `hold_ms` inside the window's
    top-left `corner_px` square, while `allowed()` says so, emits `triggered`. Moving
    out of the corner or lifting the finger earlier cancels it; the release after a
    trigger is swallowed so it does not also tap what lies under the finger."""

    triggered = Signal()

    def __init__(self, window: QWidget, *, allowed: Callable[[], bool], hold_ms: int = HOLD_MS,
                 corner_px: int = CORNER_PX) -> None:
        super().__init__(window)
        self._window = window
        self._allowed = allowed
        self.corner_px = corner_px
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(hold_ms)
        self._timer.timeout.connect(self._fire)
        self._swallow_release = False

    @property
    def hold_ms(self) -> int:
        return self._timer.interval()

    @property
    def pressing(self) -> bool:
        return self._timer.isActive()

    def _in_corner(self, global_pos: QPointF) -> bool:
        local = self._window.mapFromGlobal(global_pos.toPoint())
        return 0 <= local.x() < self.corner_px and 0 <= local.y() < self.corner_px

    def _fire(self) -> None:
        if self._allowed():
            self._swallow_release = True
            log.info("technician entry: long press")
            self.triggered.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        pos: QPointF | None = None
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease) \
                and isinstance(event, QMouseEvent):
            pos = event.globalPosition()
        elif kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd) \
                and isinstance(event, QTouchEvent) and event.points():
            pos = event.points()[0].globalPosition()
        if pos is None:
            if kind == QEvent.Type.TouchCancel:
                self._timer.stop()
            return False
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self._swallow_release = False
            if not self._timer.isActive() and self._allowed() and self._in_corner(pos):
                self._timer.start()
        elif kind in (QEvent.Type.MouseMove, QEvent.Type.TouchUpdate):
            if self._timer.isActive() and not self._in_corner(pos):
                self._timer.stop()
        else:  # released
            self._timer.stop()
            if self._swallow_release:
                self._swallow_release = False
                return True
        return False


class PinPad(QWidget):
    """Digits 1-9, clear, 0, backspace in the telephone layout; `pressed(key)`."""

    pressed = Signal(str)

    def __init__(self, prefix: str = "pin") -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        self.buttons: dict[str, QPushButton] = {}
        layout = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["clear", "0", "backspace"]]
        for r, keys in enumerate(layout):
            for c, key in enumerate(keys):
                button = make_button(f"{prefix}:{key}")
                button.setMinimumSize(150, 96)
                button.clicked.connect(lambda _=False, k=key: self.pressed.emit(k))
                self.buttons[key] = button
                grid.addWidget(button, r, c)

    def retranslate(self, lang: str) -> None:
        for key, button in self.buttons.items():
            button.setText(t(f"pin.{key}", lang) if not key.isdigit() else key)


class PinOverlay(QFrame):
    """The technician PIN pad over the whole window. `accepted` when the PIN is right."""

    accepted = Signal()

    def __init__(self, parent: QWidget, lock: TechnicianLock, lang: Callable[[], str]) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.lock = lock
        self._lang = lang
        self.entered = ""
        self._idle_s = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(140, 0, 140, 0)
        card = QFrame()
        card.setObjectName("card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(48, 40, 48, 40)
        inner.setSpacing(20)
        self.title = make_label("title", center=True)
        self.prompt = make_label("", center=True)
        self.dots = make_label("huge", center=True)
        self.message = make_label("error", center=True)
        self.pad = PinPad()
        self.pad.pressed.connect(self.press)
        self.ok = make_button("pin:ok", role="primary")
        self.cancel = make_button("pin:cancel")
        self.ok.clicked.connect(self.submit)
        self.cancel.clicked.connect(self.close_pad)
        for widget in (self.title, self.prompt, self.dots, self.message, self.pad):
            inner.addWidget(widget)
        inner.addWidget(row(self.cancel, self.ok))
        outer.addStretch(1)
        outer.addWidget(card)
        outer.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.hide()

    def open(self) -> None:
        self.entered = ""
        self._idle_s = 0
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.refresh()
        self.show()
        self.raise_()
        self.timer.start()

    def close_pad(self) -> None:
        self.entered = ""
        self.timer.stop()
        self.hide()

    def press(self, key: str) -> None:
        self._idle_s = 0
        if key == "clear":
            self.entered = ""
        elif key == "backspace":
            self.entered = self.entered[:-1]
        elif key.isdigit() and len(self.entered) < MAX_PIN_DIGITS:
            self.entered += key
        self.refresh()

    def submit(self) -> None:
        self._idle_s = 0
        pin, self.entered = self.entered, ""
        result = self.lock.try_pin(pin)
        if result.ok:
            log.info("auth-pin-entry success")
            self.close_pad()
            self.accepted.emit()
            return
        if result.no_pin_set:
            log.warning("auth-pin-entry refused: no technician PIN set")
            self.refresh(t("pin.no_pin", self._lang()))
        elif result.locked_for_s > 0:
            log.warning("auth-pin-entry-lockout %d s", int(result.locked_for_s))
            self.refresh()
        else:
            log.warning("auth-pin-entry failure (%d left)", result.attempts_left)
            self.refresh(t("pin.wrong", self._lang(), n=result.attempts_left))

    def _tick(self) -> None:
        self._idle_s += 1
        if self._idle_s >= PAD_TIMEOUT_S:
            self.close_pad()
            return
        if self.lock.remaining_lock_s() > 0 or self.message.text():
            self.refresh(None if self.lock.remaining_lock_s() > 0 else self.message.text())

    def refresh(self, message: str | None = None) -> None:
        lang = self._lang()
        locked = self.lock.remaining_lock_s()
        self.title.setText(t("pin.title", lang))
        self.prompt.setText(t("pin.prompt", lang))
        self.dots.setText("●" * len(self.entered) if self.entered else "––––––")
        if locked > 0:
            message = t("pin.locked", lang, time=format_duration(locked))
        self.message.setText(message or "")
        self.message.setVisible(bool(message))
        self.pad.retranslate(lang)
        for button in self.pad.buttons.values():
            button.setEnabled(locked <= 0)
        self.ok.setEnabled(locked <= 0 and bool(self.entered))
        self.ok.setText(t("pin.ok", lang))
        self.cancel.setText(t("pin.cancel", lang))
