"""Provisioning on the technician screen: a wrong code says so and changes nothing; the
right one enrolls, stores the token, fetches the catalog and shows the doctor; a token
revoked later shows as refused on the next connection check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import Config, DeviceConfig
from kiosk.terminal import Terminal
from offline_queue import credentials
from screens.base import find_intent
from screens.technician_screen import PlatformSection
from screens.technician_screens import TECHNICIAN_SCREENS, TechnicianWiring, wire_technician
from screens.window import KioskWindow
from tests.fakes import FakeClock


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    from kiosk.refplatform.server import start_in_thread

    running = start_in_thread(tmp_path / "platform")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def screen(qtbot, config: Config, platform: Any) -> Iterator[tuple[KioskWindow, TechnicianWiring]]:  # type: ignore[no-untyped-def]
    devices = dict(config.devices)
    devices["camera"] = DeviceConfig("camera", required=False)
    config = replace(config, platform_url=platform.url, devices=devices)
    terminal = Terminal(config, clock=FakeClock(), start_sync=False)
    window = KioskWindow(terminal, extra_screens=TECHNICIAN_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    wiring = wire_technician(window)
    terminal.start()
    window.machine.enter_technician()
    wiring.screen.show_section("platform")
    try:
        yield window, wiring
    finally:
        window.close()
        terminal.stop()


def _provision(qtbot, window: KioskWindow, section: PlatformSection, code: str) -> str:  # type: ignore[no-untyped-def]
    section.code.setText(code)
    section.hall.setText("460100-HALL-01")
    section.name.setText("一楼 2 号机")
    find_intent(window, "platform:provision").click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: section.result.text() and "正在注册" not in section.result.text(), timeout=15_000)
    return section.result.text()


def test_a_wrong_code_is_refused_and_nothing_changes(qtbot, screen, platform: Any) -> None:  # type: ignore[no-untyped-def]
    window, wiring = screen
    section = wiring.screen.sections["platform"]
    assert isinstance(section, PlatformSection)
    text = _provision(qtbot, window, section, "ABCDE-FGHIJ")
    assert "注册码无效或已过期" in text
    assert credentials.load(window.terminal.config.storage_dir) is None
    assert section.code.text() == ""  # a one-time code is not left on the screen


def test_the_right_code_provisions_and_a_later_revocation_shows(qtbot, screen, platform: Any) -> None:  # type: ignore[no-untyped-def]
    window, wiring = screen
    section = wiring.screen.sections["platform"]
    assert isinstance(section, PlatformSection)
    text = _provision(qtbot, window, section, platform.new_enrollment_code())
    assert "注册成功" in text and "自检" in text
    creds = credentials.load(window.terminal.config.storage_dir)
    assert creds is not None and creds.name == "一楼 2 号机"
    assert window.terminal.catalog is not None
    assert creds.terminal_id in section.info.text()
    find_intent(window, "platform:check").click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: section.last_check is not None, timeout=10_000)
    assert "令牌：有效" in section.status.text()
    platform.revoke_tokens(creds.terminal_id)
    section.last_check = None
    find_intent(window, "platform:check").click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: section.last_check is not None, timeout=10_000)
    assert "被拒绝（401），请重新注册" in section.status.text()
