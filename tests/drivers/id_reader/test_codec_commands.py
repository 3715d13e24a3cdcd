"""Request frames, canonical replies, statuses and the small payloads, byte for byte
against hardware-protocols.md §1.3-§1.5 and §1.7."""

from __future__ import annotations

import pytest

from drivers.id_reader import codec
from drivers.id_reader.codec import Command, Status

# §1.3, full request frames as printed in the reference.
REQUESTS = {
    Command.RESET_SAM: "AA AA AA 96 69 00 03 10 FF EC",
    Command.SAM_STATUS: "AA AA AA 96 69 00 03 11 FF ED",
    Command.READ_SAM_ID: "AA AA AA 96 69 00 03 12 FF EE",
    Command.FIND_CARD: "AA AA AA 96 69 00 03 20 01 22",
    Command.SELECT_CARD: "AA AA AA 96 69 00 03 20 02 21",
    Command.READ_TEXT_PHOTO: "AA AA AA 96 69 00 03 30 01 32",
    Command.READ_APPENDED_ADDRESS: "AA AA AA 96 69 00 03 30 03 30",
    Command.READ_CHIP_SERIAL: "AA AA AA 96 69 00 03 30 05 36",
    Command.READ_TEXT_PHOTO_FINGERPRINT: "AA AA AA 96 69 00 03 30 10 23",
    Command.SET_BAUD_115200: "AA AA AA 96 69 00 03 60 00 63",
    Command.SET_BAUD_9600: "AA AA AA 96 69 00 03 60 04 67",
}


@pytest.mark.parametrize(("command", "frame"), REQUESTS.items(), ids=lambda v: getattr(v, "name", ""))
def test_request_frames_match_the_reference(command: Command, frame: str) -> None:
    assert codec.encode_request(command) == bytes.fromhex(frame)


def test_set_max_rf_bytes_carries_one_data_byte() -> None:
    assert codec.encode_set_max_rf_bytes(0x50) == bytes.fromhex("AA AA AA 96 69 00 04 61 FF 50 CA")


# §1.4, canonical replies.
REPLIES = [
    ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", Status.CARD_FOUND, 4),
    ("AA AA AA 96 69 00 04 00 00 80 84", Status.FIND_FAILED, 0),
    ("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", Status.SUCCESS, 8),
    ("AA AA AA 96 69 00 04 00 00 81 85", Status.SELECT_FAILED, 0),
    ("AA AA AA 96 69 00 04 00 00 41 45", Status.READ_FAILED, 0),
    ("AA AA AA 96 69 00 04 00 00 91 95", Status.NO_CONTENT, 0),
]


@pytest.mark.parametrize(("frame", "status", "size"), REPLIES)
def test_canonical_replies_parse_and_encode_back(frame: str, status: Status, size: int) -> None:
    raw = bytes.fromhex(frame)
    (reply,) = codec.ReplyFramer().feed(raw)
    assert reply.status is status and len(reply.data) == size
    assert codec.encode_reply(status, reply.data) == raw


def test_read_reply_header_and_length_match_the_reference() -> None:
    payload = codec.encode_card_payload(bytes(256), bytes(1024))
    frame = codec.encode_reply(Status.SUCCESS, payload)
    assert len(frame) == 1295
    assert frame[:14] == bytes.fromhex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    blocks = codec.parse_card_payload(payload)
    assert (len(blocks.text), len(blocks.photo), blocks.fingerprint) == (256, 1024, None)


@pytest.mark.parametrize("fingerprint_len", [1024, 0])
def test_fingerprint_read_has_a_third_length_that_may_be_zero(fingerprint_len: int) -> None:
    payload = codec.encode_card_payload(bytes(256), bytes(1024), bytes(fingerprint_len))
    frame = codec.encode_reply(Status.SUCCESS, payload)
    if fingerprint_len:
        assert frame[:16] == bytes.fromhex("AA AA AA 96 69 09 0A 00 00 90 01 00 04 00 04 00")
        assert len(frame) == 2321
    blocks = codec.parse_card_payload(payload, with_fingerprint=True)
    assert blocks.fingerprint == bytes(fingerprint_len)


@pytest.mark.parametrize("data", [b"", bytes(3), codec.encode_card_payload(bytes(256), bytes(1024))[:-1],
                                  codec.encode_card_payload(bytes(200), bytes(1024))])
def test_payload_that_does_not_add_up_is_an_error(data: bytes) -> None:
    with pytest.raises(codec.CardDataError):
        codec.parse_card_payload(data)


def test_sam_id_fields_are_little_endian() -> None:
    raw = codec.encode_sam_id(5, 0, 20130628, 123456789, 987654321)
    sam_id = codec.parse_sam_id(raw)
    assert (sam_id.major, sam_id.minor, sam_id.date) == (5, 0, 20130628)
    assert str(sam_id) == "05.00-20130628-123456789-987654321"
    frame = codec.encode_reply(Status.SUCCESS, raw)
    assert len(frame) == 27 and frame.startswith(bytes.fromhex("AAAAAA96690014000090"))


def test_every_listed_status_round_trips_and_others_are_unknown() -> None:
    for status in Status:
        assert codec.status_of(status.value) is status
    assert codec.status_of(0x42) == codec.UnknownStatus(0x42)
    assert Status.SAM_SELF_TEST_FAILED.is_sam_fault and Status.SAM_NOT_AUTHORISED.is_sam_fault
    assert not codec.UnknownStatus(0x60 + 1).is_sam_fault
