"""The simulator answers the reference's commands with the reference's bytes
(hardware-protocols.md §1.4, §1.12), through `sim://` like any port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import serial

from drivers.id_reader import codec
from drivers.id_reader.codec import Command, Status
from drivers.id_reader.sim import SAMPLE_CARDS, IdReaderSimulator


@pytest.fixture
def port(simulator: IdReaderSimulator) -> Iterator[serial.Serial]:
    handle = serial.serial_for_url("sim://id_reader", timeout=1.0)
    try:
        yield handle
    finally:
        handle.close()


def ask(port: serial.Serial, request: bytes) -> codec.Reply:
    port.write(request)
    framer = codec.ReplyFramer()
    while True:
        chunk = port.read(framer.bytes_wanted())
        assert chunk, "no reply"
        replies = framer.feed(chunk)
        if replies:
            return replies[0]


def raw_reply(port: serial.Serial, command: Command) -> bytes:
    port.write(codec.encode_request(command))
    head = port.read(codec.HEADER_LEN)
    return head + port.read(int.from_bytes(head[5:7], "big"))


def test_no_card_is_the_canonical_find_failed_frame(port: serial.Serial) -> None:
    assert raw_reply(port, Command.FIND_CARD) == bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")


def test_find_select_read_of_a_card(port: serial.Serial, simulator: IdReaderSimulator) -> None:
    simulator.put_card("resident")
    assert raw_reply(port, Command.FIND_CARD) == bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert raw_reply(port, Command.SELECT_CARD) == bytes.fromhex(
        "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C")
    frame = raw_reply(port, Command.READ_TEXT_PHOTO)
    assert len(frame) == 1295 and frame[:14] == bytes.fromhex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert ask(port, codec.encode_request(Command.READ_APPENDED_ADDRESS)).status is Status.NO_CONTENT


def test_a_read_card_that_stays_is_not_found_again_but_still_reads(
    port: serial.Serial, simulator: IdReaderSimulator
) -> None:
    """§1.6 item 5 and YinanSoft's direct read."""
    simulator.put_card("resident")
    for command in (Command.FIND_CARD, Command.SELECT_CARD, Command.READ_TEXT_PHOTO):
        assert ask(port, codec.encode_request(command)).ok
    assert ask(port, codec.encode_request(Command.FIND_CARD)).status is Status.FIND_FAILED
    assert ask(port, codec.encode_request(Command.READ_TEXT_PHOTO)).status is Status.SUCCESS
    simulator.remove_card()
    assert ask(port, codec.encode_request(Command.READ_TEXT_PHOTO)).status is Status.READ_FAILED


def test_read_without_select_fails(port: serial.Serial, simulator: IdReaderSimulator) -> None:
    simulator.put_card("resident")
    assert ask(port, codec.encode_request(Command.SELECT_CARD)).status is Status.SELECT_FAILED
    assert ask(port, codec.encode_request(Command.READ_TEXT_PHOTO)).status is Status.READ_FAILED


def test_appended_address_and_fingerprint_read(port: serial.Serial, simulator: IdReaderSimulator) -> None:
    simulator.put_card("resident_moved")
    for command in (Command.FIND_CARD, Command.SELECT_CARD):
        ask(port, codec.encode_request(command))
    reply = ask(port, codec.encode_request(Command.READ_TEXT_PHOTO_FINGERPRINT))
    blocks = codec.parse_card_payload(reply.data, with_fingerprint=True)
    assert blocks.fingerprint == b""  # the samples carry no fingerprint (length 0, §1.4)
    reply = ask(port, codec.encode_request(Command.READ_APPENDED_ADDRESS))
    assert len(reply.data) == codec.APPENDED_ADDRESS_LEN
    assert codec.decode_appended_address(reply.data) == SAMPLE_CARDS["resident_moved"].appended_address


def test_management_commands(port: serial.Serial) -> None:
    assert raw_reply(port, Command.SAM_STATUS) == codec.encode_reply(Status.SUCCESS)
    sam_id = ask(port, codec.encode_request(Command.READ_SAM_ID))
    assert str(codec.parse_sam_id(sam_id.data)).startswith("05.00-20130628-")
    assert ask(port, codec.encode_request(Command.RESET_SAM)).status is Status.SUCCESS
    assert ask(port, codec.encode_set_max_rf_bytes()).status is Status.SUCCESS
    assert ask(port, codec.encode_request(Command.SET_BAUD_115200)).status is Status.SUCCESS


def test_host_frame_errors_get_10_11_and_21(port: serial.Serial) -> None:
    good = codec.encode_request(Command.FIND_CARD)
    assert ask(port, good[:-1] + bytes((good[-1] ^ 1,))).status is Status.HOST_CHECKSUM_ERROR
    assert ask(port, codec.PREAMBLE + b"\x00\x01\x20").status is Status.HOST_LENGTH_ERROR
    assert ask(port, codec.encode_raw_request(0x77, 0x01)).status is Status.BAD_COMMAND
    assert ask(port, codec.encode_request(Command.FIND_CARD, b"\x01")).status is Status.HOST_LENGTH_ERROR


def test_sam_fault_answers_everything_with_its_status(port: serial.Serial, simulator: IdReaderSimulator) -> None:
    simulator.sam_fault(Status.SAM_NOT_AUTHORISED)
    for command in (Command.SAM_STATUS, Command.RESET_SAM, Command.FIND_CARD):
        assert ask(port, codec.encode_request(command)).status is Status.SAM_NOT_AUTHORISED
    simulator.sam_fault(None)
    assert ask(port, codec.encode_request(Command.SAM_STATUS)).status is Status.SUCCESS


def test_noise_and_corruption_knobs(port: serial.Serial, simulator: IdReaderSimulator) -> None:
    simulator.noise_before_reply(b"\x01\x02\xaa", replies=1)
    port.write(codec.encode_request(Command.FIND_CARD))
    assert port.read(3 + 11) == b"\x01\x02\xaa" + codec.encode_reply(Status.FIND_FAILED)
    simulator.corrupt_checksum(1)
    framer = codec.ReplyFramer()
    port.write(codec.encode_request(Command.FIND_CARD))
    assert framer.feed(port.read(11)) == [] and framer.rejected == 1
    with pytest.raises(ValueError):
        simulator.noise_before_reply(codec.PREAMBLE)
