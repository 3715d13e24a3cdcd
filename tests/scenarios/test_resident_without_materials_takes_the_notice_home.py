"""A resident reads an item's guide, finds they lack a material, and must be able to
take the one-time notice (一次性告知单) home on paper: the guide's print button sends it
to the kiosk's receipt printer (sim://, decoded from the real ESC/POS bytes), and a
technician can print it or write it as a PDF from the command line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from drivers.health import DeviceState
from kiosk.cli import main
from kiosk.config import Config
from kiosk.notice import NoticePhase, notice_desk_for
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.application_screens import APPLICATION_SCREENS
from screens.base import find_intent
from screens.guide_screen import GuideScreen
from screens.ops import QtBackground
from screens.window import KioskWindow
from tests.fakes import CANARY_ID_NUMBER, CANARY_NAME, sample_identity

SECURITY_GUARD = "4601001010100200"  # 保安员证核发: education_cert may follow later
MARRIAGE = "4601001020300300"  # 婚姻登记: counter only


@pytest.fixture
def hall(qtbot, config: Config) -> Iterator[tuple[KioskWindow, Terminal]]:  # type: ignore[no-untyped-def]
    terminal = Terminal(config, background=QtBackground(), start_sync=False)
    window = KioskWindow(terminal, extra_screens=APPLICATION_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    terminal.start()
    qtbot.waitUntil(lambda: terminal.devices.health()["printer"].state is DeviceState.READY, timeout=10_000)
    try:
        yield window, terminal
    finally:
        window.close()
        terminal.stop()


def to_guide(window: KioskWindow, code: str) -> GuideScreen:
    machine = window.machine
    machine.start()
    machine.choose_apply()
    machine.card_read(sample_identity())
    machine.confirm_identity()
    machine.choose_item(code)
    assert machine.step is Step.GUIDE
    screen = window.current_screen()
    assert isinstance(screen, GuideScreen)
    return screen


@pytest.mark.parametrize("code", [SECURITY_GUARD, MARRIAGE])
def test_guide_button_prints_the_notice_on_the_receipt_printer(
    qtbot, hall: tuple[KioskWindow, Terminal], code: str, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    window, terminal = hall
    screen = to_guide(window, code)
    button = find_intent(screen, "print_notice")
    assert button is not None and button.isEnabled() and button.text() == "打印告知单"
    button.click()
    assert not button.isEnabled()  # disabled while printing: one tap, one notice
    desk = notice_desk_for(terminal)
    qtbot.waitUntil(lambda: desk.state.phase is not NoticePhase.PRINTING, timeout=15_000)
    assert desk.state.phase is NoticePhase.PRINTED
    assert button.isEnabled() and screen.notice_state.isVisible() and "已打印" in screen.notice_state.text()
    printer = terminal.devices.simulators["printer"]
    assert len(printer.receipts) == 1
    text = printer.receipt_text()
    assert terminal.catalog is not None
    item = terminal.catalog.item(code)
    assert item.name.zh in text and "一次性告知单" in text
    for material in item.materials:
        assert material.name.zh[:8] in text.replace("\n", "")
    if item.counter_only:
        assert "须本人到窗口办理" in text and item.department.zh in text.replace("\n", "")
    assert CANARY_NAME not in text and CANARY_ID_NUMBER not in text  # about the item, not the resident
    printer.save_png(tmp_path / f"notice-{code}.png")
    window.machine.back()
    window.machine.choose_item(code)
    assert not screen.notice_state.isVisible()  # a new look at the guide starts afresh


def test_cli_prints_the_notice_and_writes_it_as_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    pdf = tmp_path / "notice.pdf"
    png = tmp_path / "notice.png"
    assert main(["catalog", "notice", SECURITY_GUARD, "--printer", "sim://", "--out", str(png),
                 "--pdf", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "告知单已打印" in out and png.is_file()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "保安员证核发" in text and "可容缺后补" in text


def test_cli_notice_for_an_unknown_item_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "notice", "NO-SUCH-ITEM", "--printer", "sim://"]) == 1
    err = capsys.readouterr().err
    assert "no such item" in err and "Traceback" not in err


def test_cli_notice_on_a_printer_out_of_paper_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    from drivers import sim
    from drivers.printer.sim import PrinterSimulator

    empty = PrinterSimulator()
    empty.paper_out = True
    sim.register("empty-notice-printer", empty)
    assert main(["catalog", "notice", SECURITY_GUARD, "--printer", "sim://empty-notice-printer"]) == 1
    assert "缺纸" in capsys.readouterr().err
    assert not empty.receipts
