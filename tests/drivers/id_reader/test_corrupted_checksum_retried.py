"""A reply whose checksum is wrong is never decoded; the read is tried once more,
and repeated garbling resets the module (hardware-protocols.md §1.2, §1.6 item 6)."""

from __future__ import annotations

from drivers.id_reader.codec import Command
from drivers.id_reader.device import CardRead, CardReadFailed
from drivers.id_reader.sim import SAMPLE_CARDS
from tests.drivers.id_reader.conftest import Reader


def test_one_corrupted_card_reply_is_retried_and_read(reader: Reader) -> None:
    reader.simulator.corrupt_checksum(1, command=Command.READ_TEXT_PHOTO)
    reader.simulator.put_card("resident")
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident"]
    assert reader.recorder.of(CardReadFailed) == []
    assert reader.simulator.replies_corrupted == 1
    assert reader.simulator.count(Command.READ_TEXT_PHOTO) == 2


def test_two_corrupted_replies_fail_the_read_then_it_reads_after_a_reset(reader: Reader) -> None:
    resets = reader.simulator.count(Command.RESET_SAM)
    reader.simulator.corrupt_checksum(2, command=Command.READ_TEXT_PHOTO)
    reader.simulator.put_card("resident")
    assert reader.recorder.wait_event(CardReadFailed).reason == "checksum"
    assert reader.recorder.of(CardRead) == []
    # The failed read resets the module, so the card still lying there is found again.
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident"]
    assert reader.simulator.count(Command.RESET_SAM) == resets + 1


def test_repeated_garbled_find_replies_reset_the_module(reader: Reader) -> None:
    resets = reader.simulator.count(Command.RESET_SAM)
    reader.simulator.corrupt_checksum(3, command=Command.FIND_CARD)
    assert reader.simulator.wait_for(Command.RESET_SAM, resets + 1)
    reader.simulator.put_card("foreign_2023")
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["foreign_2023"]
