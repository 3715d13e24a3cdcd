"""The same driver over every kind of port: socket://host:9100, a tty path (a pty
served by the simulator), and a device file that is not a tty."""

from __future__ import annotations

import os
import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.health import DeviceState
from drivers.printer.codec import StatusReason
from drivers.printer.sim import PrinterSimulator
from drivers.sim.pty import serve_pty
from kiosk.receipt import build_receipt
from tests.drivers.printer.helpers import make_driver, sample_receipt

RECEIPT = build_receipt(sample_receipt())


@pytest.fixture
def network_printer() -> Iterator[tuple[str, PrinterSimulator]]:
    """A raw-TCP (port 9100 style) printer on loopback, backed by the simulator."""
    simulator = PrinterSimulator()
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            while not stop.is_set():
                readable, _, _ = select.select([conn], [], [], 0.01)
                if readable:
                    data = conn.recv(4096)
                    if not data:
                        return
                    simulator.host_write(data)
                out = simulator.host_read(4096, 0)
                if out:
                    conn.sendall(out)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    host, port = server.getsockname()
    try:
        yield f"socket://{host}:{port}", simulator
    finally:
        stop.set()
        server.close()
        thread.join(2)


def test_network_printer_over_socket_url(network_printer: tuple[str, PrinterSimulator]) -> None:
    url, simulator = network_printer
    driver = make_driver(url)
    driver.open()
    try:
        result = driver.print_job(RECEIPT)
    finally:
        driver.close()
    assert result.printed
    assert simulator.receipts == [RECEIPT]


def test_serial_printer_on_a_tty_path() -> None:
    simulator = PrinterSimulator()
    with serve_pty(simulator) as bridge:
        driver = make_driver(bridge.path, status_timeout_s=0.5)
        driver.open()
        try:
            result = driver.print_job(RECEIPT)
        finally:
            driver.close()
    assert result.printed
    assert simulator.receipts == [RECEIPT]


def test_device_file_that_never_answers_is_offline_and_gets_no_job(tmp_path: Path) -> None:
    lp = tmp_path / "lp0"
    lp.write_bytes(b"")
    driver = make_driver(str(lp))
    driver.open()
    try:
        result = driver.print_job(RECEIPT)
        health = driver.health()
    finally:
        driver.close()
    assert (result.printed, result.reason) == (False, StatusReason.NO_ANSWER)
    assert (health.state, health.reason) == (DeviceState.OFFLINE, "no_answer")
    assert lp.read_bytes() == b"\x10\x04\x01"  # one status query, no receipt


def test_missing_device_file_cannot_be_opened(tmp_path: Path) -> None:
    driver = make_driver(str(tmp_path / "usb" / "lp9"))
    with pytest.raises(OSError):
        driver.open()
    assert driver.health().state is DeviceState.OFFLINE


@pytest.mark.skipif("KIOSK_TEST_PRINTER" not in os.environ,
                    reason="set KIOSK_TEST_PRINTER=<port URL> to run against a real printer on the bench")
def test_real_printer_prints_the_test_page_or_says_why() -> None:
    from kiosk.receipt import build_test_page

    driver = make_driver(os.environ["KIOSK_TEST_PRINTER"], status_timeout_s=1.0, job_timeout_s=30.0)
    driver.open()
    try:
        status = driver.query_status()
        result = driver.print_job(build_test_page())
    finally:
        driver.close()
    assert status.answered, "the printer did not answer DLE EOT"
    assert result.printed or result.reason.fault
