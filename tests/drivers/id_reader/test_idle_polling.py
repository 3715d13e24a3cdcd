"""Idle, the driver sends one find-card per interval and nothing else (reliability.md
§8: don't poll hard while waiting for a person), measured with a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.id_reader.codec import Command
from drivers.id_reader.device import DEFAULT_TIMINGS, CardRead, IdReaderDriver
from drivers.id_reader.sim import SAMPLE_CARDS, IdReaderSimulator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def opened(simulator: IdReaderSimulator) -> Iterator[tuple[IdReaderDriver, FakeClock]]:
    clock = FakeClock()
    driver = IdReaderDriver("sim://", clock=clock)
    driver.open()
    try:
        yield driver, clock
    finally:
        driver.close()


def test_open_resets_and_checks_the_module(opened: tuple[IdReaderDriver, FakeClock],
                                           simulator: IdReaderSimulator) -> None:
    assert [simulator.count(c) for c in (Command.RESET_SAM, Command.SAM_STATUS, Command.READ_SAM_ID)] == [1, 1, 1]


def test_one_find_per_interval_however_often_polled(opened: tuple[IdReaderDriver, FakeClock],
                                                    simulator: IdReaderSimulator) -> None:
    driver, clock = opened
    for _ in range(100):
        assert driver.poll() == []
    assert simulator.count(Command.FIND_CARD) == 1
    for _ in range(20):
        clock.advance(DEFAULT_TIMINGS.find_interval_s)
        driver.poll()
        driver.poll()
    assert simulator.count(Command.FIND_CARD) == 21
    assert simulator.count(Command.SELECT_CARD) == 0
    assert driver.seconds_until_due() == pytest.approx(DEFAULT_TIMINGS.find_interval_s)


def test_a_held_card_is_probed_at_the_slower_presence_interval(opened: tuple[IdReaderDriver, FakeClock],
                                                               simulator: IdReaderSimulator) -> None:
    driver, clock = opened
    simulator.put_card("resident")
    driver.poll()  # find → 9F
    events = driver.poll()  # select → read
    assert events == [CardRead(SAMPLE_CARDS["resident"])]
    reads = simulator.count(Command.READ_TEXT_PHOTO)
    clock.advance(DEFAULT_TIMINGS.presence_interval_s / 2)
    assert driver.poll() == []
    assert simulator.count(Command.READ_TEXT_PHOTO) == reads
    clock.advance(DEFAULT_TIMINGS.presence_interval_s / 2)
    assert driver.poll() == []  # still there: the probe reads it again, silently
    assert simulator.count(Command.READ_TEXT_PHOTO) == reads + 1
