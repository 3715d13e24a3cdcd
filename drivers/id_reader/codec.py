"""The SAM serial protocol of the second-generation ID card reader, as pure functions.

Bytes in, typed values out, and the reverse; no I/O, threads or clocks
(hardware-protocols.md §1, "业务终端接口" of GA/T 467-2019). Three layers:

* frames: `encode_request` / `encode_reply` and the stateful `ReplyFramer` /
  `RequestFramer`, which accept bytes in any chunking, resync on the preamble and
  drop frames whose length or XOR checksum is wrong (§1.2);
* statuses and payloads: `Status` (unknown codes become `UnknownStatus`), the
  text/photo/fingerprint payload of `30 01`/`30 10`, the SAM id of `12 FF` (§1.4, §1.7);
* card text: `decode_identity` turns the 256-byte UCS-2 block of any of the four
  card types into an `Identity`, and `encode_identity_text` is its inverse (used by
  the simulator and the round-trip property tests, §1.7, §1.8).

Nothing here logs, and no repr or exception message carries card data.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

from drivers.id_reader.identity import Identity, IdType

# -- frames (§1.2) ---------------------------------------------------------------------

# The first three bytes are for sync, `96 69` marks the frame start (§1.2).
PREAMBLE: Final = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN: Final = len(PREAMBLE) + 2  # preamble + Len1 Len2
# Len counts everything after the length field, CHK included (§1.2): a request is at
# least CMD PARA CHK, a reply at least SW1 SW2 SW3 CHK.
MIN_REQUEST_LEN: Final = 3
MIN_REPLY_LEN: Final = 4
# The longest reply in the reference is `30 10` with a 1024-byte fingerprint,
# Len 0x090A = 2314 (§1.4). A little headroom for vendor variants; a bigger Len is
# garbage, and refusing it early stops a false preamble from swallowing real frames.
MAX_FRAME_LEN: Final = 4096


def checksum(data: bytes | bytearray | memoryview) -> int:
    """XOR of every byte: the frame's CHK over Len1 .. last data byte (§1.2).

    Folds the bytes as one big integer (a few big-int operations instead of a Python
    loop per byte): the framer's throughput depends on it.
    """
    n = len(data)
    if n == 0:
        return 0
    value = int.from_bytes(data, "little")
    while n > 1:
        half = (n + 1) // 2
        value = (value & ((1 << (8 * half)) - 1)) ^ (value >> (8 * half))
        n = half
    return value


def encode_frame(payload: bytes) -> bytes:
    """Preamble, big-endian Len (payload + CHK), payload, CHK (§1.2)."""
    length = len(payload) + 1
    if length > 0xFFFF:
        raise ValueError("payload too long for one frame")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + payload + bytes((checksum(head + payload),))


# -- commands (§1.3) -------------------------------------------------------------------


class Command(enum.Enum):
    """CMD and Para of each host request (hardware-protocols.md §1.3)."""

    RESET_SAM = (0x10, 0xFF)  # 复位SAM
    SAM_STATUS = (0x11, 0xFF)  # SAM 状态检测
    READ_SAM_ID = (0x12, 0xFF)  # 读SAM管理信息 (16 bytes, §1.7)
    FIND_CARD = (0x20, 0x01)  # 寻找证/卡
    SELECT_CARD = (0x20, 0x02)  # 选取证/卡
    READ_TEXT_PHOTO = (0x30, 0x01)  # 读固定信息: text + photo
    READ_APPENDED_ADDRESS = (0x30, 0x03)  # 读追加住址 / 最新追加信息
    READ_CHIP_SERIAL = (0x30, 0x05)  # 管理号; reply layout unknown (§1.3 [S/U])
    READ_TEXT_PHOTO_FINGERPRINT = (0x30, 0x10)  # text + photo + fingerprint
    SET_BAUD_115200 = (0x60, 0x00)  # §1.3 [S]; the rate of the reply is unknown [U]
    SET_BAUD_57600 = (0x60, 0x01)
    SET_BAUD_38400 = (0x60, 0x02)
    SET_BAUD_19200 = (0x60, 0x03)
    SET_BAUD_9600 = (0x60, 0x04)
    SET_MAX_RF_BYTES = (0x61, 0xFF)  # + 1 data byte; hev sends 0x50 before reading

    @property
    def cmd(self) -> int:
        return self.value[0]

    @property
    def para(self) -> int:
        return self.value[1]

    @classmethod
    def lookup(cls, cmd: int, para: int) -> Command | None:
        return _COMMANDS.get((cmd, para))


_COMMANDS: Mapping[tuple[int, int], Command] = MappingProxyType({c.value: c for c in Command})

BAUD_COMMANDS: Mapping[int, Command] = MappingProxyType({
    115200: Command.SET_BAUD_115200,
    57600: Command.SET_BAUD_57600,
    38400: Command.SET_BAUD_38400,
    19200: Command.SET_BAUD_19200,
    9600: Command.SET_BAUD_9600,
})


def encode_request(command: Command, data: bytes = b"") -> bytes:
    """`AA AA AA 96 69 | Len | CMD | Para | Data | CHK`, e.g. find card is
    `AA AA AA 96 69 00 03 20 01 22` (§1.3)."""
    return encode_frame(bytes(command.value) + data)


def encode_raw_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A request for any CMD/Para, known or not (for tests of the reader's `21` reply)."""
    return encode_frame(bytes((cmd & 0xFF, para & 0xFF)) + data)


def encode_set_max_rf_bytes(count: int = 0x50) -> bytes:
    """`61 FF` + one byte: `AA AA AA 96 69 00 04 61 FF 50 CA` for 80 bytes (§1.3)."""
    return encode_request(Command.SET_MAX_RF_BYTES, bytes((count & 0xFF,)))


# -- statuses (§1.5) -------------------------------------------------------------------


class Status(enum.Enum):
    """SW3, the SAM's own status (hardware-protocols.md §1.5)."""

    SUCCESS = 0x90  # 操作成功
    NO_CONTENT = 0x91  # 证/卡中此项无内容 (no appended address, no fingerprint)
    CARD_FOUND = 0x9F  # 寻找证/卡成功
    HOST_CHECKSUM_ERROR = 0x10  # 接收业务终端数据的校验和错
    HOST_LENGTH_ERROR = 0x11  # 接收业务终端数据的长度错
    BAD_COMMAND = 0x21  # 接收业务终端的命令错误
    UNAUTHORISED = 0x23  # 越权操作
    UNKNOWN_ERROR = 0x24  # 无法识别的错误
    CARD_AUTH_SAM_FAILED = 0x31  # 证/卡认证SAM失败
    SAM_AUTH_CARD_FAILED = 0x32  # SAM认证证/卡失败
    VERIFY_FAILED = 0x33  # 信息验证错误
    UNKNOWN_CARD_TYPE = 0x40  # 无法识别的证/卡类型
    READ_FAILED = 0x41  # 读证/卡操作失败 (typically the card moved away mid-read)
    CHALLENGE_FAILED = 0x47  # 取随机数失败
    SAM_SELF_TEST_FAILED = 0x60  # SAM自检失败，不能接收命令
    SAM_NOT_AUTHORISED = 0x66  # SAM未经授权，无法使用
    FIND_FAILED = 0x80  # 寻找证/卡失败 (no card in the field)
    SELECT_FAILED = 0x81  # 选取证/卡失败

    @property
    def is_sam_fault(self) -> bool:
        """The module itself cannot work: no card will read until it is fixed."""
        return self in (Status.SAM_SELF_TEST_FAILED, Status.SAM_NOT_AUTHORISED)

    @property
    def is_host_frame_error(self) -> bool:
        """The reader got our request garbled (§1.5 10/11): sending it again may work."""
        return self in (Status.HOST_CHECKSUM_ERROR, Status.HOST_LENGTH_ERROR)


@dataclass(frozen=True)
class UnknownStatus:
    """An SW3 the reference does not list; kept as a value, never an exception."""

    code: int

    @property
    def is_sam_fault(self) -> bool:
        return False

    @property
    def is_host_frame_error(self) -> bool:
        return False


_STATUSES: Mapping[int, Status] = MappingProxyType({s.value: s for s in Status})


def status_of(code: int) -> Status | UnknownStatus:
    return _STATUSES.get(code) or UnknownStatus(code)


# -- replies and requests --------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One reader → host frame. `data` may hold card text: it is never in the repr."""

    sw1: int
    sw2: int
    status: Status | UnknownStatus
    data: bytes = field(default=b"", repr=False)

    @property
    def sw3(self) -> int:
        return self.status.value if isinstance(self.status, Status) else self.status.code

    @property
    def ok(self) -> bool:
        return self.status in (Status.SUCCESS, Status.CARD_FOUND)


@dataclass(frozen=True)
class Request:
    """One host → reader frame, as the simulator sees it."""

    cmd: int
    para: int
    data: bytes = field(default=b"", repr=False)

    @property
    def command(self) -> Command | None:
        return Command.lookup(self.cmd, self.para)


class FrameError(enum.Enum):
    """Why a frame that began with the preamble was dropped."""

    CHECKSUM = "checksum"
    LENGTH = "length"


def encode_reply(status: Status | UnknownStatus | int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    """`AA AA AA 96 69 | Len | SW1 SW2 SW3 | Data | CHK` (§1.2), e.g. no card is
    `AA AA AA 96 69 00 04 00 00 80 84` (§1.4)."""
    if isinstance(status, Status):
        code = status.value
    elif isinstance(status, UnknownStatus):
        code = status.code
    else:
        code = status
    return encode_frame(bytes((sw1 & 0xFF, sw2 & 0xFF, code & 0xFF)) + data)


def _partial_preamble(buf: bytearray) -> int:
    """How many trailing bytes of `buf` could be the start of a preamble."""
    for keep in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if buf.endswith(PREAMBLE[:keep]):
            return keep
    return 0


class _Deframer:
    """Preamble-synchronised frames of either direction (§1.2 "Receiving").

    Scans for `AA AA AA 96 69`, reads Len, waits for `Len` more bytes and checks CHK.
    A frame with a bad Len or CHK is dropped by skipping one byte and scanning again,
    so a real frame hiding after a false preamble is still found.
    """

    def __init__(self, min_len: int) -> None:
        self._min_len = min_len
        self._buf = bytearray()
        self.discarded = 0  # garbage bytes skipped between frames
        self.rejected = 0  # frames dropped for a bad length or checksum

    def reset(self) -> None:
        self._buf.clear()

    def bytes_wanted(self) -> int:
        """How many more bytes could complete the frame in progress (at least 1)."""
        buf = self._buf
        if len(buf) >= HEADER_LEN and buf.startswith(PREAMBLE):
            length = (buf[5] << 8) | buf[6]
            if self._min_len <= length <= MAX_FRAME_LEN:
                return max(1, HEADER_LEN + length - len(buf))
            return 1
        if buf.startswith(PREAMBLE[: len(buf)]):
            return HEADER_LEN - len(buf)
        return HEADER_LEN

    def _next_whole_frame(self, buf: bytearray) -> int:
        """Where a later preamble starts a complete frame with a good checksum, or -1."""
        at = buf.find(PREAMBLE, 1)
        while at >= 0 and at + HEADER_LEN <= len(buf):
            length = (buf[at + 5] << 8) | buf[at + 6]
            end = at + HEADER_LEN + length
            whole = self._min_len <= length <= MAX_FRAME_LEN and end <= len(buf)
            if whole and checksum(buf[at + len(PREAMBLE) : end - 1]) == buf[end - 1]:
                return at
            at = buf.find(PREAMBLE, at + 1)
        return -1

    def feed(self, data: bytes | bytearray) -> list[bytes | FrameError]:
        buf = self._buf
        buf += data
        out: list[bytes | FrameError] = []
        while True:
            start = buf.find(PREAMBLE)
            if start < 0:
                keep = _partial_preamble(buf)
                drop = len(buf) - keep
                if drop:
                    self.discarded += drop
                    del buf[:drop]
                return out
            if start:
                self.discarded += start
                del buf[:start]
            if len(buf) < HEADER_LEN:
                return out
            # Big-endian and unsigned: heavyii's signed `buf[5] << 8 | buf[6]` bug (§1.2).
            length = (buf[5] << 8) | buf[6]
            if not self._min_len <= length <= MAX_FRAME_LEN:
                self.rejected += 1
                out.append(FrameError.LENGTH)
                del buf[:1]
                continue
            end = HEADER_LEN + length
            if len(buf) < end:
                later = self._next_whole_frame(buf)
                if later < 0:
                    return out
                # A preamble inside a dropped frame's data looked like a frame start and
                # asked for more bytes than came; a whole, checksummed frame after it is
                # the reader's real reply, so the false start goes (found by hypothesis).
                # Counted, not answered: the frame around it was answered already.
                self.rejected += 1
                del buf[:later]
                continue
            body = bytes(buf[len(PREAMBLE) : end - 1])  # Len1 Len2 .. last data byte
            if checksum(body) != buf[end - 1]:
                self.rejected += 1
                out.append(FrameError.CHECKSUM)
                del buf[:1]
                continue
            del buf[:end]
            out.append(body[2:])


class ReplyFramer:
    """Reader → host bytes in any chunking → `Reply` values.

    Garbage is skipped; frames with a bad length or checksum are dropped and counted
    in `rejected` (the session compares it before and after a command).
    """

    def __init__(self) -> None:
        self._deframer = _Deframer(MIN_REPLY_LEN)

    @property
    def rejected(self) -> int:
        return self._deframer.rejected

    @property
    def discarded(self) -> int:
        return self._deframer.discarded

    def reset(self) -> None:
        """Forget a half-received frame (before sending a new command)."""
        self._deframer.reset()

    def bytes_wanted(self) -> int:
        return self._deframer.bytes_wanted()

    def feed(self, data: bytes | bytearray) -> list[Reply]:
        replies = []
        for item in self._deframer.feed(data):
            if isinstance(item, bytes):
                replies.append(Reply(item[0], item[1], status_of(item[2]), item[3:]))
        return replies


class RequestFramer:
    """Host → reader bytes → `Request`s, plus a `FrameError` for each frame the reader
    must answer with `10` (checksum) or `11` (length) (§1.5, §1.12)."""

    def __init__(self) -> None:
        self._deframer = _Deframer(MIN_REQUEST_LEN)

    def reset(self) -> None:
        self._deframer.reset()

    def feed(self, data: bytes | bytearray) -> list[Request | FrameError]:
        out: list[Request | FrameError] = []
        for item in self._deframer.feed(data):
            if isinstance(item, bytes):
                out.append(Request(item[0], item[1], item[2:]))
            else:
                out.append(item)
        return out


# -- payloads (§1.4, §1.7) -------------------------------------------------------------

TEXT_LEN: Final = 256
PHOTO_LEN: Final = 1024
APPENDED_ADDRESS_LEN: Final = 70  # 35 UCS-2 chars (§1.4, YinanSoft)
SAM_ID_LEN: Final = 16


class CardDataError(ValueError):
    """Card data that does not fit the layout. The message names the field, never its value."""

    def __init__(self, field_name: str) -> None:
        super().__init__(f"card data does not fit the layout: {field_name}")
        self.field_name = field_name


@dataclass(frozen=True)
class CardPayload:
    """The data of a `30 01` / `30 10` reply: big-endian lengths, then the blocks (§1.4)."""

    text: bytes = field(repr=False)
    photo: bytes = field(repr=False)  # 1024 bytes of vendor "WLT" data, opaque (§1.9)
    fingerprint: bytes | None = field(default=None, repr=False)  # None: not asked for (30 01)


def parse_card_payload(data: bytes, *, with_fingerprint: bool = False) -> CardPayload:
    """Split `30 01` (text, photo) or `30 10` (text, photo, fingerprint) data.

    Lengths are read, never assumed: the fingerprint may be 0 bytes (§1.4).
    """
    heads = 3 if with_fingerprint else 2
    if len(data) < 2 * heads:
        raise CardDataError("payload_lengths")
    lengths = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(heads)]
    if 2 * heads + sum(lengths) != len(data):
        raise CardDataError("payload_lengths")
    if lengths[0] != TEXT_LEN:
        raise CardDataError("text_length")
    pos = 2 * heads
    blocks = []
    for n in lengths:
        blocks.append(data[pos : pos + n])
        pos += n
    return CardPayload(blocks[0], blocks[1], blocks[2] if with_fingerprint else None)


def encode_card_payload(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """The inverse of `parse_card_payload` (lengths big-endian, §1.4)."""
    blocks = [text, photo] if fingerprint is None else [text, photo, fingerprint]
    return b"".join(len(b).to_bytes(2, "big") for b in blocks) + b"".join(blocks)


@dataclass(frozen=True)
class SamId:
    """The module's 16-byte management number from `12 FF` (§1.7), raw bytes kept.

    `str()` uses HslCommunication's layout `MM.mm-date-code1-code2` with 9-digit
    codes; vendors format it differently (§1.7), so `raw` is the source of truth.
    """

    raw: bytes

    @property
    def major(self) -> int:
        return int.from_bytes(self.raw[0:2], "little")

    @property
    def minor(self) -> int:
        return int.from_bytes(self.raw[2:4], "little")

    @property
    def date(self) -> int:
        return int.from_bytes(self.raw[4:8], "little")

    @property
    def code1(self) -> int:
        return int.from_bytes(self.raw[8:12], "little")

    @property
    def code2(self) -> int:
        return int.from_bytes(self.raw[12:16], "little")

    def __str__(self) -> str:
        return f"{self.major:02d}.{self.minor:02d}-{self.date}-{self.code1:09d}-{self.code2:09d}"


def parse_sam_id(data: bytes) -> SamId:
    if len(data) != SAM_ID_LEN:
        raise CardDataError("sam_id_length")
    return SamId(bytes(data))


def encode_sam_id(major: int, minor: int, date: int, code1: int, code2: int) -> bytes:
    return (
        major.to_bytes(2, "little") + minor.to_bytes(2, "little") + date.to_bytes(4, "little")
        + code1.to_bytes(4, "little") + code2.to_bytes(4, "little")
    )


# -- card text (§1.7, §1.8) ------------------------------------------------------------


class CardType(enum.Enum):
    """The card-type flag, one UCS-2 char at text byte 248 (§1.8)."""

    RESIDENT = " "  # 居民身份证 (blank flag)
    HMT_RESIDENCE = "J"  # 港澳台居民居住证
    FOREIGN_2017 = "I"  # 外国人永久居留身份证, 2017 edition
    FOREIGN_2023 = "Y"  # 外国人永久居留身份证, 2023 edition (from 2023-12-01)

    @property
    def has_appended_address(self) -> bool:
        """Only cards with an address can carry an appended one (`30 03`)."""
        return self in (CardType.RESIDENT, CardType.HMT_RESIDENCE)


_FLAG_OFFSET: Final = 248

# GB 3304 nation codes (§1.7; HslCommunication `GetNationText`). 德昂, not Heiher's 德昴.
NATIONS: Mapping[str, str] = MappingProxyType({
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝",
    "08": "壮", "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白",
    "15": "土家", "16": "哈尼", "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤",
    "22": "畲", "23": "高山", "24": "拉祜", "25": "水", "26": "东乡", "27": "纳西", "28": "景颇",
    "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬", "33": "羌", "34": "布朗",
    "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌", "40": "普米",
    "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春",
    "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他", "98": "外国血统中国籍人士",
})
NATION_CODES: Mapping[str, str] = MappingProxyType({name: code for code, name in NATIONS.items()})

# GB/T 2261.1 sex codes; '0' and '9' are in the standard, on cards they are [U] (§1.7).
_GENDERS: Mapping[str, str] = MappingProxyType({"1": "male", "2": "female", "0": "unknown", "9": "unspecified"})
_GENDER_CODES: Mapping[str, str] = MappingProxyType({v: k for k, v in _GENDERS.items()})

LONG_TERM: Final = "长期"  # valid-to of a card without an end date (§1.7)
_PAD: Final = " \x00"  # cards pad with `20 00`; NULs seen on blank reserved areas


def _chars(text: bytes, offset: int, size: int) -> str:
    """`size` bytes at `offset` as UCS-2 LE, padding kept (callers strip)."""
    return text[offset : offset + size].decode("utf-16-le", errors="replace")


def _field(text: bytes, offset: int, size: int) -> str | None:
    value = _chars(text, offset, size).strip(_PAD)
    return value or None


def card_type_of(text: bytes) -> CardType | None:
    """The card type from the flag at byte 248, None for a flag the reference lacks."""
    if len(text) != TEXT_LEN:
        raise CardDataError("text_length")
    flag = _chars(text, _FLAG_OFFSET, 2)
    if flag in (" ", "\x00"):
        return CardType.RESIDENT
    try:
        return CardType(flag)
    except ValueError:
        return None


def _date(value: str | None, name: str) -> dt.date:
    if value is None or len(value) != 8 or not (value.isascii() and value.isdigit()):
        raise CardDataError(name)
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise CardDataError(name) from None


def _optional_date(value: str | None, name: str) -> dt.date | None:
    return None if value is None else _date(value, name)


def _valid_until(value: str | None) -> dt.date | None:
    """"长期" → None. A blank end date is an error, not 长期: taking it for "no end"
    would let an unreadable expiry pass the expired-card check."""
    if value == LONG_TERM:
        return None
    return _date(value, "valid_until")


def _gender(value: str | None) -> str:
    if value is None or value not in _GENDERS:
        raise CardDataError("gender")
    return _GENDERS[value]


def _nation(value: str | None) -> str | None:
    """The nation's name; a code missing from the table stays as its digits."""
    if value is None:
        return None
    return NATIONS.get(value, value)


def _count(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise CardDataError(name)
    return int(value)


def decode_appended_address(data: bytes) -> str | None:
    """The 70-byte UCS-2 block of a `30 03` reply (§1.4); None when blank."""
    if len(data) < APPENDED_ADDRESS_LEN:
        raise CardDataError("appended_address_length")
    return _field(data, 0, APPENDED_ADDRESS_LEN)


def decode_identity(text: bytes, photo: bytes = b"", *, appended_address: str | None = None) -> Identity:
    """The 256-byte text block of any supported card type → `Identity` (§1.7, §1.8).

    Padding is stripped, blank fields are None, "长期" gives `valid_until=None`.
    Raises `CardDataError` (naming the field only) when the block does not fit.
    """
    kind = card_type_of(text)
    if kind is None:
        raise CardDataError("card_type")
    if kind is CardType.FOREIGN_2017:
        return _decode_foreign_2017(text, photo)
    if kind is CardType.FOREIGN_2023:
        return _decode_foreign_2023(text, photo)
    name = _field(text, 0, 30)
    id_number = _field(text, 122, 36)
    if name is None:
        raise CardDataError("name")
    if id_number is None:
        raise CardDataError("id_number")
    identity = Identity(
        id_type=IdType.RESIDENT,
        name=name,
        gender=_gender(_field(text, 30, 2)),
        nation=_nation(_field(text, 32, 4)),
        birth_date=_date(_field(text, 36, 16), "birth_date"),
        address=_field(text, 52, 70),
        id_number=id_number,
        issuer=_field(text, 158, 30),
        valid_from=_optional_date(_field(text, 188, 16), "valid_from"),
        valid_until=_valid_until(_field(text, 204, 16)),
        photo_wlt=bytes(photo),
        appended_address=appended_address,
    )
    if kind is CardType.HMT_RESIDENCE:
        # 'J': the resident layout up to byte 219, then 通行证号码 and 签发次数 (§1.8).
        return replace(
            identity,
            id_type=IdType.HMT_RESIDENCE,
            permit_number=_field(text, 220, 18),
            issue_count=_count(_field(text, 238, 4), "issue_count"),
        )
    return identity


def _decode_foreign_2017(text: bytes, photo: bytes) -> Identity:
    """'I' layout (§1.8): English name first, the Chinese name at 158 may be blank."""
    english = _field(text, 0, 120)
    chinese = _field(text, 158, 30)
    number = _field(text, 122, 30)
    name = chinese or english
    if name is None:
        raise CardDataError("name")
    if number is None:
        raise CardDataError("id_number")
    return Identity(
        id_type=IdType.FOREIGN_PERMANENT,
        name=name,
        gender=_gender(_field(text, 120, 2)),
        birth_date=_date(_field(text, 220, 16), "birth_date"),
        id_number=number,
        valid_from=_optional_date(_field(text, 188, 16), "valid_from"),
        valid_until=_valid_until(_field(text, 204, 16)),
        issuer=_field(text, 240, 8),  # 受理机关代码, 4 chars
        photo_wlt=bytes(photo),
        english_name=english,
        nationality=_field(text, 152, 6),
        card_version="2017",
    )


def _decode_foreign_2023(text: bytes, photo: bytes) -> Identity:
    """'Y' layout (§1.8): the English name is split, chars 1-35 at 52 and 36-46 at 220."""
    chinese = _field(text, 0, 30)
    english = (_chars(text, 52, 70) + _chars(text, 220, 22)).strip(_PAD) or None
    number = _field(text, 122, 36)
    name = chinese or english
    if name is None:
        raise CardDataError("name")
    if number is None:
        raise CardDataError("id_number")
    return Identity(
        id_type=IdType.FOREIGN_PERMANENT,
        name=name,
        gender=_gender(_field(text, 30, 2)),
        birth_date=_date(_field(text, 36, 16), "birth_date"),
        id_number=number,
        valid_from=_optional_date(_field(text, 188, 16), "valid_from"),
        valid_until=_valid_until(_field(text, 204, 16)),
        photo_wlt=bytes(photo),
        issue_count=_count(_field(text, 32, 4), "renewal_count"),  # 换证次数
        english_name=english,
        nationality=_field(text, 242, 6),
        card_version="2023",
    )


# -- the encoder: the decoder's inverse (simulator, property tests) --------------------


def _put(block: bytearray, offset: int, size: int, value: str | None, name: str) -> None:
    raw = (value or "").encode("utf-16-le")
    if len(raw) > size:
        raise ValueError(f"{name} does not fit in {size // 2} characters")
    block[offset : offset + size] = raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)


def _ymd(value: dt.date | None) -> str | None:
    return None if value is None else f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _two(value: int | None) -> str | None:
    return None if value is None else f"{value:02d}"


def foreign_edition(identity: Identity) -> CardType:
    """Which foreign card layout an `Identity` belongs to: the 2023 card has an
    18-digit number starting with 9 (§1.8); `card_version` decides when set."""
    if identity.card_version == "2023":
        return CardType.FOREIGN_2023
    if identity.card_version == "2017":
        return CardType.FOREIGN_2017
    number = identity.id_number
    return CardType.FOREIGN_2023 if len(number) == 18 and number.startswith("9") else CardType.FOREIGN_2017


def encode_identity_text(identity: Identity) -> bytes:
    """`Identity` → the 256-byte text block its card would hold (§1.7, §1.8)."""
    block = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    gender = _GENDER_CODES.get(identity.gender)
    if gender is None:
        raise ValueError("gender must be male, female, unknown or unspecified")
    valid_until = _ymd(identity.valid_until) or LONG_TERM
    if identity.id_type is IdType.FOREIGN_PERMANENT:
        kind = foreign_edition(identity)
        if kind is CardType.FOREIGN_2017:
            english = identity.english_name
            chinese = None if identity.name == english else identity.name
            _put(block, 0, 120, english, "english_name")
            _put(block, 120, 2, gender, "gender")
            _put(block, 122, 30, identity.id_number, "id_number")
            _put(block, 152, 6, identity.nationality, "nationality")
            _put(block, 158, 30, chinese, "name")
            _put(block, 188, 16, _ymd(identity.valid_from), "valid_from")
            _put(block, 204, 16, valid_until, "valid_until")
            _put(block, 220, 16, _ymd(identity.birth_date), "birth_date")
            _put(block, 236, 4, "01", "card_version")  # the card's own field; not decoded
            _put(block, 240, 8, identity.issuer, "issuer")
        else:
            if len(identity.english_name or "") > 46:
                raise ValueError("english_name does not fit in 46 characters")
            english = (identity.english_name or "").ljust(46)
            chinese = None if identity.name == identity.english_name else identity.name
            _put(block, 0, 30, chinese, "name")
            _put(block, 30, 2, gender, "gender")
            _put(block, 32, 4, _two(identity.issue_count), "renewal_count")
            _put(block, 36, 16, _ymd(identity.birth_date), "birth_date")
            _put(block, 52, 70, english[:35], "english_name")
            _put(block, 122, 36, identity.id_number, "id_number")
            _put(block, 188, 16, _ymd(identity.valid_from), "valid_from")
            _put(block, 204, 16, valid_until, "valid_until")
            _put(block, 220, 22, english[35:], "english_name")
            _put(block, 242, 6, identity.nationality, "nationality")
        _put(block, _FLAG_OFFSET, 2, kind.value, "card_type")
        return bytes(block)
    nation = identity.nation
    code = None if nation is None else NATION_CODES.get(nation, nation)
    _put(block, 0, 30, identity.name, "name")
    _put(block, 30, 2, gender, "gender")
    _put(block, 32, 4, code, "nation")
    _put(block, 36, 16, _ymd(identity.birth_date), "birth_date")
    _put(block, 52, 70, identity.address, "address")
    _put(block, 122, 36, identity.id_number, "id_number")
    _put(block, 158, 30, identity.issuer, "issuer")
    _put(block, 188, 16, _ymd(identity.valid_from), "valid_from")
    _put(block, 204, 16, valid_until, "valid_until")
    if identity.id_type is IdType.HMT_RESIDENCE:
        _put(block, 220, 18, identity.permit_number, "permit_number")
        _put(block, 238, 4, _two(identity.issue_count), "issue_count")
        _put(block, _FLAG_OFFSET, 2, CardType.HMT_RESIDENCE.value, "card_type")
    return bytes(block)


def encode_appended_address(address: str) -> bytes:
    """The 70-byte block of a `30 03` reply (§1.4)."""
    block = bytearray(APPENDED_ADDRESS_LEN)
    _put(block, 0, APPENDED_ADDRESS_LEN, address, "appended_address")
    return bytes(block)


def text_digest(text: bytes) -> bytes:
    """A digest telling one card's text from another's without keeping the text."""
    return hashlib.blake2b(text, digest_size=16).digest()
