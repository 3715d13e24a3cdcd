"""What goes wrong with a scanner in a service hall, and what the kiosk sees.

Each test drives the `sim://scanner` simulator through the real driver (and, where the
reconnect matters, the DeviceRunner); a fake clock stands in for time where the
driver's own timing is under test.
"""

from __future__ import annotations

import os
import subprocess
import webbrowser

import pytest
import serial

from drivers.health import DeviceState
from drivers.runner import DeviceRunner
from drivers.scanner.codec import Family, RejectReason
from drivers.scanner.content import Shape, classify_scan
from drivers.scanner.device import ScannerDriver
from drivers.scanner.events import CodeScanned, ScanRejected
from drivers.scanner.sim import ScannerSimulator
from drivers.sim.pty import serve_pty
from tests.drivers.scanner.conftest import Watcher, poll_until
from tests.fakes import FakeClock


def scanned(events: list[object]) -> list[str]:
    return [e.text for e in events if isinstance(e, CodeScanned)]


def rejected(events: list[object]) -> list[ScanRejected]:
    return [e for e in events if isinstance(e, ScanRejected)]


def test_scan_reported_with_its_symbology(scanner: ScannerSimulator, driver: ScannerDriver) -> None:
    scanner.scan("T0001-261123-00427", symbology="]C0")
    (event,) = poll_until(driver, bool)
    assert event == CodeScanned("T0001-261123-00427", event.symbology)  # type: ignore[union-attr]
    assert isinstance(event, CodeScanned) and event.symbology is not None
    assert event.symbology.family is Family.CODE_128
    assert driver.health().state is DeviceState.READY


def test_duplicate_scan_ignored(scanner: ScannerSimulator, driver: ScannerDriver, clock: FakeClock) -> None:
    scanner.scan("T0001-261123-00427")
    scanner.scan("T0001-261123-00427")  # a double beep: the resident held the paper still
    events = poll_until(driver, bool)
    events += driver.poll()
    assert scanned(events) == ["T0001-261123-00427"]
    clock.advance(2.0)  # presented again later: a new scan
    scanner.scan("T0001-261123-00427")
    assert scanned(poll_until(driver, bool)) == ["T0001-261123-00427"]
    assert driver.stats.duplicates == 1 and driver.stats.scanned == 2


def test_flood_of_scans(scanner: ScannerSimulator, driver: ScannerDriver, clock: FakeClock) -> None:
    scanner.flood(100)  # a stuck trigger sweeping a sheet of codes
    events = poll_until(driver, lambda ev: len(ev) >= 3)
    assert scanned(events) == ["FLOOD-00000", "FLOOD-00001", "FLOOD-00002"]
    assert driver.stats.dropped == 96
    health = driver.health()
    assert health.state is DeviceState.DEGRADED and health.reason == "scan_flood"
    clock.advance(0.5)
    events = poll_until(driver, bool)
    assert rejected(events) == [ScanRejected(RejectReason.FLOOD, 96)]
    assert scanned(events) == ["FLOOD-00099"]  # the newest was kept
    clock.advance(10.0)
    assert driver.health().state is DeviceState.READY


def test_scanner_unplugged_and_back(scanner: ScannerSimulator, clock: FakeClock) -> None:
    runner = DeviceRunner("scanner", ScannerDriver("sim://", clock=clock, poll_s=0.02), clock=clock)
    watcher = Watcher(runner)
    runner.run_once()
    assert runner.health.state is DeviceState.READY
    scanner.send(b"PARTI")  # the cable is pulled mid-scan
    runner.run_once()
    scanner.unplug()
    runner.run_once()
    assert runner.health.state is DeviceState.OFFLINE
    clock.advance(0.5)
    runner.run_once()  # still unplugged: the reopen fails, backoff doubles
    assert runner.health.state is DeviceState.OFFLINE
    scanner.plug()
    clock.advance(1.0)
    runner.run_once()
    assert runner.health.state is DeviceState.READY  # no restart
    scanner.scan("WHOLE")
    for _ in range(20):
        runner.run_once()
        if watcher.events:
            break
    assert scanned(watcher.events) == ["WHOLE"]  # not "PARTIWHOLE"
    states = [h.state for h in watcher.healths]
    transitions = [s for i, s in enumerate(states) if i == 0 or states[i - 1] is not s]
    assert transitions == [DeviceState.READY, DeviceState.OFFLINE, DeviceState.READY]
    assert runner.reconnects == 2


def test_scanner_unplugged_and_back_on_the_runner_thread(scanner: ScannerSimulator) -> None:
    runner = DeviceRunner("scanner", ScannerDriver("sim://", poll_s=0.05))
    watcher = Watcher(runner)
    runner.start()
    try:
        watcher.wait(lambda: runner.health.state is DeviceState.READY)
        scanner.scan("BEFORE")
        watcher.wait(lambda: scanned(watcher.events) == ["BEFORE"])
        scanner.unplug()
        watcher.wait(lambda: runner.health.state is DeviceState.OFFLINE)
        scanner.plug()  # the runner reopens on its own after the backoff
        watcher.wait(lambda: runner.health.state is DeviceState.READY)
        scanner.scan("AFTER")
        watcher.wait(lambda: scanned(watcher.events) == ["BEFORE", "AFTER"])
    finally:
        runner.stop()


def test_no_suffix_scan_ends_on_silence(scanner: ScannerSimulator, clock: FakeClock) -> None:
    drv = ScannerDriver("sim://", suffix=None, clock=clock, poll_s=0.02)
    drv.open()
    try:
        scanner.scan("NOSUFFIX-1", suffix="")
        assert drv.poll() == []  # no end yet: the scanner may still be sending
        clock.advance(0.1)
        assert scanned(drv.poll()) == ["NOSUFFIX-1"]
    finally:
        drv.close()


def test_no_suffix_scan_on_a_line_configured_driver(scanner: ScannerSimulator) -> None:
    """The default framing copes with a scanner whose suffix was switched off."""
    runner = DeviceRunner("scanner", ScannerDriver("sim://", poll_s=0.05))
    watcher = Watcher(runner)
    runner.start()
    try:
        watcher.wait(lambda: runner.health.state is DeviceState.READY)
        scanner.scan("6901234567892", symbology="]E0", suffix="")
        watcher.wait(lambda: scanned(watcher.events) == ["6901234567892"])
    finally:
        runner.stop()


def test_gbk_text(scanner: ScannerSimulator, driver: ScannerDriver) -> None:
    scanner.scan("北京市东城区景山前街4号", symbology="]Q1", encoding="gbk")
    scanner.scan("海南省海口市", symbology="]Q1", encoding="utf-8")
    events = poll_until(driver, lambda ev: len(ev) == 2)
    assert scanned(events) == ["北京市东城区景山前街4号", "海南省海口市"]


def test_oversize_scan_rejected(scanner: ScannerSimulator, driver: ScannerDriver) -> None:
    scanner.scan("9" * 10_000)  # reliability.md §7 B5: a 10 KB payload
    scanner.scan("NEXT")
    events = poll_until(driver, lambda ev: len(ev) == 2)
    assert events == [ScanRejected(RejectReason.OVERSIZE, 1, 10_000), CodeScanned("NEXT")]


def test_qr_that_is_a_url_stays_plain_data(
    scanner: ScannerSimulator, driver: ScannerDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("scanned data must never be opened or run")

    monkeypatch.setattr(webbrowser, "open", forbidden)
    monkeypatch.setattr(os, "system", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    url = "https://evil.example/?q=<img src=file:///etc/passwd>"
    scanner.scan(url, symbology="]Q1")
    (event,) = poll_until(driver, bool)
    assert isinstance(event, CodeScanned) and event.text == url
    kind = classify_scan(event.text)
    assert kind.shape is Shape.URL and kind.looks_like_markup


def test_badbarcode_control_sequences_are_stripped(scanner: ScannerSimulator, driver: ScannerDriver) -> None:
    scanner.scan(b"\x1b[2J\x1b[1;31mrm -rf /\x04\x03\x00", symbology="]C0")
    (event,) = poll_until(driver, bool)
    assert event == CodeScanned("rm -rf /", event.symbology)  # type: ignore[union-attr]


def test_line_noise_between_the_bytes(scanner: ScannerSimulator, driver: ScannerDriver) -> None:
    scanner.noise = True
    for text in ("T0001-261123-00427", "中文二维码", "6901234567892"):
        scanner.scan(text, symbology="]Q1")
    events = poll_until(driver, lambda ev: len(ev) == 3)
    assert scanned(events) == ["T0001-261123-00427", "中文二维码", "6901234567892"]


def test_scan_split_into_slow_chunks(scanner: ScannerSimulator) -> None:
    scanner.chunk_size = 3
    scanner.chunk_delay_s = 0.005  # well under the idle timeout, as a slow UART
    drv = ScannerDriver("sim://", suffix=b"\r\n", poll_s=0.05)
    drv.open()
    try:
        scanner.scan("T0001-261123-00427", symbology="]C0", suffix="\r\n")
        assert scanned(poll_until(drv, bool)) == ["T0001-261123-00427"]
    finally:
        drv.close()


def test_wrong_baud_rate_garbles_every_scan(scanner: ScannerSimulator, driver: ScannerDriver) -> None:
    for _ in range(5):
        scanner.scan(b"\xff\xfe\x80\xff")  # what 9600-baud bytes look like read at 115200
    events = poll_until(driver, bool)
    assert rejected(events) == [ScanRejected(RejectReason.UNDECODABLE, 1, 4)]  # the rest are folded
    health = driver.health()
    assert health.state is DeviceState.DEGRADED and health.reason == "garbled_input"
    scanner.scan("OK")
    assert scanned(poll_until(driver, lambda ev: bool(scanned(ev)))) == ["OK"]
    assert driver.health().state is DeviceState.READY


def test_scan_made_before_the_port_opened_is_dropped(scanner: ScannerSimulator, clock: FakeClock) -> None:
    scanner.scan("STALE")
    drv = ScannerDriver("sim://", clock=clock, poll_s=0.02)
    drv.open()
    try:
        assert drv.poll() == []
        scanner.scan("FRESH")
        assert scanned(poll_until(drv, bool)) == ["FRESH"]
    finally:
        drv.close()


def test_poll_before_open_is_an_error_the_runner_handles() -> None:
    with pytest.raises(OSError):
        ScannerDriver("sim://").poll()
    assert ScannerDriver("sim://").health().state is DeviceState.CONNECTING


def test_missing_simulator_fails_to_open() -> None:
    with pytest.raises(serial.SerialException):
        ScannerDriver("sim://nobody-registered").open()


def test_scanner_over_a_pseudo_terminal() -> None:
    scanner = ScannerSimulator()
    with serve_pty(scanner) as bridge:
        runner = DeviceRunner("scanner", ScannerDriver(bridge.path, poll_s=0.05))
        watcher = Watcher(runner)
        runner.start()
        try:
            watcher.wait(lambda: runner.health.state is DeviceState.READY)
            scanner.scan("北京市东城区", symbology="]Q1", encoding="gbk", suffix="\r\n")
            scanner.scan("T0001-261123-00427", suffix="\r\n")
            watcher.wait(lambda: len(watcher.events) == 2)
            assert scanned(watcher.events) == ["北京市东城区", "T0001-261123-00427"]
        finally:
            runner.stop()


def test_event_reprs_carry_no_scanned_text() -> None:
    assert "110105" not in repr(CodeScanned("11010519491231002X"))
