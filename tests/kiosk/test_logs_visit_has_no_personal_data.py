"""A whole visit through the real terminal and window, logged at DEBUG to the kiosk's
log file, holds none of the resident's data: not the canary ID number, not the name,
not the phone number, not the address — also after careless log calls and an
exception carrying them (STYLE.md §13, reliability.md E1/D5)."""

from __future__ import annotations

import datetime as dt
import logging
import tarfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage

from drivers.health import DeviceState
from kiosk.config import Config, DeviceConfig
from kiosk.logs import export_logs, recent_lines, setup_logging, watch_visits
from kiosk.provisioning import Provisioned, ProvisionRequest, provision
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.technician_screens import TECHNICIAN_SCREENS, wire_technician
from screens.window import KioskWindow
from tests.fakes import CANARY_ID_NUMBER, CANARY_NAME, FakeClock, sample_identity

ITEM = "4601001030700400"  # 个人社会保险参保证明开具: no materials to photograph
PHONE = "13912340000"


def _png() -> bytes:
    image = QImage(40, 20, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    from kiosk.refplatform.server import start_in_thread

    running = start_in_thread(tmp_path / "platform")
    try:
        yield running
    finally:
        running.stop()


def test_a_full_visit_leaves_no_personal_data_in_the_log(qtbot, config: Config, platform: Any,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path) -> None:
    devices = dict(config.devices)
    devices["camera"] = DeviceConfig("camera", required=False)
    config = replace(config, platform_url=platform.url, devices=devices)
    logs = setup_logging(config.storage_dir, level=logging.DEBUG)
    terminal: Terminal | None = None
    try:
        outcome = provision(ProvisionRequest(platform.url, platform.new_enrollment_code(), "H1", "测试终端"), config)
        assert isinstance(outcome, Provisioned)
        terminal = Terminal(config, clock=FakeClock())
        watch_visits(terminal, logs.redactor)
        window = KioskWindow(terminal, extra_screens=TECHNICIAN_SCREENS)
        window.allow_close = True
        qtbot.addWidget(window)
        window.resize(1080, 1920)
        window.show()
        wire_technician(window, add_banner=True)
        terminal.start()
        qtbot.waitUntil(lambda: terminal is not None and terminal.devices.health()["id_reader"].state
                        is DeviceState.READY, timeout=10_000)
        terminal.refresh_service_availability()
        machine = terminal.machine

        identity = sample_identity()
        terminal.devices.simulators["id_reader"].put_card(identity)
        qtbot.waitUntil(lambda: machine.step is Step.IDENTITY, timeout=10_000)
        machine.confirm_identity()
        machine.choose_item(ITEM)
        machine.begin_application()
        machine.accept_commitment("2024.1", dt.datetime.now().astimezone(), _png())
        machine.form_done({"name": identity.name, "id_number": identity.id_number, "insurance": "all",
                           "purpose": "housing", "phone": PHONE})
        careless = logging.getLogger("kiosk.careless")
        careless.info("form of %s (%s) phone %s at %s", identity.name, identity.id_number, PHONE, identity.address)
        try:
            raise ValueError(f"could not parse {identity.id_number} for {identity.name}")
        except ValueError:
            careless.exception("parsing failed")
        if machine.step is Step.MATERIALS:
            machine.materials_done(needs_face=False)
        machine.delivery_done({"method": "pickup"})
        assert machine.step is Step.REVIEW
        terminal.submit_application()
        qtbot.waitUntil(lambda: machine.step is Step.RECEIPT, timeout=10_000)
        receipt_no = machine.visit.receipt_no
        assert receipt_no
        outbox = terminal.outbox
        assert outbox is not None and terminal.sync is not None
        terminal.sync.wake()
        qtbot.waitUntil(lambda: outbox.lookup(receipt_no).case_no is not None, timeout=20_000)
        qtbot.waitUntil(lambda: terminal is not None and terminal.receipt_print_state != "printing", timeout=20_000)
        terminal.devices.simulators["id_reader"].remove_card()
        machine.end("resident")
        logging.getLogger("kiosk.after").info("after the visit: %s", identity.id_number)
    finally:
        if terminal is not None:
            terminal.stop()
        logs.handler.flush()
        logs.close()

    text = "".join(p.read_text(encoding="utf-8") for p in sorted((config.storage_dir / "logs").iterdir()))
    assert "visit step review -> submitting" in text and "[id-number]" in text  # it did log the visit
    address = identity.address or "?"
    for secret in (CANARY_ID_NUMBER, CANARY_NAME, PHONE, address, "1949-12-31"):
        assert secret not in text, secret
    shown = "\n".join(recent_lines(config.storage_dir, 1000))
    assert CANARY_ID_NUMBER not in shown and CANARY_NAME not in shown
    exported = export_logs(config.storage_dir, tmp_path / "usb")
    with tarfile.open(exported.path) as archive:
        for member in archive.getmembers():
            data = archive.extractfile(member).read().decode()  # type: ignore[union-attr]
            assert CANARY_ID_NUMBER not in data and CANARY_NAME not in data
