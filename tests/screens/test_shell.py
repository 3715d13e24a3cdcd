"""The window: idle warning with countdown, language and elderly switches, lockdown."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton

from kiosk.visit import Step
from screens.base import find_intent
from screens.window import KioskWindow
from tests.fakes import FakeClock


def _texts(win: KioskWindow) -> str:
    from PySide6.QtWidgets import QLabel

    return " ".join(w.text() for w in win.findChildren(QLabel) + win.findChildren(QPushButton) if w.isVisible())


def test_attract_screen_invites_the_resident(window: KioskWindow) -> None:
    assert window.machine.step is Step.ATTRACT
    assert "请刷身份证或点击开始办理" in _texts(window)


def test_idle_warning_shows_a_countdown_and_more_time_keeps_the_visit(qtbot, window: KioskWindow, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    find_intent(window, "start").click()  # type: ignore[union-attr]
    assert window.machine.step is Step.HOME
    clock.advance(window.machine.delays.idle_warning_s + 1)
    with qtbot.waitSignal(window.screen_shown, timeout=3000):
        window._tick()
    assert window.overlay.isVisible()
    assert window.overlay.countdown.text() == str(int(window.machine.delays.idle_reset_s - 1 + 0.999))
    window.overlay.more.click()
    assert not window.overlay.isVisible() and window.machine.step is Step.HOME


def test_idle_reset_returns_to_attract_in_default_language(qtbot, window: KioskWindow, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    find_intent(window, "start").click()  # type: ignore[union-attr]
    window.language_button.click()
    assert "Apply for a service" in _texts(window)
    clock.advance(window.machine.delays.idle_warning_s + window.machine.delays.idle_reset_s + 1)
    with qtbot.waitSignal(window.screen_shown, timeout=3000):
        window._tick()
    assert window.machine.step is Step.ATTRACT
    assert "请刷身份证或点击开始办理" in _texts(window)


def test_elderly_mode_makes_text_and_targets_larger(window: KioskWindow) -> None:
    start = find_intent(window, "start")
    assert start is not None
    normal_font = start.fontInfo().pixelSize()
    normal_height = start.height()
    window.elderly_button.click()
    QApplication.processEvents()
    start = find_intent(window, "start")
    assert start is not None
    start.ensurePolished()
    assert start.fontInfo().pixelSize() >= 1.5 * normal_font - 1
    assert start.minimumSizeHint().height() >= 90 or start.sizeHint().height() >= 90
    assert normal_height >= 60


def test_touch_targets_are_at_least_60_px(window: KioskWindow) -> None:
    QApplication.processEvents()
    for button in window.findChildren(QPushButton):
        if button.isVisible():
            assert button.height() >= 60, button.property("intent")


def test_context_menu_and_quit_shortcuts_do_nothing(window: KioskWindow) -> None:
    menu = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(10, 10), QPoint(10, 10))
    assert window.eventFilter(window, menu) is True
    alt_f4 = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    assert window.eventFilter(window, alt_f4) is True
    window.allow_close = False
    window.close()
    assert window.isVisible()
    window.allow_close = True


def test_out_of_service_comes_back_by_itself(window: KioskWindow) -> None:
    window.machine.set_service_available(False, "printer")
    assert window.machine.step is Step.OUT_OF_SERVICE
    assert "打印机" in _texts(window)
    window.machine.set_service_available(True)
    assert window.machine.step is Step.ATTRACT
