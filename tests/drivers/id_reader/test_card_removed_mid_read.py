"""A resident lifts the card while it is being read: one CardReadFailed with
"removed_too_early", no identity at all, and the next card reads normally."""

from __future__ import annotations

from drivers.health import DeviceState
from drivers.id_reader.codec import Command
from drivers.id_reader.device import CardRead, CardReadFailed, CardRemoved
from drivers.id_reader.sim import SAMPLE_CARDS
from tests.drivers.id_reader.conftest import Reader


def test_card_removed_mid_read_is_reported_without_an_identity(reader: Reader) -> None:
    reader.simulator.remove_mid_read()
    reader.simulator.put_card("resident")
    failed = reader.recorder.wait_event(CardReadFailed)
    assert failed.reason == "removed_too_early"
    assert reader.recorder.of(CardRead) == []
    assert reader.recorder.of(CardRemoved) == []  # nothing was read, so nothing is "removed"
    assert not reader.simulator.card_present
    reader.settle(probes=3)
    assert len(reader.recorder.of(CardReadFailed)) == 1
    assert reader.runner.health.state is DeviceState.READY


def test_the_card_laid_down_again_reads(reader: Reader) -> None:
    reader.simulator.remove_mid_read()
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardReadFailed)
    reader.simulator.put_card("resident")
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident"]


def test_the_read_is_tried_once_more_before_giving_up(reader: Reader) -> None:
    reader.simulator.remove_mid_read()
    reader.simulator.put_card("resident")
    reader.recorder.wait_event(CardReadFailed)
    # The first read (41) and the direct retry read of a card that was not found again.
    assert reader.simulator.count(Command.READ_TEXT_PHOTO) == 2
