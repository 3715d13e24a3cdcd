"""Line noise before the reader's replies (a USB-serial bridge glitch, a module that
babbles at power-up) does not disturb reading (hardware-protocols.md §1.2: resync on
the preamble)."""

from __future__ import annotations

from drivers.id_reader.codec import Command
from drivers.id_reader.device import CardRead, CardReadFailed
from drivers.id_reader.sim import SAMPLE_CARDS
from tests.drivers.id_reader.conftest import Reader


def test_noise_before_every_reply(reader: Reader) -> None:
    reader.simulator.noise_before_reply(replies=1_000_000)
    reader.simulator.put_card("resident_moved")
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident_moved"]
    assert reader.recorder.of(CardReadFailed) == []
    assert reader.simulator.count(Command.READ_TEXT_PHOTO) == 1  # no retry was needed


def test_noise_made_of_partial_preambles_before_the_card_data(reader: Reader) -> None:
    noise = b"\xaa\xaa\xaa\x96" + b"\xaa\xaa\x96\x69" + b"\xaa\x69\xaa\xaa"
    reader.simulator.noise_before_reply(noise, replies=1, command=Command.READ_TEXT_PHOTO)
    reader.simulator.put_card("hmt")
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["hmt"]
    assert reader.simulator.replies_with_noise == 1
