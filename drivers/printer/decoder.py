"""An independent ESC/POS parser: bytes (in any chunking) → typed commands.

The test peer of codec.py (ref §2.7 recommendation): it is written from the command
grammar in hardware-protocols.md §2, not from our builder, and deliberately imports
nothing from codec.py, so a builder bug shows up as a parse or render difference. The
simulator uses it to act on what it receives; render.py draws the paper from it.

Text is decoded as the printer would: in Chinese mode (FS &) bytes ≥ 0x81 start a GB
double-byte code, or a GB18030 4-byte code when the second byte is 0x30–0x39 (ref
§2.2). A printer set to GBK prints a 4-byte code as two garbage double-byte codes,
which is what we show too (the "¥ printed as 0 6" failure, ref §2.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Command:
    raw: bytes = field(default=b"", kw_only=True, repr=False, compare=False)


@dataclass(frozen=True)
class Text(Command):
    text: str


@dataclass(frozen=True)
class LineFeed(Command):
    pass


@dataclass(frozen=True)
class Initialize(Command):
    pass


@dataclass(frozen=True)
class ChineseMode(Command):
    on: bool


@dataclass(frozen=True)
class PrintMode(Command):
    """ESC ! n (ANK only on many models)."""

    n: int


@dataclass(frozen=True)
class CharSize(Command):
    width: int
    height: int


@dataclass(frozen=True)
class Emphasis(Command):
    on: bool


@dataclass(frozen=True)
class Underline(Command):
    dots: int


@dataclass(frozen=True)
class Justify(Command):
    n: int  # 0 left, 1 centre, 2 right


@dataclass(frozen=True)
class FeedLines(Command):
    n: int


@dataclass(frozen=True)
class FeedDots(Command):
    n: int


@dataclass(frozen=True)
class LineSpacing(Command):
    dots: int | None  # None: the default (ESC 2)


@dataclass(frozen=True)
class Cut(Command):
    partial: bool
    feed_to_cutter: bool
    feed: int = 0


@dataclass(frozen=True)
class QrModel(Command):
    model: int


@dataclass(frozen=True)
class QrModuleSize(Command):
    dots: int


@dataclass(frozen=True)
class QrErrorCorrection(Command):
    level: str  # L M Q H


@dataclass(frozen=True)
class QrStore(Command):
    data: bytes
    declared_length: int  # pL + pH·256 as sent, to check against len(data) + 3


@dataclass(frozen=True)
class QrPrint(Command):
    pass


@dataclass(frozen=True)
class Code2D(Command):
    """Another GS ( k function (PDF417, QR size info …), kept whole."""

    cn: int
    fn: int
    payload: bytes


@dataclass(frozen=True)
class BarcodeHeight(Command):
    dots: int


@dataclass(frozen=True)
class BarcodeWidth(Command):
    module: int


@dataclass(frozen=True)
class HriPosition(Command):
    n: int


@dataclass(frozen=True)
class HriFont(Command):
    n: int


@dataclass(frozen=True)
class Barcode(Command):
    system: int  # 0..6 function A, 65..78 function B (73 = CODE128)
    data: bytes


@dataclass(frozen=True)
class RealTimeStatusRequest(Command):
    n: int


@dataclass(frozen=True)
class RealTimeRecover(Command):
    n: int


@dataclass(frozen=True)
class AutoStatusBackEnable(Command):
    mask: int


@dataclass(frozen=True)
class SequentialStatusRequest(Command):
    n: int


@dataclass(frozen=True)
class RasterImage(Command):
    mode: int
    width_bytes: int
    height: int
    data: bytes


@dataclass(frozen=True)
class Unknown(Command):
    """A command we do not model; `raw` holds its bytes so nothing is lost."""


class _NeedMore(Exception):
    pass


# Fixed parameter counts of the ESC, GS and FS commands we skip or act on (ref §2.1-2.5).
_ESC_PARAMS = {
    0x20: 1, 0x21: 1, 0x24: 2, 0x25: 1, 0x2D: 1, 0x32: 0, 0x33: 1, 0x3D: 1, 0x3F: 1,
    0x40: 0, 0x45: 1, 0x47: 1, 0x4A: 1, 0x4C: 0, 0x4D: 1, 0x52: 1, 0x53: 0, 0x54: 1,
    0x55: 1, 0x56: 1, 0x5C: 2, 0x61: 1, 0x64: 1, 0x65: 1, 0x69: 0, 0x6D: 0, 0x70: 3,
    0x72: 1, 0x74: 1, 0x7B: 1,
}
_GS_PARAMS = {
    0x21: 1, 0x24: 2, 0x2F: 1, 0x3A: 0, 0x42: 1, 0x45: 1, 0x48: 1, 0x49: 1, 0x4C: 2,
    0x50: 2, 0x57: 2, 0x5C: 2, 0x5E: 3, 0x61: 1, 0x62: 1, 0x66: 1, 0x68: 1, 0x72: 1,
    0x77: 1,
}
_FS_PARAMS = {0x21: 1, 0x26: 0, 0x2D: 1, 0x2E: 0, 0x43: 1, 0x53: 2, 0x57: 1}
_QR_EC_LEVELS = {48: "L", 49: "M", 50: "Q", 51: "H"}


class EscPosParser:
    """Incremental parser. `feed(data)` returns the commands completed by `data`; a
    command or a multi-byte character split across chunks waits for the rest."""

    def __init__(self, encoding: str = "gbk") -> None:
        if encoding not in ("gbk", "gb18030"):
            raise ValueError("encoding must be gbk or gb18030")
        self.encoding = encoding
        self.chinese = True  # Chinese firmwares power on in Chinese mode (ref §2.2)
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Command]:
        self._buf += data
        out: list[Command] = []
        pos = 0
        buf = self._buf
        while pos < len(buf):
            try:
                cmd, end = self._one(buf, pos)
            except _NeedMore:
                break
            out.append(cmd)
            pos = end
        del self._buf[:pos]
        return out

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a command."""
        return len(self._buf)

    # -- one command at buf[pos] ----------------------------------------------------------
    def _one(self, buf: bytearray, pos: int) -> tuple[Command, int]:
        b = buf[pos]
        if b == 0x0A:
            return LineFeed(raw=b"\n"), pos + 1
        if b == 0x1B:
            return self._esc(buf, pos)
        if b == 0x1D:
            return self._gs(buf, pos)
        if b == 0x1C:
            return self._fs(buf, pos)
        if b == 0x10:
            return self._dle(buf, pos)
        if b < 0x20 and b != 0x09:
            return Unknown(raw=bytes((b,))), pos + 1  # CR, FF, NUL …: no visible effect here
        return self._text(buf, pos)

    def _need(self, buf: bytearray, end: int) -> None:
        if len(buf) < end:
            raise _NeedMore

    def _text(self, buf: bytearray, pos: int) -> tuple[Command, int]:
        chars: list[str] = []
        i = pos
        n = len(buf)
        while i < n:
            b = buf[i]
            if b < 0x20 and b != 0x09:
                break
            if b == 0x09:
                chars.append(" ")
                i += 1
            elif b < 0x80 or not self.chinese:
                chars.append(bytes((b,)).decode("cp437") if b >= 0x80 else chr(b))
                i += 1
            elif b == 0x80 or b == 0xFF:
                chars.append("\ufffd")
                i += 1
            else:
                if i + 1 >= n:
                    break
                if 0x30 <= buf[i + 1] <= 0x39:  # GB18030 4-byte code
                    if i + 3 >= n:
                        break
                    code = bytes(buf[i:i + 4])
                    if self.encoding == "gb18030":
                        chars.append(code.decode("gb18030", errors="replace"))
                    else:  # a GBK printer reads it as two double-byte codes: garbage
                        chars.append(code[:2].decode("gbk", errors="replace"))
                        chars.append(code[2:].decode("gbk", errors="replace"))
                    i += 4
                else:
                    chars.append(bytes(buf[i:i + 2]).decode(self.encoding, errors="replace"))
                    i += 2
        if i == pos:
            raise _NeedMore
        return Text("".join(chars), raw=bytes(buf[pos:i])), i

    def _esc(self, buf: bytearray, pos: int) -> tuple[Command, int]:
        self._need(buf, pos + 2)
        c = buf[pos + 1]
        if c == 0x2A:  # ESC * m nL nH d…: bit image
            self._need(buf, pos + 5)
            m, k = buf[pos + 2], buf[pos + 3] | (buf[pos + 4] << 8)
            end = pos + 5 + (k * 3 if m in (32, 33) else k)
            self._need(buf, end)
            return Unknown(raw=bytes(buf[pos:end])), end
        if c == 0x44:  # ESC D n1 … NUL: tab stops
            try:
                end = buf.index(0, pos + 2) + 1
            except ValueError:
                raise _NeedMore from None
            return Unknown(raw=bytes(buf[pos:end])), end
        if c == 0x63:  # ESC c 3/4/5 n
            self._need(buf, pos + 4)
            return Unknown(raw=bytes(buf[pos:pos + 4])), pos + 4
        count = _ESC_PARAMS.get(c)
        if count is None:
            return Unknown(raw=bytes(buf[pos:pos + 2])), pos + 2
        end = pos + 2 + count
        self._need(buf, end)
        raw = bytes(buf[pos:end])
        p = raw[2:]
        if c == 0x40:
            self.chinese = True  # ESC @ returns to power-on defaults (Chinese mode)
            return Initialize(raw=raw), end
        if c == 0x21:
            return PrintMode(p[0], raw=raw), end
        if c == 0x45:
            return Emphasis(bool(p[0] & 1), raw=raw), end
        if c == 0x2D:
            return Underline(p[0] % 48 if p[0] >= 48 else p[0], raw=raw), end
        if c == 0x61:
            return Justify(p[0] % 48 if p[0] >= 48 else p[0], raw=raw), end
        if c == 0x64:
            return FeedLines(p[0], raw=raw), end
        if c == 0x4A:
            return FeedDots(p[0], raw=raw), end
        if c == 0x32:
            return LineSpacing(None, raw=raw), end
        if c == 0x33:
            return LineSpacing(p[0], raw=raw), end
        return Unknown(raw=raw), end

    def _gs(self, buf: bytearray, pos: int) -> tuple[Command, int]:
        self._need(buf, pos + 2)
        c = buf[pos + 1]
        if c == 0x28:  # GS ( X pL pH …
            self._need(buf, pos + 5)
            fn_class = buf[pos + 2]
            length = buf[pos + 3] | (buf[pos + 4] << 8)
            end = pos + 5 + length
            self._need(buf, end)
            raw = bytes(buf[pos:end])
            if fn_class == 0x6B and length >= 2:
                return self._code2d(raw, length), end
            return Unknown(raw=raw), end
        if c == 0x6B:  # GS k
            self._need(buf, pos + 3)
            m = buf[pos + 2]
            if m <= 6:  # function A: NUL-terminated
                try:
                    nul = buf.index(0, pos + 3)
                except ValueError:
                    raise _NeedMore from None
                raw = bytes(buf[pos:nul + 1])
                return Barcode(m, raw[3:-1], raw=raw), nul + 1
            self._need(buf, pos + 4)
            end = pos + 4 + buf[pos + 3]
            self._need(buf, end)
            raw = bytes(buf[pos:end])
            return Barcode(m, raw[4:], raw=raw), end
        if c == 0x56:  # GS V m [n]
            self._need(buf, pos + 3)
            m = buf[pos + 2]
            if m in (65, 66, 97, 98, 103, 104):
                self._need(buf, pos + 4)
                raw = bytes(buf[pos:pos + 4])
                return Cut(partial=m in (66, 98, 104), feed_to_cutter=True, feed=raw[3], raw=raw), pos + 4
            raw = bytes(buf[pos:pos + 3])
            return Cut(partial=m in (1, 49), feed_to_cutter=False, raw=raw), pos + 3
        if c == 0x76:  # GS v 0 m xL xH yL yH d…: raster image
            self._need(buf, pos + 8)
            xb = buf[pos + 4] | (buf[pos + 5] << 8)
            yd = buf[pos + 6] | (buf[pos + 7] << 8)
            end = pos + 8 + xb * yd
            self._need(buf, end)
            raw = bytes(buf[pos:end])
            return RasterImage(raw[3], xb, yd, raw[8:], raw=raw), end
        if c == 0x2A:  # GS * x y d…: downloaded image
            self._need(buf, pos + 4)
            end = pos + 4 + buf[pos + 2] * buf[pos + 3] * 8
            self._need(buf, end)
            return Unknown(raw=bytes(buf[pos:end])), end
        count = _GS_PARAMS.get(c)
        if count is None:
            return Unknown(raw=bytes(buf[pos:pos + 2])), pos + 2
        end = pos + 2 + count
        self._need(buf, end)
        raw = bytes(buf[pos:end])
        p = raw[2:]
        if c == 0x21:
            return CharSize((p[0] >> 4) + 1, (p[0] & 0x0F) + 1, raw=raw), end
        if c == 0x68:
            return BarcodeHeight(p[0], raw=raw), end
        if c == 0x77:
            return BarcodeWidth(p[0], raw=raw), end
        if c == 0x48:
            return HriPosition(p[0] % 48 if p[0] >= 48 else p[0], raw=raw), end
        if c == 0x66:
            return HriFont(p[0], raw=raw), end
        if c == 0x61:
            return AutoStatusBackEnable(p[0], raw=raw), end
        if c == 0x72:
            return SequentialStatusRequest(p[0] % 48 if p[0] >= 48 else p[0], raw=raw), end
        return Unknown(raw=raw), end

    def _code2d(self, raw: bytes, length: int) -> Command:
        cn, fn, payload = raw[5], raw[6], raw[7:]
        if cn == 0x31:  # QR (ref §2.3)
            if fn == 0x41 and len(payload) >= 1:
                return QrModel(payload[0] - 48, raw=raw)
            if fn == 0x43 and len(payload) >= 1:
                return QrModuleSize(payload[0], raw=raw)
            if fn == 0x45 and len(payload) >= 1:
                return QrErrorCorrection(_QR_EC_LEVELS.get(payload[0], "?"), raw=raw)
            if fn == 0x50 and len(payload) >= 1:
                return QrStore(bytes(payload[1:]), length, raw=raw)
            if fn == 0x51:
                return QrPrint(raw=raw)
        return Code2D(cn, fn, bytes(payload), raw=raw)

    def _fs(self, buf: bytearray, pos: int) -> tuple[Command, int]:
        self._need(buf, pos + 2)
        c = buf[pos + 1]
        if c == 0x32:  # FS 2 c1 c2 d1…d72: user-defined Hanzi
            end = pos + 4 + 72
            self._need(buf, end)
            return Unknown(raw=bytes(buf[pos:end])), end
        if c == 0x28:  # FS ( X pL pH …
            self._need(buf, pos + 5)
            end = pos + 5 + (buf[pos + 3] | (buf[pos + 4] << 8))
            self._need(buf, end)
            return Unknown(raw=bytes(buf[pos:end])), end
        count = _FS_PARAMS.get(c)
        if count is None:
            return Unknown(raw=bytes(buf[pos:pos + 2])), pos + 2
        end = pos + 2 + count
        self._need(buf, end)
        raw = bytes(buf[pos:end])
        if c == 0x26:
            self.chinese = True
            return ChineseMode(True, raw=raw), end
        if c == 0x2E:
            self.chinese = False
            return ChineseMode(False, raw=raw), end
        return Unknown(raw=raw), end

    def _dle(self, buf: bytearray, pos: int) -> tuple[Command, int]:
        self._need(buf, pos + 2)
        c = buf[pos + 1]
        if c in (0x04, 0x05):
            self._need(buf, pos + 3)
            raw = bytes(buf[pos:pos + 3])
            if c == 0x04:
                return RealTimeStatusRequest(raw[2], raw=raw), pos + 3
            return RealTimeRecover(raw[2], raw=raw), pos + 3
        if c == 0x14:  # DLE DC4 fn m t
            self._need(buf, pos + 5)
            return Unknown(raw=bytes(buf[pos:pos + 5])), pos + 5
        return Unknown(raw=bytes(buf[pos:pos + 2])), pos + 2


def decode_text(data: bytes, encoding: str = "gbk") -> str:
    """The printed text of a job: text runs joined, a newline per line feed (tests and
    the round-trip property use it)."""
    out: list[str] = []
    for cmd in EscPosParser(encoding).feed(data):
        if isinstance(cmd, Text):
            out.append(cmd.text)
        elif isinstance(cmd, LineFeed):
            out.append("\n")
    return "".join(out)
