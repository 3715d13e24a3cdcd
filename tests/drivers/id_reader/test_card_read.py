"""The happy path through DeviceRunner: every sample card is read and reported."""

from __future__ import annotations

import pytest

from drivers.health import DeviceState
from drivers.id_reader.codec import Command
from drivers.id_reader.device import CardRead, CardReadFailed, CardRemoved
from drivers.id_reader.sim import SAMPLE_CARDS
from tests.drivers.id_reader.conftest import Reader


@pytest.mark.parametrize("name", sorted(SAMPLE_CARDS))
def test_each_sample_card_is_read_with_all_its_fields(reader: Reader, name: str) -> None:
    reader.simulator.put_card(name)
    event = reader.recorder.wait_event(CardRead)
    assert event.identity == SAMPLE_CARDS[name]
    assert reader.recorder.of(CardReadFailed) == []


def test_health_is_busy_while_reading_and_ready_after(reader: Reader) -> None:
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardRead)
    states = [h.state for h in reader.recorder.healths]
    assert DeviceState.BUSY in states
    assert reader.recorder.wait_state(DeviceState.READY).reason == ""


def test_appended_address_is_only_asked_of_cards_that_can_have_one(reader: Reader) -> None:
    reader.simulator.put_card("foreign_2023")
    reader.recorder.wait_event(CardRead)
    assert reader.simulator.count(Command.READ_APPENDED_ADDRESS) == 0
    reader.simulator.remove_card()
    reader.recorder.wait_event(CardRemoved)
    reader.simulator.put_card("resident_moved")
    assert reader.recorder.wait_event(CardRead, 2).identity.appended_address is not None


def test_the_module_id_is_read_when_the_port_opens(reader: Reader) -> None:
    assert reader.driver.sam_id is not None
    assert str(reader.driver.sam_id).startswith("05.00-")
    assert reader.runner.call(lambda d: d.read_sam_id()).result(5) == reader.driver.sam_id


def test_a_technician_reset_reports_the_card_on_the_reader_again(reader: Reader) -> None:
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardRead)
    health = reader.runner.call(lambda d: d.reset_module()).result(5)
    assert health.state is DeviceState.READY
    assert reader.recorder.wait_event(CardRead, 2).identity == SAMPLE_CARDS["resident"]
