"""Pure ESC/POS for Chinese thermal receipt printers: commands → bytes, status bytes →
`PrinterStatus`. No I/O, threads or clocks (STYLE.md §1). Hardware facts cite
shared/reference/hardware-protocols.md ("ref §2.x").

Why our own encoder rather than python-escpos (ref §2.6): its Chinese path sends a
string as GB18030 only when it contains a Hanzi in U+4E00–U+9FA5, so "：，。" alone
print as "???"; "¥" becomes the 4-byte GB18030 code 81 30 84 36 that GBK-only printers
print as garbage; CJK Extension B names turn into a silent "?"; it never sends FS &; it
enlarges with ESC !, which may not enlarge Hanzi; its serial class opens
`serial.Serial(port)` instead of a URL; and its last release (3.1, 2023) lacks later
fixes. The command set a receipt needs is about twenty commands, so we encode them
here and keep an independent parser (decoder.py) as the test peer (ref §2.7).
"""

from __future__ import annotations

import enum
import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

ESC = 0x1B
GS = 0x1D
FS = 0x1C
DLE = 0x10
LF = 0x0A

Encoding = Literal["gbk", "gb18030"]
ENCODINGS: tuple[Encoding, ...] = ("gbk", "gb18030")

# What an unprintable character becomes: U+25A1 is GB2312 A1 F5, so every GB printer
# has it, and a reader sees that something stood there (never a silent "?").
REPLACEMENT = "□"

# Documented look-alike substitutes, applied before the printability check. "¥" is the
# known trap (ref §2.2, node-escpos #332): GB18030 encodes it in 4 bytes, which
# GBK-only printers print as "0 6"; the full-width "￥" is A3 A4 in both encodings, so
# we use it for either setting. [U per printer: ref §2.2 recommendation]
SUBSTITUTES: Mapping[str, str] = {
    "¥": "￥",
    "\u00a0": " ",  # no-break space: 4-byte in GB18030, absent from GBK
    "\t": " ",
    "\r": "",
    "〜": "～",  # wave dash (IME output) → full-width tilde A1 AB
    "・": "·",  # katakana middle dot → middle dot A1 A4
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "©": "(C)",
    "®": "(R)",
    "™": "TM",
}

# Hanzi in CJK Extension A (U+3400–U+4DBF) are part of GB18030's mandatory repertoire
# as 4-byte codes; a printer configured for gb18030 prints them (ref §2.2: "GB18030
# 4-byte codes on printers that support them"). Other 4-byte codes (symbols, and the
# supplementary planes such as Extension B "𠀀") are not in the 24×24 fonts these
# printers carry, so they count as unprintable. [U: check the font of each model]
_EXT_A = range(0x3400, 0x4DC0)


# -- text --------------------------------------------------------------------------------


def _check_encoding(encoding: str) -> Encoding:
    if encoding == "gbk":
        return "gbk"
    if encoding == "gb18030":
        return "gb18030"
    raise ValueError(f"printer encoding must be gbk or gb18030, not {encoding!r}")


@functools.lru_cache(maxsize=8192)
def _encode_char(ch: str, encoding: Encoding) -> bytes | None:
    """The printer bytes of one (already substituted) character, or None if it cannot
    be printed in Chinese mode with this encoding."""
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return bytes((code,))
    if code < 0x20 or code == 0x7F:
        # Control bytes inside text would be commands to the printer (an ESC or a
        # DLE EOT in a name must never reach the wire as such).
        return None
    if unicodedata.category(ch) in ("Co", "Cs", "Cn", "Cc"):
        # Private-use code points map to GBK's user-defined zones, which hold no glyphs.
        return None
    try:
        data = ch.encode(encoding)
    except UnicodeEncodeError:
        return None
    if len(data) == 2:
        return data
    if len(data) == 4 and encoding == "gb18030" and code in _EXT_A:
        return data
    return None


def sanitize(text: str, encoding: str) -> tuple[str, tuple[str, ...]]:
    """Text as the printer will print it: substitutes applied, invisible format
    characters dropped, every unprintable character replaced by REPLACEMENT.

    Returns (printable text, the characters that were replaced, in order). Newlines
    are kept for the layout to handle.
    """
    enc = _check_encoding(encoding)
    out: list[str] = []
    replaced: list[str] = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
            continue
        sub = SUBSTITUTES.get(ch, ch)
        for c in sub:
            if unicodedata.category(c) == "Cf":
                continue  # zero-width space, BOM, direction marks: nothing visible is lost
            if _encode_char(c, enc) is None:
                replaced.append(c)
                out.append(REPLACEMENT)
            else:
                out.append(c)
    return "".join(out), tuple(replaced)


def char_columns(ch: str) -> int:
    """Columns one printable character takes at normal size.

    ASCII prints in the 12×24 ANK cell (1 column). Every other character that survives
    `sanitize` is a GB double-byte or 4-byte code, which a printer in Chinese mode prints
    in the 24×24 Hanzi cell (2 columns; ref §2.2 "Width"). That is East Asian Width
    W/F as expected, and also class A (·, —, é, ①), which UAX #11 resolves to wide in
    East Asian contexts, exactly what GB fonts do.
    """
    return 1 if ch < "\x80" else 2


def text_columns(text: str) -> int:
    return sum(char_columns(ch) for ch in text)


@dataclass(frozen=True)
class EncodedText:
    data: bytes
    columns: int
    replaced: tuple[str, ...] = field(repr=False)  # may come from a name: keep out of logs


def encode_text(text: str, encoding: str) -> EncodedText:
    """Encode one run of text (no newlines) for Chinese mode."""
    enc = _check_encoding(encoding)
    clean, replaced = sanitize(text.replace("\n", " "), enc)
    out = bytearray()
    for ch in clean:
        data = _encode_char(ch, enc)
        assert data is not None  # sanitize() guarantees it
        out += data
    return EncodedText(bytes(out), text_columns(clean), replaced)


# Kinsoku (避头尾): punctuation that must not start a line, and openers that must not end one.
_NO_LINE_START = frozenset("，。、：；！？）》」』】〕〉…—～·,.;:!?)]}%’”")
_NO_LINE_END = frozenset("（《「『【〔〈([{‘“")


def _tokens(paragraph: str) -> list[str]:
    """Runs of non-space ASCII (words, numbers, receipt numbers) stay together; every
    other character, and every space, is its own token."""
    tokens: list[str] = []
    word = ""
    for ch in paragraph:
        if ch < "\x80" and ch != " ":
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


def wrap(text: str, width: int) -> list[str]:
    """Break printable text into lines of at most `width` columns.

    Latin words and numbers are not split unless longer than a line; a line never
    starts with closing punctuation or ends with an opening bracket when moving one
    character avoids it. Every returned line measures ≤ width (a Hanzi is 2 columns).
    """
    if width < 2:
        raise ValueError("a line must hold at least one Hanzi (2 columns)")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0
        for token in _tokens(paragraph):
            w = text_columns(token)
            if used + w <= width:
                if token == " " and not line:
                    continue  # no leading space on a wrapped line
                line.append(token)
                used += w
                continue
            if token == " ":
                lines.append("".join(line).rstrip())
                line, used = [], 0
                continue
            if w > width:  # a word longer than a line: split it by characters
                for ch in token:
                    cw = char_columns(ch)
                    if used + cw > width:
                        lines.append("".join(line).rstrip())
                        line, used = [], 0
                    line.append(ch)
                    used += cw
                continue
            carry: list[str] = []
            if token in _NO_LINE_START and len(line) > 1 and line[-1] != " ":
                carry = [line.pop()]  # take the previous character along
            while len(line) > 1 and line[-1] in _NO_LINE_END:
                carry.insert(0, line.pop())
            lines.append("".join(line).rstrip())
            line = [*carry, token]
            used = text_columns("".join(line))
            if used > width:  # carrying made it too long: give up on kinsoku here
                lines.append("".join(carry))
                line, used = [token], w
        lines.append("".join(line).rstrip())
    return lines


# -- commands ---------------------------------------------------------------------------


class Align(enum.IntEnum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


class Hri(enum.IntEnum):
    """Where a 1-D barcode's human-readable digits go (GS H n, ref §2.4)."""

    NONE = 0
    ABOVE = 1
    BELOW = 2
    BOTH = 3


_QR_EC = {"L": 48, "M": 49, "Q": 50, "H": 51}


def init() -> bytes:
    """ESC @ then FS &: most Chinese firmwares boot in Chinese mode, but not every one
    keeps it across ESC @, and FS & costs two bytes (ref §2.1, §2.2)."""
    return bytes((ESC, 0x40, FS, 0x26))


def chinese_mode(on: bool) -> bytes:
    return bytes((FS, 0x26)) if on else bytes((FS, 0x2E))


def char_size(width: int = 1, height: int = 1) -> bytes:
    """GS ! n: high nibble width−1, low nibble height−1 (ref §2.1; `1D 21 11` = 2×2).
    Used instead of ESC !, which may not enlarge Hanzi (ref §2.6)."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("character size is 1..8 in each direction")
    return bytes((GS, 0x21, ((width - 1) << 4) | (height - 1)))


def bold(on: bool) -> bytes:
    return bytes((ESC, 0x45, 1 if on else 0))


def underline(dots: int) -> bytes:
    if dots not in (0, 1, 2):
        raise ValueError("underline is 0, 1 or 2 dots")
    return bytes((ESC, 0x2D, dots))


def align(where: Align) -> bytes:
    return bytes((ESC, 0x61, int(where)))


def feed_lines(n: int) -> bytes:
    if not 0 <= n <= 255:
        raise ValueError("feed 0..255 lines")
    return bytes((ESC, 0x64, n))


def cut(*, full: bool = False, feed: int = 0) -> bytes:
    """GS V 65/66 n: feed to the cutter (plus n motion units), then cut (ref §2.1).
    Partial by default: some Chinese models only partial-cut (ZJ-58)."""
    if not 0 <= feed <= 255:
        raise ValueError("cut feed 0..255")
    return bytes((GS, 0x56, 65 if full else 66, feed))


def qr(data: str | bytes, *, module_size: int = 6, ec: str = "M") -> bytes:
    """Native QR, GS ( k cn=49 functions 165/167/169/180/181 (ref §2.3): model 2, module
    size, error correction, store (pL + pH·256 = k + 3), print. Text goes as UTF-8 bytes,
    which phones decode in byte mode (ref §2.3)."""
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if any(b < 0x20 and b not in (0x09, 0x0A, 0x0D) for b in payload):
        raise ValueError("QR data must not contain control bytes")  # DLE EOT in data (ref §2.5)
    if not 1 <= module_size <= 16:
        raise ValueError("QR module size is 1..16 dots")
    if ec not in _QR_EC:
        raise ValueError("QR error correction is L, M, Q or H")
    stored = len(payload) + 3
    if not 4 <= stored <= 7092:
        raise ValueError("QR data must be 1..7089 bytes")
    pl, ph = stored & 0xFF, stored >> 8
    return b"".join((
        bytes((GS, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 50, 0)),  # 165: model 2
        bytes((GS, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, module_size)),  # 167: module size
        bytes((GS, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, _QR_EC[ec])),  # 169: error correction
        bytes((GS, 0x28, 0x6B, pl, ph, 0x31, 0x50, 0x30)) + payload,  # 180: store
        bytes((GS, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30)),  # 181: print
    ))


def code128(data: str, *, height: int = 80, module_width: int = 2, hri: Hri = Hri.BELOW) -> bytes:
    """CODE128 code set B through GS k function B (m = 73), with height, module width,
    HRI position and font first (ref §2.4). A literal "{" is sent as "{{" because "{"
    starts a code-set selector."""
    if not data or any(not 0x20 <= ord(ch) <= 0x7E for ch in data):
        raise ValueError("CODE128 set B takes printable ASCII")
    if not 1 <= height <= 255 or not 2 <= module_width <= 6:
        raise ValueError("barcode height 1..255 dots, module width 2..6")
    body = b"{B" + data.replace("{", "{{").encode("ascii")
    if len(body) > 255:
        raise ValueError("barcode data too long")
    return b"".join((
        bytes((GS, 0x68, height)),
        bytes((GS, 0x77, module_width)),
        bytes((GS, 0x48, int(hri))),
        bytes((GS, 0x66, 0)),
        bytes((GS, 0x6B, 73, len(body))) + body,
    ))


# -- status ------------------------------------------------------------------------------


def status_request(n: int) -> bytes:
    """DLE EOT n, real-time status (ref §2.5): 1 printer, 2 offline cause, 3 error
    cause, 4 roll paper. Answered with one byte at once, even when offline."""
    if n not in (1, 2, 3, 4):
        raise ValueError("DLE EOT n is 1..4")
    return bytes((DLE, 0x04, n))


def recover(n: int) -> bytes:
    """DLE ENQ n (ref §2.5 [S]): 1 restart from the error line, 2 clear the buffers and
    recover [U: the 1/2 split is unverified]."""
    if n not in (1, 2):
        raise ValueError("DLE ENQ n is 1 or 2")
    return bytes((DLE, 0x05, n))


def automatic_status_back(mask: int) -> bytes:
    """GS a n (ref §2.5): bit0 drawer, bit1 online/offline, bit2 error, bit3 paper."""
    if not 0 <= mask <= 0xFF:
        raise ValueError("ASB mask is a byte")
    return bytes((GS, 0x61, mask))


def sequential_paper_status() -> bytes:
    """GS r 1: paper sensor status, processed in order from the buffer, not in real time
    (ref §2.5 [S]). We append it to a job as a fence: its reply means the printer has
    reached the end of the job; a printer stopped by paper end never sends it."""
    return bytes((GS, 0x72, 1))


class StatusReason(enum.Enum):
    """Why a printer can or cannot print: a closed set, shared with Health.reason."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"  # prints, but the roll needs replacing soon
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    CUTTER_ERROR = "cutter_error"
    MECHANICAL_ERROR = "mechanical_error"
    UNRECOVERABLE_ERROR = "unrecoverable_error"
    AUTO_RECOVERABLE_ERROR = "auto_recoverable_error"  # e.g. head overheat (ref §2.5)
    OFFLINE = "offline"  # offline with no cause given (FEED button, firmware)
    NO_ANSWER = "no_answer"  # no status byte within the timeout

    @property
    def fault(self) -> bool:
        return self not in (StatusReason.OK, StatusReason.PAPER_NEAR_END)


@dataclass(frozen=True)
class PrinterStatus:
    """Every bit of the DLE EOT 1..4 replies (ref §2.5 table), or of an ASB burst."""

    answered: bool = True
    offline: bool = False  # n=1 bit3
    drawer_pin3_high: bool = False  # n=1 bit2
    cover_open: bool = False  # n=2 bit2
    feed_button: bool = False  # n=2 bit3: paper being fed by the FEED button
    paper_end_stop: bool = False  # n=2 bit5: printing stopped by paper end
    error: bool = False  # n=2 bit6
    mechanical_error: bool = False  # n=3 bit2 (Epson; black-mark error on Citizen)
    cutter_error: bool = False  # n=3 bit3
    unrecoverable_error: bool = False  # n=3 bit5
    auto_recoverable_error: bool = False  # n=3 bit6
    paper_near_end: bool = False  # n=4 bits 2+3
    paper_out: bool = False  # n=4 bits 5+6

    @property
    def reason(self) -> StatusReason:
        """The one reason a person is told, most actionable first."""
        if not self.answered:
            return StatusReason.NO_ANSWER
        if self.cover_open:
            return StatusReason.COVER_OPEN
        if self.paper_out or self.paper_end_stop:
            return StatusReason.PAPER_OUT
        if self.cutter_error:
            return StatusReason.CUTTER_ERROR
        if self.unrecoverable_error:
            return StatusReason.UNRECOVERABLE_ERROR
        if self.mechanical_error:
            return StatusReason.MECHANICAL_ERROR
        if self.auto_recoverable_error:
            return StatusReason.AUTO_RECOVERABLE_ERROR
        if self.offline or self.error or self.feed_button:
            return StatusReason.OFFLINE
        if self.paper_near_end:
            return StatusReason.PAPER_NEAR_END
        return StatusReason.OK

    @property
    def printable(self) -> bool:
        return not self.reason.fault


NO_ANSWER = PrinterStatus(answered=False)


class StatusByteError(ValueError):
    """A byte that is not a DLE EOT reply (fixed bits wrong)."""


def is_realtime_reply(value: int) -> bool:
    """bit0 = 0, bit1 = 1, bit4 = 1, bit7 = 0 (ref §2.5)."""
    return value & 0x93 == 0x12


def is_asb_first_byte(value: int) -> bool:
    """ASB byte 1 has bits 0,1 = 00 and bit4 = 1 (ref §2.5)."""
    return value & 0x93 == 0x10


def decode_status_replies(replies: Mapping[int, int]) -> PrinterStatus:
    """Decode the replies to DLE EOT 1, 2, 3 and 4 (all four are required)."""
    for n in (1, 2, 3, 4):
        if n not in replies:
            raise StatusByteError(f"missing the reply to DLE EOT {n}")
        if not is_realtime_reply(replies[n]):
            raise StatusByteError(f"0x{replies[n]:02x} is not a real-time status byte")
    r1, r2, r3, r4 = (replies[n] for n in (1, 2, 3, 4))
    return PrinterStatus(
        offline=bool(r1 & 0x08),
        drawer_pin3_high=bool(r1 & 0x04),
        cover_open=bool(r2 & 0x04),
        feed_button=bool(r2 & 0x08),
        paper_end_stop=bool(r2 & 0x20),
        error=bool(r2 & 0x40),
        mechanical_error=bool(r3 & 0x04),
        cutter_error=bool(r3 & 0x08),
        unrecoverable_error=bool(r3 & 0x20),
        auto_recoverable_error=bool(r3 & 0x40),
        # Each pair is two sensors' worth of the same fact (0x0C near end, 0x60 end);
        # some models set only one bit of a pair, so either counts.
        paper_near_end=bool(r4 & 0x0C),
        paper_out=bool(r4 & 0x60),
    )


def encode_status_replies(status: PrinterStatus) -> dict[int, int]:
    """The four DLE EOT reply bytes a printer in `status` sends (the simulator's side)."""
    r1 = 0x12 | (0x08 if status.offline else 0) | (0x04 if status.drawer_pin3_high else 0)
    r2 = (0x12 | (0x04 if status.cover_open else 0) | (0x08 if status.feed_button else 0)
          | (0x20 if status.paper_end_stop else 0) | (0x40 if status.error else 0))
    r3 = (0x12 | (0x04 if status.mechanical_error else 0) | (0x08 if status.cutter_error else 0)
          | (0x20 if status.unrecoverable_error else 0) | (0x40 if status.auto_recoverable_error else 0))
    r4 = 0x12 | (0x0C if status.paper_near_end else 0) | (0x60 if status.paper_out else 0)
    return {1: r1, 2: r2, 3: r3, 4: r4}


def decode_asb(burst: bytes) -> PrinterStatus:
    """Decode a 4-byte Automatic Status Back burst (ref §2.5, Epson TM-U220 p.82-83)."""
    if len(burst) != 4 or not is_asb_first_byte(burst[0]):
        raise StatusByteError("not an ASB burst")
    b1, b2, b3 = burst[0], burst[1], burst[2]
    paper_out = bool(b3 & 0x0C)
    return PrinterStatus(
        offline=bool(b1 & 0x08),
        drawer_pin3_high=bool(b1 & 0x04),
        cover_open=bool(b1 & 0x20),
        feed_button=bool(b1 & 0x40),
        paper_end_stop=paper_out and bool(b1 & 0x08),
        error=bool(b2 & 0x6C),
        mechanical_error=bool(b2 & 0x04),
        cutter_error=bool(b2 & 0x08),
        unrecoverable_error=bool(b2 & 0x20),
        auto_recoverable_error=bool(b2 & 0x40),
        paper_near_end=bool(b3 & 0x03),
        paper_out=paper_out,
    )


def encode_asb(status: PrinterStatus) -> bytes:
    """The ASB burst a printer in `status` sends (the simulator's side)."""
    b1 = (0x10 | (0x04 if status.drawer_pin3_high else 0) | (0x08 if status.offline else 0)
          | (0x20 if status.cover_open else 0) | (0x40 if status.feed_button else 0))
    b2 = ((0x04 if status.mechanical_error else 0) | (0x08 if status.cutter_error else 0)
          | (0x20 if status.unrecoverable_error else 0) | (0x40 if status.auto_recoverable_error else 0))
    b3 = (0x03 if status.paper_near_end else 0) | (0x0C if status.paper_out else 0)
    return bytes((b1, b2, b3, 0x00))


def paper_sensor_byte(status: PrinterStatus) -> int:
    """The GS r 1 reply: bits 0,1 near end, bits 2,3 paper end, bits 4 and 7 zero.
    [U: bit layout from Epson's GS r; the reference only names the command. The driver
    relies on the reply's arrival, not on these bits.]"""
    return (0x03 if status.paper_near_end else 0) | (0x0C if status.paper_out else 0)


# -- host-side framing of what the printer sends ---------------------------------------


@dataclass(frozen=True)
class RealTimeReply:
    value: int


@dataclass(frozen=True)
class AutoStatus:
    status: PrinterStatus
    raw: bytes


@dataclass(frozen=True)
class SequentialReply:
    """A GS r reply (bit4 = 0, bit7 = 0): the job fence came back."""

    value: int

    @property
    def paper_out(self) -> bool:
        return bool(self.value & 0x0C)


@dataclass(frozen=True)
class StrayByte:
    value: int


StatusFrame = RealTimeReply | AutoStatus | SequentialReply | StrayByte


class StatusFramer:
    """Splits the printer-to-host byte stream into frames, in any chunking.

    A DLE EOT reply matches b & 0x93 == 0x12; an ASB burst starts with b & 0x93 == 0x10
    and always has 4 bytes in fixed order (ref §2.5), so its next three bytes are taken
    whatever they look like; a GS r reply has bits 4 and 7 clear.
    """

    def __init__(self) -> None:
        self._asb = bytearray()

    def feed(self, data: bytes) -> list[StatusFrame]:
        frames: list[StatusFrame] = []
        for b in data:
            if self._asb:
                self._asb.append(b)
                if len(self._asb) == 4:
                    raw = bytes(self._asb)
                    self._asb.clear()
                    frames.append(AutoStatus(decode_asb(raw), raw))
            elif is_realtime_reply(b):
                frames.append(RealTimeReply(b))
            elif is_asb_first_byte(b):
                self._asb.append(b)
            elif b & 0x90 == 0:
                frames.append(SequentialReply(b))
            else:
                frames.append(StrayByte(b))
        return frames


# -- a job builder --------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintJob:
    """The bytes of one job and what could not be printed in it. `replaced` may hold a
    character of a name, so it stays out of reprs and logs; log `len(replaced)`."""

    data: bytes
    replaced: tuple[str, ...] = field(default=(), repr=False)


class EscPos:
    """Accumulates one job. Text methods wrap to the current line width in columns
    (`columns` at normal size, divided by the GS ! width multiplier)."""

    def __init__(self, *, encoding: str = "gbk", columns: int = 48) -> None:
        self.encoding: Encoding = _check_encoding(encoding)
        if not 16 <= columns <= 96:
            raise ValueError("columns must be 16..96")
        self.columns = columns
        self._buf = bytearray()
        self._replaced: list[str] = []
        self._width = 1
        self._height = 1
        self._align = Align.LEFT

    # -- state ---------------------------------------------------------------------------
    @property
    def line_columns(self) -> int:
        return self.columns // self._width

    def raw(self, data: bytes) -> EscPos:
        self._buf += data
        return self

    def init(self) -> EscPos:
        self._width = self._height = 1
        self._align = Align.LEFT
        return self.raw(init())

    def size(self, width: int = 1, height: int = 1) -> EscPos:
        self._width, self._height = width, height
        return self.raw(char_size(width, height))

    def bold(self, on: bool = True) -> EscPos:
        return self.raw(bold(on))

    def align(self, where: Align) -> EscPos:
        self._align = where
        return self.raw(align(where))

    # -- text --------------------------------------------------------------------------------
    def printable(self, text: str) -> str:
        """`text` as it will print (substituted, unprintables replaced), recording the
        replacements for the job's report."""
        clean, replaced = sanitize(text, self.encoding)
        self._replaced += replaced
        return clean

    def _emit_line(self, line: str) -> None:
        for ch in line:
            data = _encode_char(ch, self.encoding)
            assert data is not None
            self._buf += data
        self._buf.append(LF)

    def text(self, text: str) -> EscPos:
        """Print `text`, wrapped to the line width, ending with a line feed."""
        for line in wrap(self.printable(text), self.line_columns):
            self._emit_line(line)
        return self

    def lines(self, texts: Iterable[str]) -> EscPos:
        for t in texts:
            self.text(t)
        return self

    def blank(self, n: int = 1) -> EscPos:
        self._buf += bytes((LF,)) * n
        return self

    def rule(self, char: str = "-") -> EscPos:
        unit = text_columns(char)
        self._emit_line(char * (self.line_columns // unit))
        return self

    def fits(self, text: str, *, width: int = 1) -> bool:
        """Would `text` fit on one line at width multiplier `width`?"""
        return text_columns(sanitize(text, self.encoding)[0]) <= self.columns // width

    def label_value(self, label: str, value: str, *, label_columns: int) -> EscPos:
        """`label` in a fixed column, `value` wrapped beside it with a hanging indent;
        on narrow paper, or when the label is wider than its column, the value goes on
        the lines below, indented by two columns."""
        label_p = self.printable(label)
        value_p = self.printable(value)
        lw = text_columns(label_p)
        room = self.line_columns - label_columns
        if lw > label_columns or room < 16:
            for line in wrap(label_p, self.line_columns):
                self._emit_line(line)
            for line in wrap(value_p, self.line_columns - 2):
                self._emit_line("  " + line)
            return self
        for i, line in enumerate(wrap(value_p, room)):
            head = label_p + " " * (label_columns - lw) if i == 0 else " " * label_columns
            self._emit_line(head + line)
        return self

    # -- graphics and paper --------------------------------------------------------------------
    def qr(self, data: str, *, module_size: int = 6, ec: str = "M") -> EscPos:
        return self.raw(qr(data, module_size=module_size, ec=ec))

    def code128(self, data: str, *, height: int = 80, module_width: int = 2, hri: Hri = Hri.BELOW) -> EscPos:
        return self.raw(code128(data, height=height, module_width=module_width, hri=hri))

    def feed(self, n: int) -> EscPos:
        return self.raw(feed_lines(n))

    def cut(self, *, full: bool = False, feed: int = 0) -> EscPos:
        return self.raw(cut(full=full, feed=feed))

    def build(self) -> PrintJob:
        return PrintJob(bytes(self._buf), tuple(self._replaced))
