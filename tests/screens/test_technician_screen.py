"""The technician screen against a simulated hall: each device's test, the outbox's
quarantine with retry, logs and their export, staff codes, the supervisor's verdicts,
and nothing of a resident left on it."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zxingcpp
from PySide6.QtWidgets import QApplication, QLabel

from drivers.health import READY, DeviceState, Health
from kiosk.config import Config
from kiosk.logs import setup_logging
from kiosk.maintenance import DeviceSupervisor
from kiosk.staff import StaffDirectory
from kiosk.terminal import Terminal
from kiosk.visit import Step
from offline_queue import credentials
from offline_queue.model import FieldError, Kind, Quarantine, State
from screens.base import find_intent
from screens.technician_screen import DevicesSection, LogsSection, OutboxSection, StaffSection, SystemSection
from screens.technician_screens import TECHNICIAN_SCREENS, TechnicianWiring, wire_technician
from screens.window import KioskWindow
from tests.fakes import CANARY_ID_NUMBER, CANARY_NAME, FakeClock, sample_identity


@pytest.fixture
def live(qtbot, config: Config, tmp_path: Path) -> Iterator[tuple[KioskWindow, TechnicianWiring, list[str]]]:  # type: ignore[no-untyped-def]
    credentials.save(config.storage_dir, credentials.Credentials("T0001", "t" * 40, "http://127.0.0.1:9", "H1", "N1"))
    clock = FakeClock()
    terminal = Terminal(config, clock=clock, start_sync=False)
    window = KioskWindow(terminal, extra_screens=TECHNICIAN_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    actions: list[str] = []
    supervisor = DeviceSupervisor(clock=clock)
    wiring = wire_technician(window, supervisor=supervisor, hold_ms=60, quit=lambda: actions.append("quit"),
                             restart=lambda: actions.append("restart"))
    wiring.services.export_dir = tmp_path / "usb"
    terminal.start()
    qtbot.waitUntil(lambda: all(h.state is not DeviceState.CONNECTING
                                for k, h in terminal.devices.health().items() if k != "camera"), timeout=10_000)
    window.machine.enter_technician()
    try:
        yield window, wiring, actions
    finally:
        window.close()
        terminal.stop()


def section(wiring: TechnicianWiring, key: str) -> Any:
    wiring.screen.show_section(key)
    return wiring.screen.sections[key]


def click(window: KioskWindow, intent: str) -> None:
    button = find_intent(window, intent)
    assert button is not None, intent
    assert button.isEnabled(), intent
    button.click()


def texts(widget: Any) -> str:
    return " ".join(label.text() for label in widget.findChildren(QLabel))


def test_print_test_page(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    devices = section(wiring, "devices")
    assert isinstance(devices, DevicesSection)
    click(window, "test:printer")
    qtbot.waitUntil(lambda: "测试页已打印" in devices.results.get("printer", ""), timeout=15_000)
    printed = window.terminal.devices.simulators["printer"].receipt_text()
    assert "打印测试页" in printed


def test_read_a_card_shows_it_masked_and_forgets_it(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    devices = section(wiring, "devices")
    click(window, "test:id_reader")
    assert "请把身份证放到感应区" in devices.results["id_reader"]
    window.terminal.devices.simulators["id_reader"].put_card(sample_identity())
    qtbot.waitUntil(lambda: "读卡成功" in devices.results.get("id_reader", ""), timeout=10_000)
    shown = texts(wiring.screen)
    assert "110105********002X" in shown and sample_identity().masked_name in shown
    assert CANARY_ID_NUMBER not in shown and CANARY_NAME not in shown
    assert window.machine.step is Step.TECHNICIAN and window.machine.visit.identity is None
    wiring.screen.leave_now()
    assert CANARY_ID_NUMBER[-4:] not in texts(wiring.screen)


def test_card_test_times_out(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    devices = section(wiring, "devices")
    click(window, "test:id_reader")
    window.terminal.clock.advance(31)  # type: ignore[attr-defined]
    wiring.screen._tick()
    assert "30 秒内未读到身份证" in devices.results["id_reader"]


def test_scanner_echo_shows_the_code_as_plain_text(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    devices = section(wiring, "devices")
    click(window, "test:scanner")
    window.terminal.devices.simulators["scanner"].scan("<b>T0001-261123-0427D</b>")
    qtbot.waitUntil(lambda: "扫到" in devices.results.get("scanner", ""), timeout=10_000)
    label = devices.rows["scanner"].result
    assert "<b>T0001-261123-0427D</b>" in label.text()
    assert label.textFormat().name == "PlainText"


def test_camera_preview_draws_the_page_outline(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    devices = section(wiring, "devices")
    click(window, "test:camera")
    qtbot.waitUntil(lambda: "检测到页面" in devices.results.get("camera", ""), timeout=20_000)
    preview = devices.rows["camera"].preview
    assert preview is not None and preview.isVisible() and not preview.pixmap().isNull()


def test_a_device_taken_offline_can_be_put_back(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    supervisor = wiring.services.supervisor
    assert supervisor is not None
    for _ in range(4):
        supervisor.observe("printer", READY)
        supervisor.observe("printer", Health(DeviceState.OFFLINE, "disconnected"))
    devices = section(wiring, "devices")
    assert "反复故障，已停用" in devices.rows["printer"].supervision.text()
    assert "未连接" in devices.rows["printer"].state.text()  # effective: offline
    system = section(wiring, "system")
    assert isinstance(system, SystemSection) and "printer taken offline" in system.alerts.text()
    section(wiring, "devices")
    click(window, "restore:printer")
    assert not supervisor.is_offline("printer")
    assert not devices.rows["printer"].restore.isVisible()


def _quarantine_one(window: KioskWindow) -> str:
    from tests.offline_queue.helpers import make_app

    outbox = window.terminal.outbox
    assert outbox is not None
    receipt = outbox.enqueue(make_app())
    claimed = outbox.claim_next(Kind.APPLICATION)
    assert claimed is not None
    outbox.quarantine(claimed[0], Quarantine("validation", 422, "Unprocessable Content",
                                             (FieldError("form.phone", "pattern", "13800138000 is bad"),)))
    return receipt.submission_id


def test_outbox_shows_quarantined_items_with_reasons_and_retries(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    sid = _quarantine_one(window)
    outbox_section = section(wiring, "outbox")
    assert isinstance(outbox_section, OutboxSection)
    shown = texts(outbox_section)
    assert "已隔离 1" in shown and "validation 422 Unprocessable Content form.phone:pattern" in shown
    assert "13800138000" not in shown  # the platform's message may echo a value: not shown
    click(window, f"retry:{sid}")
    outbox = window.terminal.outbox
    assert outbox is not None
    assert [i.state for i in outbox.list() if i.id == sid] == [State.PENDING]
    assert "已重新排队" in outbox_section.message.text()


def test_logs_show_recent_lines_and_export(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import logging

    window, wiring, _ = live
    setup = setup_logging(window.terminal.config.storage_dir)
    try:
        logging.getLogger("kiosk.test").warning("hello technician %s", CANARY_ID_NUMBER)
        setup.handler.flush()
        logs = section(wiring, "logs")
        assert isinstance(logs, LogsSection)
        text = logs.text.toPlainText()
        assert "hello technician [id-number]" in text and CANARY_ID_NUMBER not in text
        click(window, "logs:export")
        qtbot.waitUntil(lambda: "已导出" in logs.message.text(), timeout=10_000)
    finally:
        setup.close()
    [archive] = list((tmp_path / "usb").glob("kiosk-logs-T0001-*.tar.gz"))
    with tarfile.open(archive) as tar:
        assert any(m.name.endswith("kiosk.log") for m in tar.getmembers())


def _decode_qr(label: QLabel) -> str:
    image = label.pixmap().toImage().convertToFormat(label.pixmap().toImage().Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.bytesPerLine() * height)
    array = data.reshape(height, image.bytesPerLine())[:, :width].copy()
    [result] = zxingcpp.read_barcodes(array)
    return str(result.text)


def test_add_staff_shows_a_working_staff_code(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    staff = section(wiring, "staff")
    assert isinstance(staff, StaffSection)
    staff.staff_id.setText("S001")
    staff.staff_name.setText("王芳")
    staff.staff_pin.setText("135790")
    click(window, "staff:add")
    assert staff.qr.isVisible() and "王芳（S001）" in staff.caption.text()
    code = _decode_qr(staff.qr)
    member = StaffDirectory(window.terminal.config.storage_dir).by_code(code)
    assert member is not None and member.name == "王芳"
    assert code not in texts(wiring.screen)  # the secret is only in the QR
    click(window, "staff:print")
    qtbot.waitUntil(lambda: "测试页已打印" in staff.message.text(), timeout=15_000)
    wiring.screen.leave_now()
    assert staff.qr.pixmap().isNull()


def test_bad_staff_input_is_refused(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    staff = section(wiring, "staff")
    staff.staff_id.setText("S 1")
    staff.staff_name.setText("王芳")
    staff.staff_pin.setText("12")
    click(window, "staff:add")
    assert "请填写工号" in staff.message.text() and not staff.qr.isVisible()


def test_change_the_technician_pin(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    staff = section(wiring, "staff")
    staff.new_pin.setText("97531086")
    staff.repeat_pin.setText("97531086")
    click(window, "staff:set_pin")
    assert "已修改" in staff.message.text()
    assert wiring.services.lock.try_pin("97531086").ok


def test_restart_and_leave_kiosk_mode_need_a_second_tap(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, actions = live
    system = section(wiring, "system")
    click(window, "system:quit")
    assert actions == [] and system.quit.text() == "再点一次确认"
    window.terminal.clock.advance(6)  # type: ignore[attr-defined]
    wiring.screen._tick()
    assert system.quit.text() == "退出自助模式"
    click(window, "system:quit")
    click(window, "system:quit")
    click(window, "system:restart")
    click(window, "system:restart")
    assert actions == ["quit", "restart"]


def test_a_residents_call_for_staff_shows_and_can_be_answered(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    window.terminal.request_help()
    system = section(wiring, "system")
    assert system.help.isVisible()
    click(window, "system:help_answered")
    assert not window.terminal.status.help_requested


def test_sections_switch_by_their_buttons(qtbot, live: tuple[KioskWindow, TechnicianWiring, list[str]]) -> None:  # type: ignore[no-untyped-def]
    window, wiring, _ = live
    for key in ("outbox", "platform", "logs", "staff", "system", "devices"):
        click(window, f"section:{key}")
        assert wiring.screen.current == key and wiring.screen.nav_buttons[key].isChecked()
    QApplication.processEvents()
