"""The kiosk's one window: top bar, the current screen, the status strip, and the
idle warning over everything. Designed for a portrait 1080×1920 touch panel and
laid out to stay correct at 1920×1080.

Lockdown (reliability.md §8): frameless, no context menus, keyboard shortcuts that
could leave the app are swallowed, and the window refuses to close unless the
technician's exit says so.
"""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from drivers.health import DeviceState, Health
from kiosk.strings import t
from kiosk.terminal import StatusView, Terminal
from kiosk.visit import Step, VisitMachine
from screens import theme
from screens.after_screens import AFTER_SCREENS
from screens.application_screens import APPLICATION_SCREENS
from screens.attract_screen import AttractScreen
from screens.base import Screen, make_button, make_label
from screens.capture_screen import CaptureScreen
from screens.face_screen import FaceScreen
from screens.home_screen import HomeScreen
from screens.identify_screen import IdentifyScreen, IdentityScreen
from screens.materials_screen import MaterialsScreen
from screens.out_of_service_screen import OutOfServiceScreen
from screens.receipt_screen import ReceiptScreen, SubmittingScreen
from screens.technician_screens import TECHNICIAN_SCREENS

log = logging.getLogger(__name__)

SCREEN_CLASSES: tuple[type[Screen], ...] = (
    AttractScreen, HomeScreen, OutOfServiceScreen, IdentifyScreen, IdentityScreen, MaterialsScreen,
    SubmittingScreen, ReceiptScreen, CaptureScreen, FaceScreen, *APPLICATION_SCREENS, *AFTER_SCREENS, *TECHNICIAN_SCREENS,
)


class _Bridge(QObject):
    """Device threads call in here; queued signals bring the calls to the GUI thread."""

    device_event = Signal(str, object)
    status_changed = Signal()


class IdleOverlay(QFrame):
    def __init__(self, parent: QWidget, machine: VisitMachine) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.machine = machine
        outer = QVBoxLayout(self)
        card = QFrame()
        card.setObjectName("card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(48, 48, 48, 48)
        inner.setSpacing(24)
        self.title = make_label("title", center=True)
        self.countdown = make_label("huge", center=True)
        self.body = make_label("", center=True)
        self.more = make_button("more_time", role="primary")
        self.end = make_button("end_visit")
        self.more.clicked.connect(machine.more_time)
        self.end.clicked.connect(lambda: machine.end("resident"))
        for widget in (self.title, self.countdown, self.body, self.more, self.end):
            inner.addWidget(widget)
        outer.addStretch(1)
        outer.addWidget(card)
        outer.addStretch(1)
        outer.setContentsMargins(80, 0, 80, 0)
        self.hide()

    def refresh(self, lang: str) -> None:
        seconds = int(self.machine.idle_remaining_s() + 0.999)
        self.title.setText(t("idle.title", lang))
        self.countdown.setText(str(seconds))
        self.body.setText(t("idle.body", lang, s=seconds))
        self.more.setText(t("idle.more", lang))
        self.end.setText(t("idle.end", lang))


class KioskWindow(QWidget):
    screen_shown = Signal(str)  # the Step value, after render

    def __init__(self, terminal: Terminal, *, extra_screens: tuple[type[Screen], ...] = ()) -> None:
        super().__init__()
        self.terminal = terminal
        self.machine = terminal.machine
        self.allow_close = False
        self.setWindowTitle("政务服务自助终端")
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setObjectName("content")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_topbar())
        self.stack = QStackedWidget()
        root.addWidget(self.stack, 1)
        root.addWidget(self._build_strip())

        self.screens: dict[Step, Screen] = {}
        self._pages: dict[Step, QScrollArea] = {}
        for cls in dict.fromkeys(SCREEN_CLASSES + extra_screens):
            screen = cls(terminal)
            self.screens[cls.step] = screen
            # A screen taller than the panel (elderly text on a landscape panel) scrolls
            # instead of growing the window past the panel.
            page = QScrollArea()
            page.setWidgetResizable(True)
            page.setFrameShape(QFrame.Shape.NoFrame)
            page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            page.setWidget(screen)
            self._pages[cls.step] = page
            self.stack.addWidget(page)
        self.overlay = IdleOverlay(self, self.machine)
        self._current: Screen | None = None
        self._elderly_applied: bool | None = None

        self.bridge = _Bridge()
        self.bridge.device_event.connect(terminal.handle_device_event, Qt.ConnectionType.QueuedConnection)
        self.bridge.status_changed.connect(self._status_changed, Qt.ConnectionType.QueuedConnection)
        terminal.devices.on_event(self._relay_device_event)
        terminal.on_status(lambda _view: self._relay_status())
        self.machine.subscribe(lambda _m: self.refresh())

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.refresh()

    # -- construction ---------------------------------------------------------------------
    def _build_topbar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("topbar")
        bar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(32, 12, 32, 12)
        self.hall_label = make_label("hall", wrap=False)
        self.clock_label = make_label("", wrap=False)
        self.language_button = make_button("language")
        self.elderly_button = make_button("elderly")
        self.help_button = make_button("help", role="help")
        self.back_button = make_button("back")
        self.language_button.clicked.connect(self._toggle_language)
        self.elderly_button.clicked.connect(lambda: self.machine.set_elderly(not self.machine.visit.elderly))
        self.help_button.clicked.connect(self.terminal.request_help)
        self.back_button.clicked.connect(self.machine.back)
        # The hall name gives way first when space is short (elderly text, a narrow panel).
        self.hall_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.back_button)
        layout.addWidget(self.hall_label, 1)
        layout.addWidget(self.clock_label)
        for button in (self.language_button, self.elderly_button, self.help_button):
            layout.addWidget(button)
        return bar

    def _build_strip(self) -> QWidget:
        strip = QWidget()
        strip.setObjectName("strip")
        strip.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QHBoxLayout(strip)
        layout.setContentsMargins(32, 8, 32, 8)
        self.platform_label = make_label("", wrap=False)
        self.devices_label = make_label("", wrap=False)
        self.queue_label = make_label("", wrap=False)
        self.help_label = make_label("warn", wrap=False)
        # Several device problems at once must not widen the window past the panel.
        self.devices_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.setSpacing(24)
        layout.addWidget(self.platform_label)
        layout.addWidget(self.devices_label, 1)
        layout.addWidget(self.help_label)
        layout.addWidget(self.queue_label)
        return strip

    # -- rendering ------------------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self.machine.visit.language

    def current_screen(self) -> Screen:
        return self.screens[self.machine.step]

    def refresh(self) -> None:
        elderly = self.machine.visit.elderly
        if elderly != self._elderly_applied:
            self.setStyleSheet(theme.stylesheet(theme.metrics(elderly)))
            self._elderly_applied = elderly
        screen = self.screens.get(self.machine.step)
        if screen is None:
            log.error("no screen for %s", self.machine.step.value)
            return
        if screen is not self._current:
            if self._current is not None:
                self._current.left()
            self.stack.setCurrentWidget(self._pages[self.machine.step])
            self._current = screen
            screen.refresh()
            screen.entered()
        else:
            screen.refresh()
        lang = self.lang
        self.hall_label.setText(self.terminal.config.terminal_name)
        self.language_button.setText(t("frame.language", lang))
        self.elderly_button.setText(t("frame.elderly_off" if elderly else "frame.elderly_on", lang))
        self.help_button.setText(t("frame.help", lang))
        self.back_button.setText(t("frame.back", lang))
        self.clock_label.setVisible(not elderly)  # the attract screen shows the time large
        self.back_button.setVisible(self.machine.step not in (
            Step.ATTRACT, Step.OUT_OF_SERVICE, Step.SUBMITTING, Step.RECEIPT, Step.THANKS, Step.TECHNICIAN,
        ))
        # A technician at work needs neither large text nor a call for staff: they are
        # the staff.
        for button in (self.elderly_button, self.help_button):
            button.setVisible(self.machine.step is not Step.TECHNICIAN)
        self._render_status(self.terminal.status)
        self._render_overlay()
        self.screen_shown.emit(self.machine.step.value)

    def _render_overlay(self) -> None:
        if self.machine.idle_warning:
            self.overlay.setGeometry(self.rect())
            self.overlay.refresh(self.lang)
            self.overlay.show()
            self.overlay.raise_()
        else:
            self.overlay.hide()

    def _render_status(self, status: StatusView) -> None:
        lang = self.lang
        reachable = status.platform_reachable
        self.platform_label.setText(t("status.platform_down" if reachable is False else "status.platform_up", lang))
        self.platform_label.setObjectName("warn" if reachable is False else "")
        problems = [
            t("status.device_problem", lang, device=t(f"device.{kind}", lang), state=t(f"state.{h.state.value}", lang))
            for kind, h in sorted(status.devices.items()) if h.state not in (DeviceState.READY, DeviceState.BUSY)
        ]
        self.devices_label.setText(" · ".join(problems) if problems else t("status.devices_ok", lang))
        self.queue_label.setText(t("status.queue", lang, n=status.queue_pending) if status.queue_pending else "")
        self.help_label.setText(t("status.help_pending", lang) if status.help_requested else "")
        for label in (self.platform_label,):
            label.style().unpolish(label)
            label.style().polish(label)

    # Device threads call these. Once the window is gone (shutting down, a test's window
    # closed while devices still run) the bridge's C++ side is deleted and emit raises
    # RuntimeError in the device's thread, which its runner would count as a device fault.
    def _relay_device_event(self, kind: str, event: object) -> None:
        with contextlib.suppress(RuntimeError):
            self.bridge.device_event.emit(kind, event)

    def _relay_status(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.bridge.status_changed.emit()

    def _status_changed(self) -> None:
        self.terminal.refresh_service_availability()
        self._render_status(self.terminal.status)

    def _tick(self) -> None:
        self.terminal.tick()
        self.machine.tick()
        self.clock_label.setText(self._now_text())
        if self.machine.idle_warning:
            self.overlay.refresh(self.lang)
        screen = self._current
        if isinstance(screen, AttractScreen):
            screen.tick()

    @staticmethod
    def _now_text() -> str:
        import datetime as dt

        return dt.datetime.now().astimezone().strftime("%H:%M")

    def _toggle_language(self) -> None:
        self.machine.set_language("en" if self.lang == "zh" else "zh")

    # -- lockdown -------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ContextMenu:
            return True
        if kind == QEvent.Type.MouseButtonPress:
            self.machine.touch()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(event, QKeyEvent):
            mods = event.modifiers()
            if mods & (Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier):
                return True  # Alt+F4, Ctrl+W, Ctrl+Q, Super: nothing a resident can use to leave
            if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_F11, Qt.Key.Key_Meta, Qt.Key.Key_Super_L, Qt.Key.Key_Super_R):
                return True
        return super().eventFilter(watched, event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.allow_close:
            event.accept()
        else:
            event.ignore()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.overlay.setGeometry(self.rect())


def health_text(health: Health, lang: str) -> str:
    return t(f"state.{health.state.value}", lang)


_ = QLabel
