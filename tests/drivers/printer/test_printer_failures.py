"""What goes wrong with a receipt printer, driven through the real bytes of the
simulator, and what the driver reports (results, never exceptions)."""

from __future__ import annotations

import time

import pytest
import serial

from drivers import sim
from drivers.health import DeviceState, DeviceUnavailable
from drivers.printer.codec import StatusReason, automatic_status_back
from drivers.printer.device import JobFailed, JobPrinted, PrinterStatusChanged
from drivers.printer.sim import PrinterSimulator
from drivers.runner import DeviceRunner
from kiosk.receipt import build_receipt
from tests.drivers.printer.helpers import RECEIPT_NO, SimulatedPrinter, make_driver, sample_receipt

RECEIPT = build_receipt(sample_receipt())


def test_healthy_printer_prints_one_receipt(printer: SimulatedPrinter) -> None:
    result = printer.driver.print_job(RECEIPT)
    assert result.printed
    assert result.reason is StatusReason.OK
    assert result.bytes_sent == len(RECEIPT)
    assert len(printer.sim.receipts) == 1
    assert printer.sim.receipts[0] == RECEIPT  # the fence and status queries are not on the paper
    assert RECEIPT_NO in printer.sim.receipt_text()
    assert printer.driver.health().state is DeviceState.READY


def test_paper_out_before_the_job_sends_nothing(printer: SimulatedPrinter) -> None:
    printer.sim.paper_out = True
    result = printer.driver.print_job(RECEIPT)
    assert not result.printed
    assert result.reason is StatusReason.PAPER_OUT
    assert result.bytes_sent == 0
    assert b"\x1b@" not in printer.sim.host_bytes  # only status queries reached the printer
    assert printer.sim.receipts == []
    health = printer.driver.health()
    assert (health.state, health.reason) == (DeviceState.ERROR, "paper_out")


def test_paper_runs_out_mid_receipt_is_reported_and_a_reprint_is_clean(printer: SimulatedPrinter) -> None:
    printer.sim.runs_out_mid_job = 300
    first = printer.driver.print_job(RECEIPT)
    assert not first.printed
    assert first.reason is StatusReason.PAPER_OUT
    assert 0 < first.bytes_sent <= len(RECEIPT)
    assert printer.sim.receipts == []
    assert printer.driver.health().reason == "paper_out"

    printer.sim.load_paper()  # the technician tears off the stub and loads a roll
    assert len(printer.sim.torn_off) == 1
    again = printer.driver.print_job(RECEIPT)
    assert again.printed
    # Exactly one whole receipt: the rest of the failed job was dropped (DLE ENQ 2).
    assert printer.sim.receipts == [RECEIPT]


def test_cover_open_fails_the_job_until_closed(printer: SimulatedPrinter) -> None:
    printer.sim.cover_open = True
    result = printer.driver.print_job(RECEIPT)
    assert (result.printed, result.reason) == (False, StatusReason.COVER_OPEN)
    assert result.status.cover_open and result.status.offline
    assert printer.driver.health().reason == "cover_open"
    printer.sim.cover_open = False
    assert printer.driver.print_job(RECEIPT).printed


def test_paper_near_end_degrades_but_prints(printer: SimulatedPrinter) -> None:
    printer.sim.paper_near_end = True
    result = printer.driver.print_job(RECEIPT)
    assert result.printed
    assert result.reason is StatusReason.PAPER_NEAR_END
    health = printer.driver.health()
    assert (health.state, health.reason) == (DeviceState.DEGRADED, "paper_near_end")
    assert health.usable


def test_cutter_error_fails_the_job(printer: SimulatedPrinter) -> None:
    printer.sim.cutter_error = True
    result = printer.driver.print_job(RECEIPT)
    assert (result.printed, result.reason) == (False, StatusReason.CUTTER_ERROR)
    assert printer.driver.health().state is DeviceState.ERROR


def test_printer_that_never_answers_status_is_reported_within_a_bounded_time(printer: SimulatedPrinter) -> None:
    printer.sim.never_answers_status = True
    started = time.monotonic()
    result = printer.driver.print_job(RECEIPT)
    assert time.monotonic() - started < 1.0  # status_timeout_s = 0.1 in these tests
    assert (result.printed, result.reason) == (False, StatusReason.NO_ANSWER)
    assert result.bytes_sent == 0
    health = printer.driver.health()
    assert (health.state, health.reason) == (DeviceState.OFFLINE, "no_answer")
    assert printer.sim.receipts == []


def test_unplugged_mid_session_fails_the_job_then_the_runner_reconnects(printer: SimulatedPrinter) -> None:
    runner = DeviceRunner("printer", printer.driver)
    runner.run_once()
    assert runner.health.state is DeviceState.READY
    printer.sim.unplug()
    result = printer.driver.print_job(RECEIPT)  # does not raise
    assert (result.printed, result.reason) == (False, StatusReason.OFFLINE)
    with pytest.raises(DeviceUnavailable):
        printer.driver.poll()
    runner.run_once()
    assert (runner.health.state, runner.health.reason) == (DeviceState.OFFLINE, "disconnected")
    printer.sim.plug()
    runner.wake()
    runner.run_once()
    assert runner.health.state is DeviceState.READY
    assert printer.driver.print_job(RECEIPT).printed


def test_unplugged_before_open_raises_for_the_runner() -> None:
    simulator = PrinterSimulator()
    sim.register("printer-unplugged", simulator)
    simulator.unplug()
    driver = make_driver("sim://printer-unplugged")
    with pytest.raises(serial.SerialException):
        driver.open()
    runner = DeviceRunner("printer", driver)
    runner.run_once()
    assert runner.health.state is DeviceState.OFFLINE


def test_runner_reports_paper_out_as_an_error_state(printer: SimulatedPrinter) -> None:
    runner = DeviceRunner("printer", printer.driver)
    seen: list[tuple[str, object]] = []
    runner.on_event(lambda name, event: seen.append((name, event)))
    printer.driver.status_poll_s = 0.0  # query at every round
    runner.run_once()
    printer.sim.paper_out = True
    runner.run_once()
    assert (runner.health.state, runner.health.reason) == (DeviceState.ERROR, "paper_out")
    changes = [e for _, e in seen if isinstance(e, PrinterStatusChanged)]
    assert [c.status.reason for c in changes] == [StatusReason.OK, StatusReason.PAPER_OUT]


def test_print_through_the_runner_emits_job_events(printer: SimulatedPrinter) -> None:
    runner = DeviceRunner("printer", printer.driver)
    events: list[object] = []
    runner.on_event(lambda _name, event: events.append(event))
    future = runner.call(lambda d: d.print_job(RECEIPT))
    runner.run_once()
    assert future.result(timeout=0).printed
    printer.sim.paper_out = True
    failed = runner.call(lambda d: d.print_job(RECEIPT))
    runner.run_once()
    assert failed.result(timeout=0).reason is StatusReason.PAPER_OUT
    assert [type(e) for e in events if isinstance(e, JobPrinted | JobFailed)] == [JobPrinted, JobFailed]


def test_paper_out_announced_by_automatic_status_back(printer: SimulatedPrinter) -> None:
    # A printer with ASB enabled (by GS a, or by its DIP switch, §2.5) reports a change
    # without being asked; the driver reads it between its own queries.
    assert printer.driver.print_job(automatic_status_back(0x0F)).printed
    printer.driver.status_poll_s = 3600.0
    printer.driver.poll()
    queries = printer.sim.status_requests
    printer.sim.paper_out = True
    events = printer.driver.poll()
    assert printer.sim.status_requests == queries  # no query needed
    assert [e.status.reason for e in events if isinstance(e, PrinterStatusChanged)] == [StatusReason.PAPER_OUT]
    assert printer.driver.health().reason == "paper_out"


def test_printer_without_gs_r_falls_back_to_real_time_status(printer: SimulatedPrinter) -> None:
    printer.sim.answers_gs_r = False
    result = printer.driver.print_job(RECEIPT)
    assert result.printed
    assert printer.sim.receipts == [RECEIPT]


def test_rare_name_character_prints_visibly_replaced(printer: SimulatedPrinter) -> None:
    data = build_receipt(sample_receipt(applicant_name="䶮三𠀀", delivery_method="pickup"), encoding="gbk")
    assert printer.driver.print_job(data).printed
    text = printer.sim.receipt_text()
    assert "□*□" in text  # masked 䶮*𠀀, both outside GBK: boxes, never "?"
    assert "?" not in text and "\ufffd" not in text


def test_reports_never_carry_personal_data(printer: SimulatedPrinter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    printer.sim.runs_out_mid_job = 200
    result = printer.driver.print_job(RECEIPT)
    assert "张" not in repr(result) and "张" not in repr(printer.driver)
    assert "张" not in caplog.text and "海南省" not in caplog.text
