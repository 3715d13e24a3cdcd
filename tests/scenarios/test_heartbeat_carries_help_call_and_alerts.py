"""Nobody watches a township terminal at night: a resident's call for staff and a
device the terminal took offline must reach the hall's console through the heartbeat
(issue 9), not only the terminal's own screen. A real terminal, its simulated devices,
and the reference platform on loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx

from drivers.health import READY, DeviceState, Health
from kiosk.refplatform.server import RunningPlatform
from kiosk.terminal import Terminal


def _last_status(platform: RunningPlatform, terminal: Terminal) -> dict[str, Any]:
    assert terminal.sync is not None
    assert terminal.sync.run_once(ignore_timers=True).heartbeat is True
    record = platform.terminal(_terminal_id(platform))
    assert record is not None
    status = record["last_status"]
    return json.loads(status) if isinstance(status, str) else dict(status)


def _terminal_id(platform: RunningPlatform) -> str:
    (only,) = [t["terminal_id"] for t in platform.platform.store.terminals()]
    return str(only)


def test_a_residents_call_for_staff_is_lost_when_only_the_screen_shows_it(
        platform: RunningPlatform, terminal: Terminal) -> None:
    assert _last_status(platform, terminal)["help_requested"] is False
    terminal.request_help()
    assert _last_status(platform, terminal)["help_requested"] is True
    page = httpx.get(f"{platform.url}/console/terminals").text
    assert "Help requested" in page
    terminal.help_answered()
    assert _last_status(platform, terminal)["help_requested"] is False


def test_a_device_taken_offline_at_night_is_lost_when_only_the_screen_shows_it(
        platform: RunningPlatform, terminal: Terminal) -> None:
    fault = Health(DeviceState.OFFLINE, "no_status_reply")
    for _ in range(terminal.supervisor.max_resets + 1):
        terminal.supervisor.observe("printer", READY)
        terminal.supervisor.observe("printer", fault)
    status = _last_status(platform, terminal)
    (alert,) = status["alerts"]
    assert alert["code"] == "device_offline" and alert["subject"] == "printer"
    printer = next(d for d in status["devices"] if d["kind"] == "printer")
    assert printer["state"] == "offline" and "technician" in printer["detail"]
    assert "no_status_reply" in httpx.get(f"{platform.url}/console/terminals").text
    assert [a.code for a in terminal.alerts()] == ["device_offline"]
