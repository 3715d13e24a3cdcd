"""Staff-assisted visits: a staff member identifies by scanning their code or with their
id and PIN; the banner says the visit is assisted; the application records it; staff
codes are never mistaken for anything else; guessing PINs is limited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

import pytest

from drivers.health import DeviceState
from kiosk.config import Config, DeviceConfig
from kiosk.staff import StaffDirectory
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.assist import LOCK_S, MAX_FAILURES
from screens.base import find_intent
from screens.technician_screens import TECHNICIAN_SCREENS, TechnicianWiring, wire_technician
from screens.window import KioskWindow
from tests.fakes import FakeClock

STAFF = {"staff_id": "S001", "name": "王芳"}


@pytest.fixture
def hall(qtbot, config: Config) -> Iterator[tuple[KioskWindow, TechnicianWiring, str, FakeClock]]:  # type: ignore[no-untyped-def]
    devices = dict(config.devices)
    devices["camera"] = DeviceConfig("camera", required=False)  # no camera driver in this hall yet
    config = replace(config, devices=devices)
    code = StaffDirectory(config.storage_dir).add("S001", "王芳", "135790")
    clock = FakeClock()
    terminal = Terminal(config, clock=clock, start_sync=False)
    window = KioskWindow(terminal, extra_screens=TECHNICIAN_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    wiring = wire_technician(window, add_banner=True, listen_to_scanner=True)
    terminal.start()
    qtbot.waitUntil(lambda: terminal.devices.health()["scanner"].state is not DeviceState.CONNECTING, timeout=10_000)
    try:
        yield window, wiring, code, clock
    finally:
        window.close()
        terminal.stop()


def test_scanning_a_staff_code_at_attract_starts_an_assisted_visit(qtbot, hall) -> None:  # type: ignore[no-untyped-def]
    window, wiring, code, _ = hall
    window.terminal.devices.simulators["scanner"].scan(code)
    qtbot.waitUntil(lambda: window.machine.visit.assisted_by is not None, timeout=10_000)
    assert window.machine.step is Step.HOME
    assert window.machine.visit.assisted_by == STAFF
    assert wiring.banner.isVisible() and wiring.banner.text.text() == "工作人员帮办中：王芳"


def test_staff_joining_mid_visit_answers_the_call(qtbot, hall) -> None:  # type: ignore[no-untyped-def]
    window, wiring, code, _ = hall
    window.machine.start()
    window.machine.choose_progress()
    window.terminal.request_help()
    qtbot.waitUntil(lambda: wiring.banner.button.isVisible(), timeout=3000)
    assert "已呼叫工作人员" in wiring.banner.text.text()
    assert wiring.assist.handle_scan(code)
    assert window.machine.step is Step.PROGRESS and window.machine.visit.assisted_by == STAFF
    assert not window.terminal.status.help_requested


def test_the_assisted_mark_ends_with_the_visit(qtbot, hall) -> None:  # type: ignore[no-untyped-def]
    window, wiring, code, _ = hall
    assert wiring.assist.handle_scan(code)
    window.machine.end("resident")
    assert window.machine.visit.assisted_by is None and not wiring.banner.isVisible()


def test_an_unknown_staff_code_is_swallowed_and_said_so(qtbot, hall) -> None:  # type: ignore[no-untyped-def]
    window, wiring, code, clock = hall
    forged = code[:-2] + ("AA" if not code.endswith("AA") else "BB")
    assert wiring.assist.handle_scan(forged)
    assert window.machine.step is Step.ATTRACT and window.machine.visit.assisted_by is None
    assert wiring.banner.isVisible() and "工作人员码无效" in wiring.banner.text.text()
    clock.advance(6)
    wiring.banner.refresh()
    assert not wiring.banner.isVisible()


def test_other_codes_are_left_to_the_rest_of_the_kiosk(hall) -> None:  # type: ignore[no-untyped-def]
    _, wiring, _, _ = hall
    assert not wiring.assist.handle_scan("T0001-261123-0427D")
    assert not wiring.assist.handle_scan("https://example.org/KIOSK-STAFF:S001:x")


def test_a_staff_code_while_saving_is_ignored_but_still_swallowed(hall) -> None:  # type: ignore[no-untyped-def]
    window, wiring, code, _ = hall
    window.machine.enter_technician()
    assert wiring.assist.handle_scan(code)
    assert window.machine.visit.assisted_by is None


def test_sign_in_with_staff_id_and_pin_after_a_call(qtbot, hall) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _, _ = hall
    window.machine.start()
    find_intent(window, "help").click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: wiring.banner.button.isVisible(), timeout=3000)
    wiring.banner.button.click()
    overlay = wiring.sign_in
    assert overlay.isVisible()
    overlay.staff_id.setText("S001")
    overlay.pin.setText("000000")
    find_intent(window, "assist:ok").click()  # type: ignore[union-attr]
    assert "不正确" in overlay.message.text() and window.machine.visit.assisted_by is None
    overlay.pin.setText("135790")
    find_intent(window, "assist:ok").click()  # type: ignore[union-attr]
    assert not overlay.isVisible()
    assert window.machine.visit.assisted_by == STAFF
    assert overlay.pin.text() == ""


def test_guessing_staff_pins_is_limited(hall) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _, clock = hall
    window.machine.start()
    results = [wiring.assist.sign_in("S001", f"00000{i}") for i in range(MAX_FAILURES)]
    assert results[-1].locked_for_s == LOCK_S
    assert not wiring.assist.sign_in("S001", "135790").ok  # even the right PIN waits
    clock.advance(LOCK_S + 1)
    assert wiring.assist.sign_in("S001", "135790").ok


def test_the_application_records_who_assisted(hall) -> None:  # type: ignore[no-untyped-def]
    from kiosk.application import build_application
    from tests.fakes import sample_identity

    window, wiring, code, _ = hall
    wiring.assist.handle_scan(code)
    machine = window.machine
    catalog = window.terminal.catalog
    assert catalog is not None
    item = next(i for i in catalog.items if not i.materials and not i.counter_only)
    machine.visit.identity = sample_identity()
    machine.visit.item_code = item.code
    machine.visit.commitment_version = "c1"
    machine.visit.commitment_accepted_at = dt.datetime.now().astimezone()
    machine.visit.delivery = {"method": item.delivery[0].value}
    application = build_application(machine.visit, item, catalog_version=catalog.version,
                                    assemble=lambda pages: b"%PDF-1.4")
    assert application.assisted_by == STAFF
