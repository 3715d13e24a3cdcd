"""The technician's way in: a long press in the top-left corner while the kiosk is idle,
then the PIN; wrong PINs lock the pad with a countdown that a restart does not clear;
the session locks itself when left alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from kiosk.config import Config
from kiosk.staff import FIRST_DELAY_S, TechnicianLock
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import find_intent
from screens.technician_screens import TECHNICIAN_SCREENS, TechnicianWiring, wire_technician
from screens.window import KioskWindow
from tests.fakes import FakeClock

PIN = "24681357"


class Wall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


def make_window(qtbot, terminal: Terminal, wall: Wall) -> tuple[KioskWindow, TechnicianWiring]:  # type: ignore[no-untyped-def]
    window = KioskWindow(terminal, extra_screens=TECHNICIAN_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    lock = TechnicianLock(terminal.config.storage_dir, wall=wall)
    if not lock.has_pin:
        lock.set_pin(PIN)
    wiring = wire_technician(window, lock=lock, hold_ms=60, add_banner=True, quit=lambda: None,
                             restart=lambda: None)
    return window, wiring


@pytest.fixture
def wired(qtbot, terminal: Terminal, wall: Wall) -> Iterator[tuple[KioskWindow, TechnicianWiring]]:  # type: ignore[no-untyped-def]
    window, wiring = make_window(qtbot, terminal, wall)
    yield window, wiring
    wiring.pin.close_pad()


def long_press(qtbot, window: KioskWindow, at: QPoint | None = None, hold_ms: int = 250) -> None:  # type: ignore[no-untyped-def]
    at = at or QPoint(12, 12)
    target = window.childAt(at) or window
    local = target.mapFrom(window, at)
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, local)
    if hold_ms:
        qtbot.wait(hold_ms)
    QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, local)


def type_pin(window: KioskWindow, pin: str) -> None:
    for digit in pin:
        button = find_intent(window, f"pin:{digit}")
        assert button is not None and button.isEnabled()
        button.click()
    ok = find_intent(window, "pin:ok")
    assert ok is not None
    ok.click()


def test_a_long_press_in_the_corner_opens_the_pin_pad(qtbot, wired: tuple[KioskWindow, TechnicianWiring]) -> None:  # type: ignore[no-untyped-def]
    window, wiring = wired
    long_press(qtbot, window)
    assert wiring.pin.isVisible()
    assert "技术员 PIN" in wiring.pin.prompt.text()
    assert window.machine.step is Step.ATTRACT


def test_a_tap_or_a_press_elsewhere_does_nothing(qtbot, wired: tuple[KioskWindow, TechnicianWiring]) -> None:  # type: ignore[no-untyped-def]
    window, wiring = wired
    long_press(qtbot, window, hold_ms=0)  # a tap: lifted before the hold can end
    qtbot.wait(150)
    assert not wiring.pin.isVisible()
    long_press(qtbot, window, at=QPoint(540, 900))
    assert not wiring.pin.isVisible()


def test_no_way_in_during_a_resident_visit(qtbot, wired: tuple[KioskWindow, TechnicianWiring]) -> None:  # type: ignore[no-untyped-def]
    window, wiring = wired
    window.machine.start()
    long_press(qtbot, window)
    assert not wiring.pin.isVisible()


def test_the_right_pin_enters_and_back_to_service_returns(qtbot, wired: tuple[KioskWindow, TechnicianWiring]) -> None:  # type: ignore[no-untyped-def]
    window, wiring = wired
    long_press(qtbot, window)
    type_pin(window, PIN)
    assert window.machine.step is Step.TECHNICIAN and not wiring.pin.isVisible()
    assert window.current_screen() is wiring.screen
    leave = find_intent(window, "technician:leave")
    assert leave is not None
    leave.click()
    assert window.machine.step is Step.ATTRACT


def test_out_of_service_is_where_a_technician_is_needed_most(qtbot, wired: tuple[KioskWindow, TechnicianWiring]) -> None:  # type: ignore[no-untyped-def]
    window, wiring = wired
    window.machine.set_service_available(False, "printer")
    long_press(qtbot, window)
    type_pin(window, PIN)
    assert window.machine.step is Step.TECHNICIAN
    wiring.screen.leave_now()
    assert window.machine.step is Step.OUT_OF_SERVICE


def test_wrong_pins_lock_the_pad_with_a_countdown_that_survives_a_restart(
        qtbot, terminal: Terminal, config: Config, clock: FakeClock, wall: Wall) -> None:  # type: ignore[no-untyped-def]
    window, wiring = make_window(qtbot, terminal, wall)
    long_press(qtbot, window)
    type_pin(window, "000000")
    assert "还可尝试 2 次" in wiring.pin.message.text()
    type_pin(window, "000000")
    type_pin(window, "000000")
    assert "已锁定" in wiring.pin.message.text() and "0:30" in wiring.pin.message.text()
    assert not wiring.pin.pad.buttons["1"].isEnabled()
    wiring.pin.close_pad()
    window.close()

    # The kiosk restarts: a new terminal and window over the same storage dir.
    restarted = Terminal(config, clock=clock)
    try:
        window2, wiring2 = make_window(qtbot, restarted, wall)
        long_press(qtbot, window2)
        assert wiring2.pin.isVisible() and "已锁定" in wiring2.pin.message.text()
        assert not wiring2.pin.pad.buttons["1"].isEnabled()
        wall.now += FIRST_DELAY_S + 1
        wiring2.pin.refresh()
        type_pin(window2, PIN)
        assert window2.machine.step is Step.TECHNICIAN
        wiring2.screen.leave_now()
    finally:
        restarted.stop()


def test_the_pad_closes_by_itself_when_left(qtbot, wired: tuple[KioskWindow, TechnicianWiring]) -> None:  # type: ignore[no-untyped-def]
    window, wiring = wired
    long_press(qtbot, window)
    for _ in range(30):
        wiring.pin._tick()
    assert not wiring.pin.isVisible()


def test_the_technician_session_locks_itself_after_five_minutes(
        qtbot, wired: tuple[KioskWindow, TechnicianWiring], clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    window, wiring = wired
    window.machine.enter_technician()
    clock.advance(200)
    wiring.screen._tick()
    assert window.machine.step is Step.TECHNICIAN
    QTest.mouseClick(wiring.screen.title, Qt.MouseButton.LeftButton)  # a touch restarts the count
    clock.advance(200)
    wiring.screen._tick()
    assert window.machine.step is Step.TECHNICIAN
    clock.advance(101)
    wiring.screen._tick()
    assert window.machine.step is Step.ATTRACT


def test_the_dev_hall_default_pin_only_on_the_local_platform(tmp_path: Path) -> None:
    from dataclasses import replace

    from screens.technician_screen import TechnicianServices

    local = Terminal(Config().with_storage(tmp_path / "a"), start_sync=False)
    remote = Terminal(replace(Config(), storage_dir=tmp_path / "b", platform_url="https://gov.example.cn"),
                      start_sync=False)
    try:
        assert TechnicianServices.for_terminal(local).lock.try_pin("246810").ok
        assert TechnicianServices.for_terminal(remote).lock.try_pin("246810").no_pin_set
    finally:
        local.stop()
        remote.stop()
