"""A card lying on the reader is reported once, not on every poll; lifting it is
reported; laying it down again is a new read (hardware-protocols.md §1.6 item 5)."""

from __future__ import annotations

from collections.abc import Callable

from drivers.health import DeviceState
from drivers.id_reader.device import CardRead, CardRemoved
from drivers.id_reader.sim import SAMPLE_CARDS, IdReaderSimulator
from tests.drivers.id_reader.conftest import Reader


def test_card_left_on_the_reader_is_reported_once(reader: Reader) -> None:
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardRead)
    reader.settle(probes=10)
    assert len(reader.recorder.of(CardRead)) == 1
    assert reader.recorder.of(CardRemoved) == []


def test_lifting_and_laying_down_again_is_a_second_read(reader: Reader) -> None:
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardRead)
    reader.simulator.remove_card()
    reader.recorder.wait_event(CardRemoved)
    reader.simulator.put_card("resident")
    second = reader.recorder.wait_event(CardRead, 2)
    assert second.identity == SAMPLE_CARDS["resident"]
    assert [type(e) for e in reader.recorder.events] == [CardRead, CardRemoved, CardRead]


def test_a_different_card_swapped_in_is_reported_after_a_removal(reader: Reader) -> None:
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardRead)
    reader.simulator.put_card("hmt")  # swapped between two probes
    assert reader.recorder.wait_event(CardRead, 2).identity == SAMPLE_CARDS["hmt"]
    assert [type(e) for e in reader.recorder.events] == [CardRead, CardRemoved, CardRead]


def test_module_that_finds_a_read_card_again_still_reports_it_once(make_reader: Callable[..., Reader]) -> None:
    """Some modules answer find-card for a card they already read (§1.6 item 5 says
    "usually" not): the driver reads it again quietly and compares."""
    reader = make_reader(IdReaderSimulator(refind_after_read=True))
    reader.recorder.wait_state(DeviceState.READY)
    reader.simulator.put_card("foreign_2017")
    reader.recorder.wait_event(CardRead)
    reader.settle(probes=10)
    assert len(reader.recorder.of(CardRead)) == 1
    reader.simulator.remove_card()
    reader.recorder.wait_event(CardRemoved)
    assert len(reader.recorder.of(CardRead)) == 1


def test_lifted_and_laid_down_between_two_probes_is_a_new_presentation(reader: Reader) -> None:
    """The module finds a read card again only once it has left the field (§1.6 item 5),
    so a quick lift-and-replace is still seen (a tour or an impatient resident)."""
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardRead)
    reader.simulator.remove_card()
    reader.simulator.put_card("resident")
    assert reader.recorder.wait_event(CardRead, 2).identity == SAMPLE_CARDS["resident"]
    assert [type(e) for e in reader.recorder.events] == [CardRead, CardRemoved, CardRead]


def test_a_module_reset_while_a_card_lies_there_does_not_report_it_again(reader: Reader) -> None:
    from drivers.id_reader.codec import Command

    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardRead)
    resets = reader.simulator.count(Command.RESET_SAM)
    reader.simulator.corrupt_checksum(3, command=Command.FIND_CARD)
    assert reader.simulator.wait_for(Command.RESET_SAM, resets + 1)
    reader.settle(probes=5)
    assert [type(e) for e in reader.recorder.events] == [CardRead]
