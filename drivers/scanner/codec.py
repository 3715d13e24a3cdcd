"""Scanner framing: bytes in any chunking → `Scan` or `Rejected`, with no I/O and no clock.

A serial scanner sends `[prefix][AIM ID][data][suffix]` with no checksum; the suffix is
configurable on the scanner, usually CR, CR LF or none (hardware-protocols.md §3.1).
`ScanFramer` ends a scan at:

- `LINE` (default): any CR or LF, so CR, LF and CR LF scanners all work unconfigured
  (the empty frame between CR and LF is skipped);
- an explicit suffix (`b"\\r\\n"`, `b"\\t"`, `b"\\x03"` …);
- `None`: only silence; the scanner sends no suffix at all.

Time enters only as numbers the session passes in: `feed(data, now)` notes when the
last byte came and `idle(now)` ends a scan that has been quiet for `idle_s`. Under
`LINE` or `None`, silence ends a scan (§3.1: "a line terminator plus an inter-byte idle
timeout ... so scanners configured without a suffix also work"). Under an explicit
suffix a silent partial scan is a `TRUNCATED` rejection: the site said its scanner
ends every scan with that suffix, so a scan without it was cut off.

Payload hygiene follows reliability.md §4.2: a length cap (raw bytes, so memory stays
bounded while a long scan streams in), C0/C1 controls and ANSI escape sequences
stripped (BadBarcode: Code 128 can carry control characters), Unicode format and bidi
characters stripped, invalid encodings rejected. Text is UTF-8, else GB18030 (a
superset of GBK: Chinese QR codes arrive in either, §3.1 "Chinese content").
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Final, Literal

LINE: Final = "line"
"""Suffix mode: any CR or LF ends a scan."""

Suffix = bytes | Literal["line"] | None

MAX_SCAN_BYTES: Final = 4096
"""QR version 40 holds at most 2953 bytes in byte mode (reliability.md §4.2), so a longer
frame is not a scan but a stuck stream or an attack."""

IDLE_S: Final = 0.1
"""Silence that ends a suffix-less scan; §3.1 suggests 50-100 ms [U: tune on hardware].
A scanner sends a frame back to back (about 1 ms a byte at 9600 baud)."""

# Every C0 control and DEL. Removed at the byte level, before decoding: no byte of a
# UTF-8 multi-byte sequence, nor of a GBK/GB18030 character, lies in 00-1F or 7F
# (GBK trail bytes are 40-FE without 7F; GB18030 4-byte forms use 30-39 and 81-FE),
# so stripping them cannot break a character, and noise between the bytes of one
# character is removed too.
_C0: Final = bytes(range(0x20)) + b"\x7f"
# ECMA-48 control sequences (ESC [ params intermediates final): stripped whole so that
# "\x1b[2J" leaves nothing behind rather than "[2J".
_CSI: Final = re.compile(rb"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]")
# AIM symbology identifier `]cm` (ISO/IEC 15424; hardware-protocols.md §3.1): `]`,
# a symbology letter, a modifier character.
_AIM: Final = re.compile(rb"\][A-Za-z][0-9A-Za-z]")
_LINE_END: Final = re.compile(rb"[\r\n]")
# Unicode categories removed from decoded text: controls (C1 after decoding), format
# characters (bidi overrides U+202A-E and U+2066-9, zero-width characters, the BOM)
# and line/paragraph separators (log injection) — reliability.md §4.2.
_STRIP_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp"})


class Family(enum.Enum):
    """Symbology families by their AIM letter (hardware-protocols.md §3.1)."""

    CODE_39 = "A"
    CODE_128 = "C"
    EAN_UPC = "E"
    CODABAR = "F"
    CODE_93 = "G"
    ITF = "I"
    PDF417 = "L"
    QR = "Q"
    DATA_MATRIX = "d"
    GS1_DATABAR = "e"
    AZTEC = "z"


_FAMILIES: Final = {f.value: f for f in Family}


@dataclass(frozen=True)
class Symbology:
    """An AIM identifier such as `]Q1`, parsed. Unknown letters keep their identifier
    and have no family; the table of modifiers is ISO/IEC 15424's, not ours to police."""

    identifier: str

    @property
    def family(self) -> Family | None:
        return _FAMILIES.get(self.identifier[1:2])

    @property
    def modifier(self) -> str:
        return self.identifier[2:3]

    def __str__(self) -> str:
        return self.identifier


class RejectReason(enum.Enum):
    OVERSIZE = "oversize"  # longer than the cap; discarded up to its end
    UNDECODABLE = "undecodable"  # neither UTF-8 nor GB18030 (wrong baud rate, line noise)
    EMPTY = "empty"  # nothing left after removing controls and the AIM identifier
    TRUNCATED = "truncated"  # went silent before the configured suffix
    FLOOD = "flood"  # more scans than a person makes; the newest was kept (device.py)


@dataclass(frozen=True)
class Scan:
    """What a scanner read: plain text, never markup, a path or a command. Not in repr:
    a QR code may hold personal data (STYLE.md 13)."""

    text: str = field(repr=False)
    symbology: Symbology | None = None

    def __repr__(self) -> str:
        return f"Scan(<{len(self.text)} chars>, symbology={self.symbology})"


@dataclass(frozen=True)
class Rejected:
    reason: RejectReason
    size: int  # raw bytes of the rejected frame, suffix excluded


FramerEvent = Scan | Rejected


def clean_text(raw: bytes, *, aim: bool = True, encoding: str | None = None) -> FramerEvent:
    """One frame's bytes (without its suffix) → `Scan`, or `Rejected` when nothing usable."""
    data = raw
    if b"\x1b" in data:
        data = _CSI.sub(b"", data)
    data = data.translate(None, _C0)
    symbology = None
    if aim and _AIM.match(data):
        symbology = Symbology(data[:3].decode("ascii"))
        data = data[3:]
    text = _decode(data, encoding)
    if text is None:
        return Rejected(RejectReason.UNDECODABLE, len(raw))
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) not in _STRIP_CATEGORIES)
    if not text:
        return Rejected(RejectReason.EMPTY, len(raw))
    return Scan(text, symbology)


def _decode(data: bytes, encoding: str | None) -> str | None:
    # UTF-8 first: it is self-checking, so GBK text rarely passes as UTF-8 by accident
    # (GB2312 lead bytes B0-F7 are continuation bytes or invalid leads in UTF-8), while
    # UTF-8 text almost never passes as GB18030 with the same meaning.
    for codec in (encoding,) if encoding else ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


class ScanFramer:
    """Stateful framer: `feed()` bytes as they arrive, `idle()` when time passes.

    Memory is bounded by `max_bytes` whatever arrives: an oversize frame is counted,
    not kept, and rejected once it ends.
    """

    def __init__(
        self,
        suffix: Suffix = LINE,
        *,
        aim: bool = True,
        prefix: bytes = b"",
        encoding: str | None = None,
        max_bytes: int = MAX_SCAN_BYTES,
        idle_s: float = IDLE_S,
    ) -> None:
        if suffix == b"":
            suffix = None
        self._suffix = suffix
        self._aim = aim
        self._prefix = prefix
        self._encoding = encoding
        self._max = max_bytes
        self._idle_s = idle_s
        # Bytes of a terminator that may be split across chunks: a match can start
        # this many bytes before the end of what we already hold.
        self._overlap = len(suffix) - 1 if isinstance(suffix, bytes) else 0
        self._buf = bytearray()
        self._over = 0  # bytes of the current frame already discarded as oversize
        self._last_at: float | None = None

    @property
    def pending(self) -> bool:
        """A frame has started and not ended."""
        return bool(self._buf) or self._over > 0

    def idle_deadline(self) -> float | None:
        """When `idle()` will end the pending frame, or None if nothing is pending."""
        if not self.pending or self._last_at is None:
            return None
        return self._last_at + self._idle_s

    def reset(self) -> None:
        """Forget a partial frame (the port was closed: its rest will never come)."""
        self._buf.clear()
        self._over = 0
        self._last_at = None

    def feed(self, data: bytes, now: float) -> list[FramerEvent]:
        if not data:
            return []
        self._last_at = now
        out: list[FramerEvent] = []
        buf = self._buf
        start = max(0, len(buf) - self._overlap)
        buf += data
        if self._suffix is not None:
            pos = 0
            while True:
                end, size = self._find(buf, start)
                if end < 0:
                    break
                self._end_frame(bytes(buf[pos:end]), out)
                pos = start = end + size
            if pos:
                del buf[:pos]
        limit = self._max + self._overlap
        if len(buf) > limit:
            # Keep only what could still be the start of the suffix; count the rest.
            cut = len(buf) - self._overlap
            self._over += cut
            del buf[:cut]
        return out

    def idle(self, now: float) -> list[FramerEvent]:
        """The line has been quiet since the last `feed`; end the frame if long enough."""
        deadline = self.idle_deadline()
        if deadline is None or now < deadline:
            return []
        frame = bytes(self._buf)
        self._buf.clear()
        out: list[FramerEvent] = []
        if isinstance(self._suffix, bytes) and not self._over:
            if frame.translate(None, _C0):  # control-only noise is not a cut-off scan
                out.append(Rejected(RejectReason.TRUNCATED, len(frame)))
        else:
            self._end_frame(frame, out)
        self._over = 0
        return out

    def _find(self, buf: bytearray, start: int) -> tuple[int, int]:
        if self._suffix == LINE:
            m = _LINE_END.search(buf, start)
            return (m.start(), 1) if m else (-1, 0)
        assert isinstance(self._suffix, bytes)
        return buf.find(self._suffix, start), len(self._suffix)

    def _end_frame(self, frame: bytes, out: list[FramerEvent]) -> None:
        size = self._over + len(frame)
        self._over = 0
        if size > self._max:
            out.append(Rejected(RejectReason.OVERSIZE, size))
            return
        if not frame:
            return  # between CR and LF, or a bare suffix: nothing was scanned
        if self._prefix and frame.startswith(self._prefix):
            frame = frame[len(self._prefix) :]
        out.append(clean_text(frame, aim=self._aim, encoding=self._encoding))
