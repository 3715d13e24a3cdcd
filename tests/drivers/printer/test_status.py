"""Status bytes (hardware-protocols.md §2.5): every DLE EOT bit, ASB, and the framer."""

from __future__ import annotations

from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer.codec import (
    NO_ANSWER,
    AutoStatus,
    PrinterStatus,
    RealTimeReply,
    SequentialReply,
    StatusByteError,
    StatusFramer,
    StatusReason,
    decode_asb,
    decode_status_replies,
    encode_asb,
    encode_status_replies,
)

OK = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}


def replies(**changes: int) -> dict[int, int]:
    out = dict(OK)
    for key, value in changes.items():
        out[int(key[1])] = value
    return out


def test_idle_printer_is_ok() -> None:
    status = decode_status_replies(OK)
    assert status == PrinterStatus()
    assert status.reason is StatusReason.OK
    assert status.printable


@pytest.mark.parametrize(("n", "bit", "field"), [
    (1, 0x04, "drawer_pin3_high"),
    (1, 0x08, "offline"),
    (2, 0x04, "cover_open"),
    (2, 0x08, "feed_button"),
    (2, 0x20, "paper_end_stop"),
    (2, 0x40, "error"),
    (3, 0x04, "mechanical_error"),
    (3, 0x08, "cutter_error"),
    (3, 0x20, "unrecoverable_error"),
    (3, 0x40, "auto_recoverable_error"),
    (4, 0x0C, "paper_near_end"),
    (4, 0x04, "paper_near_end"),  # some models set one sensor bit of the pair
    (4, 0x60, "paper_out"),
    (4, 0x20, "paper_out"),
])
def test_every_status_bit(n: int, bit: int, field: str) -> None:
    status = decode_status_replies({**OK, n: 0x12 | bit})
    set_fields = {f.name for f in fields(status) if f.name != "answered" and getattr(status, f.name)}
    assert set_fields == {field}


@pytest.mark.parametrize(("changes", "reason"), [
    ({"n4": 0x72}, StatusReason.PAPER_OUT),  # python-escpos NOPAPER
    ({"n4": 0x1E}, StatusReason.PAPER_NEAR_END),  # LOWPAPER
    ({"n1": 0x1A, "n2": 0x16}, StatusReason.COVER_OPEN),
    ({"n1": 0x1A, "n2": 0x52, "n3": 0x1A}, StatusReason.CUTTER_ERROR),
    ({"n1": 0x1A, "n2": 0x52, "n3": 0x32}, StatusReason.UNRECOVERABLE_ERROR),
    ({"n1": 0x1A, "n2": 0x52, "n3": 0x52}, StatusReason.AUTO_RECOVERABLE_ERROR),
    ({"n1": 0x1A, "n2": 0x52, "n3": 0x16}, StatusReason.MECHANICAL_ERROR),
    ({"n1": 0x1A}, StatusReason.OFFLINE),
    ({"n1": 0x1A, "n2": 0x16, "n4": 0x72}, StatusReason.COVER_OPEN),  # what to fix first
])
def test_typical_bytes_give_the_reason_a_person_is_told(changes: dict[str, int], reason: StatusReason) -> None:
    status = decode_status_replies(replies(**changes))
    assert status.reason is reason
    assert status.printable is (reason is StatusReason.PAPER_NEAR_END)


def test_no_answer_is_its_own_state() -> None:
    assert NO_ANSWER.reason is StatusReason.NO_ANSWER
    assert not NO_ANSWER.printable


@pytest.mark.parametrize("bad", [0x00, 0x10, 0x13, 0x92, 0xFF])
def test_bytes_with_wrong_fixed_bits_are_not_status_replies(bad: int) -> None:
    with pytest.raises(StatusByteError):
        decode_status_replies({**OK, 1: bad})


def test_missing_reply_is_an_error() -> None:
    with pytest.raises(StatusByteError):
        decode_status_replies({1: 0x12, 2: 0x12, 3: 0x12})


statuses = st.builds(
    PrinterStatus,
    offline=st.booleans(), drawer_pin3_high=st.booleans(), cover_open=st.booleans(), feed_button=st.booleans(),
    paper_end_stop=st.booleans(), error=st.booleans(), mechanical_error=st.booleans(), cutter_error=st.booleans(),
    unrecoverable_error=st.booleans(), auto_recoverable_error=st.booleans(), paper_near_end=st.booleans(),
    paper_out=st.booleans(),
)


@given(statuses)
def test_dle_eot_replies_round_trip(status: PrinterStatus) -> None:
    encoded = encode_status_replies(status)
    assert all(b & 0x93 == 0x12 for b in encoded.values())
    assert decode_status_replies(encoded) == status


_ASB_FIELDS = ("offline", "drawer_pin3_high", "cover_open", "feed_button", "mechanical_error", "cutter_error",
               "unrecoverable_error", "auto_recoverable_error", "paper_near_end", "paper_out")


@given(statuses)
def test_asb_round_trip(status: PrinterStatus) -> None:
    burst = encode_asb(status)
    assert burst[0] & 0x93 == 0x10  # tells ASB from a DLE EOT reply (§2.5)
    assert all(b & 0x90 == 0 for b in burst[1:])
    decoded = decode_asb(burst)
    assert all(getattr(decoded, f) == getattr(status, f) for f in _ASB_FIELDS)


def test_asb_paper_end_and_cover() -> None:
    assert decode_asb(bytes((0x18, 0x00, 0x0C, 0x00))).reason is StatusReason.PAPER_OUT
    assert decode_asb(bytes((0x38, 0x00, 0x00, 0x00))).reason is StatusReason.COVER_OPEN
    assert decode_asb(bytes((0x10, 0x00, 0x03, 0x00))).reason is StatusReason.PAPER_NEAR_END
    with pytest.raises(StatusByteError):
        decode_asb(bytes((0x12, 0, 0, 0)))


@given(st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=12))
def test_framer_separates_replies_asb_and_fences_in_any_chunking(cuts: list[int]) -> None:
    # An ASB burst whose later bytes look like a DLE EOT reply (0x12) or a fence (0x00).
    asb = bytes((0x18, 0x12, 0x0C, 0x00))
    stream = bytes((0x12,)) + asb + bytes((0x00, 0x16, 0x72))
    framer = StatusFramer()
    frames = []
    pos = 0
    for cut in [*cuts, len(stream)]:
        frames += framer.feed(stream[pos:pos + cut])
        pos += cut
    assert frames == [RealTimeReply(0x12), AutoStatus(decode_asb(asb), asb), SequentialReply(0x00),
                      RealTimeReply(0x16), RealTimeReply(0x72)]
