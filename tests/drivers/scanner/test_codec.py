"""The framer: any chunking gives the same scans; controls, AIM identifiers, encodings,
caps and silence are handled the same way whatever the line does."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from drivers.scanner.codec import (
    LINE,
    MAX_SCAN_BYTES,
    Family,
    FramerEvent,
    Rejected,
    RejectReason,
    Scan,
    ScanFramer,
    Suffix,
    clean_text,
)

# Text a scanner can carry once cleaned: no controls, format characters or separators
# (the framer strips those), and not starting like an AIM identifier.
clean_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs")), min_size=1, max_size=40
).filter(lambda t: not (len(t) >= 3 and t[0] == "]" and t[1].isascii() and t[1].isalpha()))
aim_ids = st.builds(
    lambda c, m: f"]{c}{m}",
    st.sampled_from("ACEFGILQdezX"),
    st.sampled_from("0123456789AB"),
)
# Controls that never end a frame under any suffix used below.
noise_bytes = st.sampled_from([bytes([b]) for b in range(0x20) if b not in (0x0A, 0x0D, 0x02, 0x03, 0x1B)] + [b"\x7f", b"\x1b[2J", b"\x1b[31;1m"])
SUFFIXES: list[tuple[Suffix, bytes]] = [
    (LINE, b"\r"),
    (LINE, b"\n"),
    (LINE, b"\r\n"),
    (b"\r", b"\r"),
    (b"\r\n", b"\r\n"),
    (b"\x02\x03", b"\x02\x03"),  # a two-byte suffix that chunking can split
]


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def run(framer: ScanFramer, chunks: list[bytes], *, now: float = 0.0, flush: bool = True) -> list[FramerEvent]:
    out: list[FramerEvent] = []
    for chunk in chunks:
        out += framer.feed(chunk, now)
    if flush:
        out += framer.idle(now + 10.0)
    return out


def texts(events: list[FramerEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, Scan)]


# -- properties -------------------------------------------------------------------------------
@given(st.lists(clean_texts, min_size=1, max_size=8), st.sampled_from(SUFFIXES), st.lists(st.integers(0, 2000)))
def test_any_chunking_yields_the_same_scans(scans: list[str], suffix: tuple[Suffix, bytes], cuts: list[int]) -> None:
    mode, sent = suffix
    stream = b"".join(s.encode() + sent for s in scans)
    assert texts(run(ScanFramer(mode), chunked(stream, cuts))) == scans


@given(st.binary(max_size=600), st.sampled_from([LINE, b"\r\n", b"\x02\x03", None]), st.lists(st.integers(0, 600)))
def test_arbitrary_bytes_frame_the_same_in_any_chunking(stream: bytes, mode: Suffix, cuts: list[int]) -> None:
    whole = run(ScanFramer(mode, max_bytes=64), [stream])
    assert run(ScanFramer(mode, max_bytes=64), chunked(stream, cuts)) == whole
    for event in whole:
        if isinstance(event, Scan):
            assert len(event.text.encode("utf-8", "surrogatepass")) <= 64 * 2  # GB18030 → UTF-8 can grow
            assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in event.text)


@given(st.lists(clean_texts, min_size=1, max_size=5), st.data())
def test_garbage_control_chars_are_stripped(scans: list[str], data: st.DataObject) -> None:
    stream = bytearray()
    for s in scans:
        for byte in s.encode():
            if data.draw(st.booleans()):
                stream += data.draw(noise_bytes)
            stream.append(byte)
        stream += data.draw(noise_bytes) + b"\r\n"
    assert texts(run(ScanFramer(), [bytes(stream)])) == scans


@given(aim_ids, clean_texts, st.lists(st.integers(0, 100)))
def test_aim_identifier_becomes_the_symbology(aim: str, text: str, cuts: list[int]) -> None:
    (event,) = run(ScanFramer(), chunked(f"{aim}{text}\r".encode(), cuts))
    assert isinstance(event, Scan)
    assert event.text == text
    assert event.symbology is not None and event.symbology.identifier == aim


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=30))
def test_gbk_text_is_decoded(text: str) -> None:
    try:
        raw = text.encode("gbk")
    except UnicodeEncodeError:
        assume(False)
        return
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        assume(False)  # GBK bytes that happen to be valid UTF-8 are read as UTF-8 (documented)
    assert texts(run(ScanFramer(), [raw + b"\r"])) == [text]


# -- examples --------------------------------------------------------------------------------
def test_aim_identifiers_of_common_symbologies() -> None:
    events = run(ScanFramer(), [b"]Q1https://x.cn\r]C0ABC-1\r]E04006381333931\r]d2010123\r"])
    families = [e.symbology.family for e in events if isinstance(e, Scan) and e.symbology]
    assert families == [Family.QR, Family.CODE_128, Family.EAN_UPC, Family.DATA_MATRIX]
    assert texts(events) == ["https://x.cn", "ABC-1", "4006381333931", "010123"]


def test_aim_is_kept_as_text_when_not_configured() -> None:
    assert texts(run(ScanFramer(aim=False), [b"]Q1abc\r"])) == ["]Q1abc"]


def test_unknown_aim_letter_has_no_family() -> None:
    (event,) = run(ScanFramer(), [b"]X0data\r"])
    assert isinstance(event, Scan) and event.symbology is not None
    assert event.symbology.family is None and event.symbology.modifier == "0"


def test_no_suffix_ends_on_silence_only() -> None:
    framer = ScanFramer(None, idle_s=0.25)
    assert framer.feed(b"NO", 1.0) == []
    assert framer.feed(b"SUFFIX", 1.5) == []
    assert framer.idle(1.625) == []  # quiet, but not long enough: still streaming
    assert framer.idle_deadline() == 1.75
    assert texts(framer.idle(1.75)) == ["NOSUFFIX"]
    assert not framer.pending and framer.idle_deadline() is None


def test_line_mode_also_ends_on_silence() -> None:
    framer = ScanFramer()
    framer.feed(b"12345", 0.0)
    assert texts(framer.idle(0.2)) == ["12345"]


def test_silence_before_an_explicit_suffix_is_a_truncated_scan() -> None:
    framer = ScanFramer(b"\r\n")
    framer.feed(b"HALF-A-SC", 0.0)
    assert framer.idle(1.0) == [Rejected(RejectReason.TRUNCATED, 9)]
    assert texts(run(framer, [b"WHOLE\r\n"], flush=False)) == ["WHOLE"]


def test_control_noise_before_silence_is_not_a_truncated_scan() -> None:
    framer = ScanFramer(b"\r\n")
    framer.feed(b"\x00\x11", 0.0)
    assert framer.idle(1.0) == []


def test_oversize_scan_rejected_and_the_next_one_read() -> None:
    framer = ScanFramer()
    big = b"9" * (MAX_SCAN_BYTES * 3)
    events: list[FramerEvent] = []
    for i in range(0, len(big), 1000):
        events += framer.feed(big[i : i + 1000], 0.0)
    events += framer.feed(b"\rNEXT\r", 0.0)
    assert events == [Rejected(RejectReason.OVERSIZE, len(big)), Scan("NEXT")]


def test_exactly_the_cap_is_accepted() -> None:
    (event,) = run(ScanFramer(max_bytes=10), [b"0123456789\r"])
    assert event == Scan("0123456789")
    (event,) = run(ScanFramer(max_bytes=10), [b"0123456789A\r"])
    assert event == Rejected(RejectReason.OVERSIZE, 11)


def test_invalid_encoding_rejected() -> None:
    assert run(ScanFramer(), [b"\xff\xfe\xfd\r"]) == [Rejected(RejectReason.UNDECODABLE, 3)]


def test_gb18030_four_byte_character() -> None:
    assert texts(run(ScanFramer(), ["𠮷野家".encode("gb18030") + b"\r"])) == ["𠮷野家"]


def test_configured_encoding_is_not_guessed() -> None:
    assert texts(run(ScanFramer(encoding="gbk"), ["中文".encode("gbk") + b"\r"])) == ["中文"]
    assert run(ScanFramer(encoding="utf-8"), ["中文".encode("gbk") + b"\r"])[0] == Rejected(RejectReason.UNDECODABLE, 4)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("\u202egnp.exe".encode(), "gnp.exe"),  # bidi override
        ("\ufeffBOM".encode(), "BOM"),  # UTF-8 byte order mark
        ("a\u2028b".encode(), "ab"),  # line separator (log injection)
        ("c1\u0085\u009b".encode(), "c1"),  # C1 controls after decoding
        (b"\x1b[2J\x1b[1;31mRED", "RED"),  # ANSI escape sequences, whole
        (b"rm -rf /\x04\x00", "rm -rf /"),  # BadBarcode: Ctrl-D and NUL
    ],
)
def test_control_and_format_characters_stripped(raw: bytes, text: str) -> None:
    assert clean_text(raw) == Scan(text)


def test_only_controls_is_an_empty_scan() -> None:
    assert clean_text(b"\x00\x07") == Rejected(RejectReason.EMPTY, 2)
    assert clean_text(b"]Q1") == Rejected(RejectReason.EMPTY, 3)


def test_configured_prefix_is_removed() -> None:
    assert texts(run(ScanFramer(prefix=b"#"), [b"#]C0ABC\r"])) == ["ABC"]


def test_reset_forgets_a_partial_scan() -> None:
    framer = ScanFramer()
    framer.feed(b"PARTIAL", 0.0)
    framer.reset()
    assert texts(run(framer, [b"WHOLE\r"])) == ["WHOLE"]


def test_scan_repr_hides_the_text() -> None:
    assert "secret" not in repr(Scan("secret-110105194912310021"))
