"""The framer accepts bytes in any chunking, skips garbage and drops bad frames
(hardware-protocols.md §1.2), checked over random streams."""

from __future__ import annotations

import functools
import operator

from hypothesis import given
from hypothesis import strategies as st

from drivers.id_reader import codec
from tests.drivers.id_reader.strategies import chunked, encode, garbage, replies


def feed_all(framer: codec.ReplyFramer, chunks: list[bytes]) -> list[codec.Reply]:
    out: list[codec.Reply] = []
    for chunk in chunks:
        out += framer.feed(chunk)
    return out


@given(st.binary(max_size=3000))
def test_checksum_is_the_xor_of_every_byte(data: bytes) -> None:
    assert codec.checksum(data) == functools.reduce(operator.xor, data, 0)


@given(
    frames=st.lists(st.tuples(garbage, replies), max_size=6),
    tail=garbage,
    cuts=st.lists(st.integers(0, 20_000), max_size=40),
)
def test_frames_survive_any_chunking_and_garbage_around_them(
    frames: list[tuple[bytes, codec.Reply]], tail: bytes, cuts: list[int]
) -> None:
    stream = b"".join(noise + encode(reply) for noise, reply in frames) + tail
    framer = codec.ReplyFramer()
    assert feed_all(framer, chunked(stream, cuts)) == [reply for _, reply in frames]
    assert framer.rejected == 0


@given(
    before=st.lists(replies, max_size=3),
    victim=replies,
    after=st.lists(replies, max_size=3),
    where=st.integers(0, 10_000),
    flip=st.integers(1, 255),
    cuts=st.lists(st.integers(0, 20_000), max_size=20),
)
def test_a_frame_with_a_corrupted_byte_is_dropped_and_the_rest_kept(
    before: list[codec.Reply],
    victim: codec.Reply,
    after: list[codec.Reply],
    where: int,
    flip: int,
    cuts: list[int],
) -> None:
    bad = bytearray(encode(victim))
    # Any byte after the length field: SW1 .. CHK. XOR detects every single-byte error.
    index = codec.HEADER_LEN + where % (len(bad) - codec.HEADER_LEN)
    bad[index] ^= flip
    stream = b"".join(map(encode, before)) + bytes(bad) + b"".join(map(encode, after))
    framer = codec.ReplyFramer()
    assert feed_all(framer, chunked(stream, cuts)) == before + after
    assert framer.rejected >= 1


@given(replies, st.integers(0, 0xFFFF))
def test_a_corrupted_length_does_not_swallow_the_frames_after_it(reply: codec.Reply, length: int) -> None:
    frame = bytearray(encode(reply))
    if length == (frame[5] << 8 | frame[6]):
        return
    frame[5:7] = length.to_bytes(2, "big")
    # Followed by a good frame: the bad one must not swallow it once enough bytes came.
    good = codec.encode_reply(codec.Status.FIND_FAILED)
    framer = codec.ReplyFramer()
    out = framer.feed(bytes(frame) + good + good * (codec.MAX_FRAME_LEN // len(good) + 1))
    assert out[-1] == codec.Reply(0, 0, codec.Status.FIND_FAILED)


@given(st.lists(replies, min_size=1, max_size=4))
def test_bytes_wanted_never_reads_past_the_end_of_a_frame(frames: list[codec.Reply]) -> None:
    """The session reads exactly `bytes_wanted()` bytes, so it never eats into what
    the reader sends next."""
    framer = codec.ReplyFramer()
    for reply in frames:
        data = encode(reply)
        pos = 0
        got: list[codec.Reply] = []
        while not got:
            want = framer.bytes_wanted()
            assert pos + want <= len(data)
            got = framer.feed(data[pos : pos + want])
            pos += want
        assert pos == len(data)
        assert got == [reply]


def test_resyncs_on_a_preamble_inside_a_frame_that_failed() -> None:
    good = codec.encode_reply(codec.Status.CARD_FOUND, bytes(4))
    # A false preamble whose Len covers the start of the real frame, with a bad CHK.
    false = codec.PREAMBLE + b"\x00\x06\x01\x02"
    framer = codec.ReplyFramer()
    assert framer.feed(false + good) == [codec.Reply(0, 0, codec.Status.CARD_FOUND, bytes(4))]
    assert framer.rejected == 1


def test_split_preamble_and_repeated_sync_bytes() -> None:
    frame = codec.encode_reply(codec.Status.FIND_FAILED)
    framer = codec.ReplyFramer()
    assert framer.feed(b"\xaa\xaa\xaa\xaa") == []
    assert framer.feed(b"\xaa" + frame[:3]) == []
    assert framer.feed(frame[3:]) == [codec.Reply(0, 0, codec.Status.FIND_FAILED)]
    assert framer.discarded == 5


def test_unknown_status_is_a_typed_value() -> None:
    (reply,) = codec.ReplyFramer().feed(codec.encode_reply(0x5E))
    assert reply.status == codec.UnknownStatus(0x5E)
    assert reply.sw3 == 0x5E
    assert not reply.ok


def test_request_framer_reports_bad_checksum_and_length() -> None:
    good = codec.encode_request(codec.Command.FIND_CARD)
    bad_chk = good[:-1] + b"\x00"
    bad_len = codec.PREAMBLE + b"\x00\x01\x20"  # Len 1 cannot hold CMD PARA CHK
    framer = codec.RequestFramer()
    out = framer.feed(bad_chk + bad_len + good)
    assert out == [codec.FrameError.CHECKSUM, codec.FrameError.LENGTH, codec.Request(0x20, 0x01)]
    assert isinstance(out[-1], codec.Request) and out[-1].command is codec.Command.FIND_CARD


def test_a_preamble_inside_a_corrupted_frame_does_not_hold_back_the_next_reply() -> None:
    # Hypothesis found it: the dropped frame's data held AA AA AA 96 69 with a length
    # that reached past the end of the stream, so the good reply after it waited forever.
    hidden = codec.PREAMBLE + (0x0500).to_bytes(2, "big") + b"\x01\x02"
    bad = bytearray(codec.encode_reply(codec.Status.SUCCESS, hidden))
    bad[-1] ^= 0xFF
    good = codec.encode_reply(codec.Status.SUCCESS)
    framer = codec.ReplyFramer()
    assert framer.feed(bytes(bad) + good) == [codec.Reply(0, 0, codec.Status.SUCCESS)]
    assert framer.rejected == 2
