"""No log line, repr or error message of a read holds the holder's name, ID number
or address (STYLE.md §13, reliability.md D5)."""

from __future__ import annotations

import logging

import pytest

from drivers.health import DeviceState
from drivers.id_reader.codec import Command
from drivers.id_reader.device import CardRead, CardReadFailed, CardReadTimeout, CardRemoved, read_card_once
from drivers.id_reader.identity import Identity
from drivers.id_reader.sim import SAMPLE_CARDS
from tests.drivers.id_reader.conftest import FAST, Reader


def secrets_of(card: Identity) -> list[str]:
    values = [card.name, card.id_number, card.address, card.english_name, card.permit_number,
              card.appended_address, card.masked_id_number[:-4] + card.id_number[-4:]]
    return [v for v in values if v]


def test_a_full_session_logs_no_card_data(reader: Reader, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    simulator = reader.simulator
    for count, name in enumerate(sorted(SAMPLE_CARDS), start=1):
        simulator.put_card(name)
        event = reader.recorder.wait_event(CardRead, count)
        seen += [repr(event), str(event), repr(event.identity)]
        simulator.remove_card()
        reader.recorder.wait_event(CardRemoved, count)
    # And the failure paths.
    simulator.corrupt_checksum(2, command=Command.READ_TEXT_PHOTO)
    simulator.noise_before_reply(replies=5)
    simulator.put_card("resident")
    failed = reader.recorder.wait_event(CardReadFailed)
    reader.recorder.wait_event(CardRead, len(SAMPLE_CARDS) + 1)
    simulator.sam_fault()
    reader.recorder.wait_state(DeviceState.ERROR)
    seen += [repr(failed), repr(reader.driver), repr(reader.runner), repr(simulator),
             repr(reader.recorder.healths), caplog.text]
    text = "\n".join(seen)
    assert "card read (resident_id)" in caplog.text  # the log does say what happened
    for card in SAMPLE_CARDS.values():
        for secret in secrets_of(card):
            assert secret not in text


def test_timeout_error_of_the_one_shot_read_holds_no_card_data(caplog: pytest.LogCaptureFixture) -> None:
    from drivers import sim
    from drivers.id_reader.sim import IdReaderSimulator

    caplog.set_level(logging.DEBUG)
    simulator = IdReaderSimulator("resident")
    simulator.unreadable_card()
    sim.register("id_reader", simulator)
    with pytest.raises(CardReadTimeout) as caught:
        read_card_once("sim://", 0.3, timings=FAST)
    assert caught.value.last_failure == "unreadable"
    text = f"{caught.value!s} {caught.value!r} {caplog.text}"
    for secret in secrets_of(SAMPLE_CARDS["resident"]):
        assert secret not in text
