"""A device that keeps failing is reset at most three times in ten minutes, then taken
offline with a technician alert in the heartbeat (reliability.md §6 rule 4)."""

from __future__ import annotations

import logging

import pytest

from drivers.health import READY, DeviceState, Health
from kiosk.maintenance import DeviceSupervisor, registry_resetter
from tests.fakes import FakeClock

DROPPED = Health(DeviceState.OFFLINE, "disconnected", "Unplugged")
SAM = Health(DeviceState.ERROR, "sam_fault")


def flap(supervisor: DeviceSupervisor, kind: str = "printer", fault: Health = DROPPED) -> None:
    supervisor.observe(kind, READY)
    supervisor.observe(kind, fault)


def test_three_resets_then_offline_with_an_alert(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = FakeClock()
    resets: list[str] = []
    sup = DeviceSupervisor(clock=clock, reset=lambda kind, h: resets.append(kind))
    changed: list[str] = []
    sup.on_change(changed.append)
    for _ in range(3):
        flap(sup)
        clock.advance(60)
    assert resets == ["printer"] * 3 and not sup.is_offline("printer")
    flap(sup)
    assert sup.is_offline("printer") and changed == ["printer"]
    assert resets == ["printer"] * 3  # no fourth reset
    assert sup.effective("printer", READY).state is DeviceState.OFFLINE
    [alert] = sup.alerts()
    assert alert.code == "device_offline" and alert.subject == "printer" and "technician" in alert.message
    assert "device-taken-offline printer" in caplog.text


def test_faults_spread_over_more_than_ten_minutes_keep_being_reset() -> None:
    clock = FakeClock()
    sup = DeviceSupervisor(clock=clock)
    for _ in range(10):
        flap(sup, "id_reader", SAM)
        clock.advance(250)  # three in any ten minutes at most
    assert not sup.is_offline("id_reader")
    assert sup.records()["id_reader"].resets_total == 10


def test_paper_out_and_an_open_cover_are_not_faults_to_reset() -> None:
    sup = DeviceSupervisor(clock=FakeClock())
    for reason in ("paper_out", "cover_open", "paper_out", "cover_open", "paper_out"):
        flap(sup, "printer", Health(DeviceState.ERROR, reason))
    assert not sup.is_offline("printer") and sup.records()["printer"].resets_total == 0


def test_a_device_absent_from_the_start_is_not_flapping() -> None:
    sup = DeviceSupervisor(clock=FakeClock())
    sup.observe("scanner", Health(DeviceState.CONNECTING))
    for _ in range(10):
        sup.observe("scanner", DROPPED)
        sup.observe("scanner", Health(DeviceState.CONNECTING))
    assert sup.records()["scanner"].resets_total == 0


def test_a_technician_restores_it_with_a_fresh_count() -> None:
    clock = FakeClock()
    sup = DeviceSupervisor(clock=clock)
    for _ in range(4):
        flap(sup)
    assert sup.is_offline("printer")
    flap(sup)  # while offline nothing more is counted
    sup.restore("printer")
    assert not sup.is_offline("printer") and sup.alerts() == []
    flap(sup)
    assert not sup.is_offline("printer")


def test_the_heartbeat_reports_it_offline_with_why() -> None:
    sup = DeviceSupervisor(clock=FakeClock())
    for _ in range(4):
        flap(sup)
    devices = sup.heartbeat_devices({"printer": READY, "scanner": Health(DeviceState.DEGRADED, "x")})
    assert devices == [
        {"kind": "printer", "state": "offline", "detail": "taken offline after repeated faults; technician needed"},
        {"kind": "scanner", "state": "degraded", "detail": "x"},
    ]


def test_a_clock_that_jumps_back_does_not_keep_old_resets_forever() -> None:
    clock = FakeClock(start=10_000.0)
    sup = DeviceSupervisor(clock=clock)
    for _ in range(3):
        flap(sup)
    clock.now -= 86_400  # a monotonic clock does not do this; a wrong injected one might
    flap(sup)
    assert not sup.is_offline("printer")


def test_the_registry_resetter_resets_the_sam_or_wakes_the_runner() -> None:
    class FakeRunner:
        def __init__(self, driver: object) -> None:
            self.driver = driver
            self.woken = 0
            self.called: list[str] = []

        def call(self, fn: object) -> None:
            self.called.append("call")
            fn(self.driver)  # type: ignore[operator]

        def wake(self) -> None:
            self.woken += 1

    class FakeReaderDriver:
        resets = 0

        def reset_module(self) -> None:
            FakeReaderDriver.resets += 1

    reader, printer = FakeRunner(FakeReaderDriver()), FakeRunner(object())

    class FakeRegistry:
        def runner(self, kind: str) -> FakeRunner | None:
            return {"id_reader": reader, "printer": printer}.get(kind)

    reset = registry_resetter(FakeRegistry())
    reset("id_reader", SAM)
    reset("printer", DROPPED)
    reset("camera", DROPPED)
    assert FakeReaderDriver.resets == 1 and printer.woken == 1


def test_every_alert_and_a_call_for_staff_go_into_the_heartbeat() -> None:
    from pathlib import Path
    from types import SimpleNamespace

    from kiosk.maintenance import MIB, DiskGuard, collect_alerts, heartbeat_extras

    sup = DeviceSupervisor(clock=FakeClock())
    for _ in range(4):
        flap(sup)
    disk = DiskGuard(Path("/unused"), usage=lambda p: SimpleNamespace(free=100 * MIB))
    extras = heartbeat_extras(help_requested=True, alerts=collect_alerts(sup, disk, None))
    assert extras["help_requested"] is True
    assert [(a["code"], a["subject"]) for a in extras["alerts"]] == [("device_offline", "printer"),
                                                                     ("disk_full", "disk")]
    assert all(set(a) == {"code", "subject", "message", "since"} for a in extras["alerts"])
