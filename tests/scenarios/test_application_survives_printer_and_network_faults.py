"""A whole application through the real Terminal: durable before the receipt shows,
printed on the simulated printer, delivered exactly once to the reference platform —
and a printer out of paper or a double tap on submit loses or repeats nothing."""

from __future__ import annotations

import pytest

from drivers.id_reader.sim import sample_card
from kiosk.config import Config
from kiosk.refplatform.server import RunningPlatform
from kiosk.terminal import Terminal
from kiosk.visit import Step
from offline_queue.receipt_no import is_receipt_no
from tests.scenarios.visits import to_review


def test_application_is_durable_printed_and_delivered_once(terminal: Terminal, platform: RunningPlatform) -> None:
    to_review(terminal)
    terminal.submit_application()
    assert terminal.machine.step is Step.RECEIPT
    receipt_no = terminal.machine.visit.receipt_no
    assert receipt_no and is_receipt_no(receipt_no)
    assert terminal.receipt_print_state == "printed"
    printer = terminal.devices.simulators["printer"]
    assert receipt_no in printer.receipt_text()
    assert terminal.outbox is not None and terminal.sync is not None
    terminal.sync.run_once(ignore_timers=True)
    terminal.sync.run_once(ignore_timers=True)
    assert platform.count_cases() == 1
    info = terminal.outbox.lookup(receipt_no)
    assert info.case_no
    case = platform.get_case_by_receipt(receipt_no)
    assert case is not None


def test_double_tap_on_submit_makes_one_application(terminal: Terminal, platform: RunningPlatform) -> None:
    to_review(terminal)
    terminal.submit_application()
    terminal.submit_application()
    assert terminal.outbox is not None and terminal.sync is not None
    assert terminal.outbox.status().as_dict()["pending"] == 1
    terminal.sync.run_once(ignore_timers=True)
    assert platform.count_submissions() == 1


def test_printer_out_of_paper_keeps_the_application_and_shows_the_number(terminal: Terminal) -> None:
    terminal.devices.simulators["printer"].paper_out = True
    to_review(terminal)
    terminal.submit_application()
    assert terminal.machine.step is Step.RECEIPT
    assert terminal.receipt_print_state == "failed"
    receipt_no = terminal.machine.visit.receipt_no
    assert receipt_no is not None
    assert terminal.outbox is not None
    assert terminal.outbox.lookup(receipt_no).state.value == "pending"


def test_unprovisioned_terminal_refuses_politely_and_keeps_the_form(config: Config) -> None:
    term = Terminal(config, start_sync=False)
    term.start()
    try:
        to_review(term)
        term.submit_application()
        assert term.machine.step is Step.REVIEW
        assert term.machine.visit.submit_problem == "not_provisioned"
        assert term.machine.visit.form_values
    finally:
        term.stop()


def test_a_whole_visit_logs_no_personal_data(
    terminal: Terminal, platform: RunningPlatform, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    to_review(terminal)
    terminal.submit_application()
    assert terminal.sync is not None
    terminal.sync.run_once(ignore_timers=True)
    card = sample_card("resident")
    text = caplog.text + repr(terminal) + repr(terminal.machine) + repr(terminal.machine.visit)
    for secret in (card.id_number, card.name, card.address or "", "13800138000", "138 0013 8000"):
        assert secret and secret not in text
