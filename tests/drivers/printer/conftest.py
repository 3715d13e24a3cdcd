"""A simulated printer behind a unique sim:// name, and a driver opened on it with
short timeouts (tests/conftest.py restores the simulator registry afterwards)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from drivers import sim
from drivers.printer.sim import PrinterSimulator
from tests.drivers.printer.helpers import SimulatedPrinter, make_driver

_names = itertools.count(1)


@pytest.fixture
def printer() -> Iterator[SimulatedPrinter]:
    simulator = PrinterSimulator()
    name = f"printer-test-{next(_names)}"
    sim.register(name, simulator)
    driver = make_driver(f"sim://{name}")
    driver.open()
    try:
        yield SimulatedPrinter(simulator, driver, f"sim://{name}")
    finally:
        driver.close()
