"""What every ID reader must do, run against the simulator over `sim://` and over a
pty, and against a real module on a bench when `KIOSK_TEST_ID_READER` names its port
(e.g. /dev/ttyUSB0). Keep the card off the reader when running on hardware."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from drivers import sim
from drivers.health import DeviceState
from drivers.id_reader.device import IdReaderDriver
from drivers.id_reader.sim import IdReaderSimulator
from drivers.sim.pty import serve_pty

REAL_PORT = os.environ.get("KIOSK_TEST_ID_READER")


@pytest.fixture(params=["sim", "pty", "hardware"])
def port(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "hardware":
        if not REAL_PORT:
            pytest.skip("set KIOSK_TEST_ID_READER to a reader's port to run on hardware")
        yield REAL_PORT
        return
    simulator = IdReaderSimulator()
    if request.param == "sim":
        sim.register("id_reader", simulator)
        yield "sim://"
        return
    with serve_pty(simulator) as bridge:
        yield bridge.path


@pytest.fixture
def driver(port: str) -> Iterator[IdReaderDriver]:
    driver = IdReaderDriver(port)
    driver.open()
    try:
        yield driver
    finally:
        driver.close()


def test_opens_ready_with_a_module_id(driver: IdReaderDriver) -> None:
    assert driver.health().state is DeviceState.READY
    assert driver.sam_id is not None and len(driver.sam_id.raw) == 16


def test_an_empty_reader_reports_nothing(driver: IdReaderDriver) -> None:
    assert driver.seconds_until_due() == 0.0
    assert driver.poll() == []  # one find-card, answered 80
    assert driver.seconds_until_due() > 0
    assert driver.health().state is DeviceState.READY


def test_reset_leaves_it_ready(driver: IdReaderDriver) -> None:
    assert driver.reset_module().state is DeviceState.READY

