"""The guide's "打印告知单" when the receipt printer cannot print: out of paper,
unplugged, or not configured at all. The resident is told plainly (Chinese or
English), the guide stays usable, the button comes back, nothing crashes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QPushButton

from drivers.health import DeviceState
from kiosk.config import Config, DeviceConfig
from kiosk.notice import NoticePhase, notice_desk_for
from kiosk.strings import t
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.application_screens import APPLICATION_SCREENS
from screens.base import find_intent
from screens.guide_screen import GuideScreen
from screens.ops import QtBackground
from screens.window import KioskWindow
from tests.fakes import sample_identity

SECURITY_GUARD = "4601001010100200"


def open_hall(qtbot, config: Config) -> tuple[KioskWindow, Terminal]:  # type: ignore[no-untyped-def]
    terminal = Terminal(config, background=QtBackground(), start_sync=False)
    window = KioskWindow(terminal, extra_screens=APPLICATION_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    terminal.start()
    return window, terminal


@pytest.fixture
def hall(qtbot, config: Config) -> Iterator[tuple[KioskWindow, Terminal]]:  # type: ignore[no-untyped-def]
    window, terminal = open_hall(qtbot, config)
    qtbot.waitUntil(lambda: terminal.devices.health()["printer"].state is DeviceState.READY, timeout=10_000)
    try:
        yield window, terminal
    finally:
        window.close()
        terminal.stop()


def guide(window: KioskWindow, language: str = "zh") -> tuple[GuideScreen, QPushButton]:
    machine = window.machine
    machine.start()
    machine.set_language(language)
    machine.choose_apply()
    machine.card_read(sample_identity())
    machine.confirm_identity()
    machine.choose_item(SECURITY_GUARD)
    assert machine.step is Step.GUIDE
    screen = window.current_screen()
    assert isinstance(screen, GuideScreen)
    button = find_intent(screen, "print_notice")
    assert button is not None and button.isEnabled()
    return screen, button


def print_and_wait(qtbot, terminal: Terminal, button: QPushButton) -> None:  # type: ignore[no-untyped-def]
    button.click()
    desk = notice_desk_for(terminal)
    qtbot.waitUntil(lambda: desk.state.phase is not NoticePhase.PRINTING, timeout=15_000)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_printer_out_of_paper_tells_the_resident_plainly(
    qtbot, hall: tuple[KioskWindow, Terminal], language: str,  # type: ignore[no-untyped-def]
) -> None:
    window, terminal = hall
    printer = terminal.devices.simulators["printer"]
    printer.paper_out = True
    screen, button = guide(window, language)
    print_and_wait(qtbot, terminal, button)
    assert notice_desk_for(terminal).state.reason == "paper_out"
    assert screen.notice_state.isVisible()
    assert screen.notice_state.text() == t("notice.paper_out", language)
    assert screen.notice_state.objectName() == "error"
    assert button.isEnabled()  # may try again once paper is loaded
    assert window.machine.step is Step.GUIDE and find_intent(screen, "begin_application") is not None
    assert not printer.receipts

    printer.load_paper()
    print_and_wait(qtbot, terminal, button)
    assert notice_desk_for(terminal).state.phase is NoticePhase.PRINTED
    assert screen.notice_state.text() == t("notice.printed", language)
    assert len(printer.receipts) == 1


def test_printer_unplugged_says_it_is_not_working(qtbot, hall: tuple[KioskWindow, Terminal]) -> None:  # type: ignore[no-untyped-def]
    window, terminal = hall
    screen, button = guide(window)
    terminal.devices.simulators["printer"].unplug()
    print_and_wait(qtbot, terminal, button)
    assert notice_desk_for(terminal).state.phase is NoticePhase.FAILED
    assert screen.notice_state.text() == t("notice.printer_down", "zh")
    assert button.isEnabled() and window.machine.step is Step.GUIDE


def test_no_printer_configured_says_it_is_not_working(qtbot, config: Config) -> None:  # type: ignore[no-untyped-def]
    devices = dict(config.devices)
    devices["printer"] = DeviceConfig("printer", port="")
    window, terminal = open_hall(qtbot, Config(storage_dir=config.storage_dir, devices=devices))
    try:
        screen, button = guide(window)
        button.click()
        assert notice_desk_for(terminal).state.reason == "no_printer"
        assert screen.notice_state.text() == t("notice.printer_down", "zh")
        assert button.isEnabled()
    finally:
        window.close()
        terminal.stop()
