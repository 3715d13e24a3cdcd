"""Cards that answer slowly, too slowly, or not at all."""

from __future__ import annotations

from collections.abc import Callable

from drivers.health import DeviceState
from drivers.id_reader.codec import Command
from drivers.id_reader.device import CardRead, CardReadFailed, CardRemoved
from drivers.id_reader.sim import SAMPLE_CARDS
from tests.drivers.id_reader.conftest import Reader


def test_a_slow_card_within_the_timeout_reads(reader: Reader) -> None:
    reader.simulator.slow_card(0.1)
    reader.simulator.put_card("resident_long_term")
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident_long_term"]


def test_a_card_slower_than_the_timeout_fails_with_timeout_then_reads(reader: Reader) -> None:
    reader.simulator.slow_card(0.8)  # read timeout is 0.5 s in these tests
    reader.simulator.put_card("resident")
    assert reader.recorder.wait_event(CardReadFailed).reason == "timeout"
    assert reader.recorder.of(CardRead) == []
    reader.simulator.slow_card(0.0)
    # Late replies of the slow reads arrive in the middle of later commands and must
    # not be taken for their answers.
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident"]


def test_an_unreadable_card_fails_and_is_not_retried_in_a_tight_loop(reader: Reader) -> None:
    reader.simulator.unreadable_card()
    reader.simulator.put_card("resident")
    assert reader.recorder.wait_event(CardReadFailed).reason == "unreadable"
    reads = reader.simulator.count(Command.READ_TEXT_PHOTO)
    assert reads == 2  # the read and its one retry
    reader.simulator.unreadable_card(False)
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident"]


def test_a_card_that_turns_slow_while_lying_there_is_not_reported_removed(
    make_reader: Callable[..., Reader],
) -> None:
    reader = make_reader(read_timeout_s=0.2)
    reader.recorder.wait_state(DeviceState.READY)
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardRead)
    resets = reader.simulator.count(Command.RESET_SAM)
    reader.simulator.slow_card(0.4)
    # Silent presence probes are faults, and enough of them reset the module.
    assert reader.simulator.wait_for(Command.RESET_SAM, resets + 1)
    assert reader.recorder.of(CardRemoved) == []
    reader.simulator.slow_card(0.0)
    reader.simulator.remove_card()
    reader.recorder.wait_event(CardRemoved)
    assert len(reader.recorder.of(CardRead)) == 1
