"""A SAM ID-card module that speaks the real bytes, with knobs that make it fail.

`IdReaderSimulator` answers every command of hardware-protocols.md §1.3 the way the
emulator specification of §1.12 describes, with one deliberate refinement: a card stays
*active* after select until it leaves the field or the module is reset, as an
ISO 14443 card does. That is what both field reports in §1.6.5 describe: find-card
fails again for a card that was read and stays on the reader (node-idcard-reader), and
a read straight away still works (YinanSoft's workaround). `refind_after_read=True`
models the other kind of module, which lets an already-read card be found again.

Knobs (thread-safe, for tests, the dev panel and tours): `put_card` / `remove_card`,
`remove_mid_read`, `noise_before_reply`, `corrupt_checksum`, `slow_card`,
`unreadable_card`, `sam_fault`, and `unplug` / `plug` from `SimulatedDevice`.

`SAMPLE_CARDS` are fictional people on all four card types, with valid GB 11643 check
digits; they are encoded by `codec.encode_identity_text`, the decoder's inverse.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from drivers.id_reader import codec
from drivers.id_reader.codec import Command, FrameError, Request, Status
from drivers.id_reader.identity import Identity, IdType
from drivers.id_reader.idnumber import check_digit
from drivers.sim.base import SimulatedDevice

# -- sample cards ----------------------------------------------------------------------


def sample_photo(seed: str) -> bytes:
    """1024 opaque bytes standing in for a WLT photo (§1.9: tests use random bytes)."""
    return hashlib.shake_256(f"wlt:{seed}".encode()).digest(codec.PHOTO_LEN)


def _number(first17: str) -> str:
    return first17 + check_digit(first17)


def _samples() -> dict[str, Identity]:
    # Every person here is made up; region codes and dates make the numbers plausible.
    return {
        "resident": Identity(
            id_type=IdType.RESIDENT,
            name="王小明",
            gender="male",
            nation="汉",
            birth_date=dt.date(1990, 1, 31),
            address="海南省海口市美兰区示例路88号测试小区2栋301室",
            id_number=_number("46010819900131001"),
            issuer="海口市公安局美兰分局",
            valid_from=dt.date(2015, 3, 1),
            valid_until=dt.date(2035, 3, 1),
            photo_wlt=sample_photo("resident"),
        ),
        "resident_long_term": Identity(
            id_type=IdType.RESIDENT,
            name="李秀兰",
            gender="female",
            nation="回",
            birth_date=dt.date(1952, 8, 17),
            address="北京市西城区示例胡同12号",
            id_number=_number("11010219520817002"),
            issuer="北京市公安局西城分局",
            valid_from=dt.date(2012, 6, 5),
            valid_until=None,  # 长期: issued after the holder turned 46
            photo_wlt=sample_photo("resident_long_term"),
        ),
        "resident_expired": Identity(
            id_type=IdType.RESIDENT,
            name="赵建国",
            gender="male",
            nation="满",
            birth_date=dt.date(1985, 11, 2),
            address="浙江省杭州市西湖区示例街道100号",
            id_number=_number("33010619851102003"),
            issuer="杭州市公安局西湖分局",
            valid_from=dt.date(2005, 4, 10),
            valid_until=dt.date(2015, 4, 10),
            photo_wlt=sample_photo("resident_expired"),
        ),
        "resident_moved": Identity(
            id_type=IdType.RESIDENT,
            name="欧阳晓雯",
            gender="female",
            nation="土家",
            birth_date=dt.date(2001, 5, 20),
            address="湖南省长沙市岳麓区示例路1号",
            id_number=_number("43010420010520004"),
            issuer="长沙市公安局岳麓分局",
            valid_from=dt.date(2019, 7, 1),
            valid_until=dt.date(2029, 7, 1),
            photo_wlt=sample_photo("resident_moved"),
            appended_address="湖南省长沙市天心区示例大道66号3栋1单元502室",
        ),
        "hmt": Identity(
            id_type=IdType.HMT_RESIDENCE,
            name="陈嘉欣",
            gender="female",
            nation=None,  # blank on 'J' cards [U] (§1.8)
            birth_date=dt.date(1995, 7, 12),
            address="广东省深圳市福田区示例路1号",
            id_number=_number("81000019950712002"),
            issuer="深圳市公安局福田分局",
            valid_from=dt.date(2023, 9, 1),
            valid_until=dt.date(2028, 9, 1),
            photo_wlt=sample_photo("hmt"),
            permit_number="H60123456",
            issue_count=1,
        ),
        "foreign_2017": Identity(
            id_type=IdType.FOREIGN_PERMANENT,
            name="穆斯特",
            gender="female",
            birth_date=dt.date(1980, 3, 15),
            id_number="DEU110080031501",  # 3 letters + 12 digits (§1.8)
            valid_from=dt.date(2018, 6, 1),
            valid_until=dt.date(2028, 6, 1),
            issuer="1100",
            photo_wlt=sample_photo("foreign_2017"),
            english_name="MUSTERMANN, ERIKA",
            nationality="DEU",
            card_version="2017",
        ),
        "foreign_2023": Identity(
            id_type=IdType.FOREIGN_PERMANENT,
            name="约翰",
            gender="male",
            birth_date=dt.date(1978, 10, 5),
            id_number=_number("91112419781005001"),  # 18 digits, first digit 9 (§1.8)
            valid_from=dt.date(2024, 1, 15),
            valid_until=dt.date(2034, 1, 15),
            photo_wlt=sample_photo("foreign_2023"),
            issue_count=0,  # 换证次数
            english_name="DOE, JOHN EXAMPLE WITH A LONG GIVEN NAME",
            nationality="CAN",
            card_version="2023",
        ),
    }


SAMPLE_CARDS: Mapping[str, Identity] = MappingProxyType(_samples())
SAMPLE_NAMES: tuple[str, ...] = tuple(SAMPLE_CARDS)
# One sample per card type, for "read all four".
CARD_TYPE_SAMPLES: tuple[str, ...] = ("resident", "hmt", "foreign_2017", "foreign_2023")


def sample_card(name: str) -> Identity:
    try:
        return SAMPLE_CARDS[name]
    except KeyError:
        raise ValueError(f"no sample card {name!r}; choose from {', '.join(SAMPLE_NAMES)}") from None


# -- the simulator ---------------------------------------------------------------------

# Garbage for `noise_before_reply`: it holds pieces of a preamble (never a whole one),
# so a framer that matches byte by byte without rescanning goes wrong on it.
DEFAULT_NOISE: Final = b"\x00\xff\xaa\x96\x69\x13\xaa\xaa\x96\x37\xaa\xaa"
# SW1/SW2 pass the card's APDU status through for 41 (§1.5); any nonzero pair will do.
_SW_CARD_LEFT: Final = (0x6A, 0x82)
_SW_CARD_ERROR: Final = (0x69, 0x85)
DEFAULT_SAM_ID: Final = codec.encode_sam_id(5, 0, 20130628, 123456789, 987654321)
_READ_COMMANDS: Final = (Command.READ_TEXT_PHOTO, Command.READ_TEXT_PHOTO_FINGERPRINT)


@dataclass
class _Injection:
    """Replies still to be spoiled by a knob, optionally only for one command."""

    remaining: int = 0
    command: Command | None = None
    noise: bytes = field(default=b"", repr=False)

    def take(self, command: Command | None) -> bool:
        if self.remaining > 0 and (self.command is None or self.command is command):
            self.remaining -= 1
            return True
        return False


class IdReaderSimulator(SimulatedDevice):
    def __init__(
        self,
        card: Identity | str | None = None,
        *,
        refind_after_read: bool = False,
        sam_id: bytes = DEFAULT_SAM_ID,
    ) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._seen = threading.Condition(self._lock)
        self._framer = codec.RequestFramer()
        self._refind_after_read = refind_after_read
        self._sam_id = sam_id
        self._card: Identity | None = None
        self._text = b""
        self._present = False
        self._found = False
        self._active = False
        self._remove_mid_read = False
        self._unreadable = False
        self._slow_s = 0.0
        self._fault: Status | None = None
        self._fault_at: tuple[Command, Status | None] | None = None
        self._corrupt = _Injection()
        self._noise = _Injection()
        self._counts: collections.Counter[Command | None] = collections.Counter()
        self.replies_corrupted = 0
        self.replies_with_noise = 0
        if card is not None:
            self.put_card(card)

    def __repr__(self) -> str:
        return f"IdReaderSimulator(card_present={self._present}, plugged={self.plugged})"

    # -- knobs -------------------------------------------------------------------------
    def put_card(self, card: Identity | str) -> None:
        """Lay a card on the reader (a sample name or any `Identity`)."""
        identity = sample_card(card) if isinstance(card, str) else card
        text = codec.encode_identity_text(identity)  # fails here, not mid-protocol
        with self._lock:
            self._card = identity
            self._text = text
            self._present = True
            self._found = self._active = False

    def remove_card(self) -> None:
        with self._lock:
            self._present = False
            self._found = self._active = False

    @property
    def card_present(self) -> bool:
        with self._lock:
            return self._present

    def remove_mid_read(self) -> None:
        """The next text read fails with 41 because the card leaves the field (§1.5)."""
        with self._lock:
            self._remove_mid_read = True

    def unreadable_card(self, on: bool = True) -> None:
        """Every text read of the card fails with 41 while it stays on the reader."""
        with self._lock:
            self._unreadable = on

    def slow_card(self, delay_s: float) -> None:
        """Card reads (30 xx) answer after `delay_s`; 0 restores instant replies."""
        with self._lock:
            self._slow_s = max(0.0, delay_s)

    def sam_fault(self, status: Status | None = Status.SAM_SELF_TEST_FAILED, *, at: Command | None = None) -> None:
        """The module answers every command with `status` (60: self-test failed, 66: not
        authorised; §1.5) until called with None. With `at`, the fault starts when that
        command next arrives (a SAM that dies in the middle of a read)."""
        with self._lock:
            if at is None:
                self._fault = status
                self._fault_at = None
            else:
                self._fault_at = (at, status)

    def corrupt_checksum(self, replies: int = 1, *, command: Command | None = None) -> None:
        """Spoil the CHK byte of the next `replies` replies (to `command` only, if given)."""
        with self._lock:
            self._corrupt = _Injection(replies, command)

    def noise_before_reply(
        self, noise: bytes = DEFAULT_NOISE, replies: int = 1, *, command: Command | None = None
    ) -> None:
        """Send garbage before the next `replies` replies. The noise must not hold a whole
        preamble: that would be a frame, not noise."""
        if codec.PREAMBLE in noise:
            raise ValueError("noise must not contain the frame preamble")
        with self._lock:
            self._noise = _Injection(replies, command, noise)

    def plug(self) -> None:
        """Power returns with the USB cable: the card goes back to idle (§1.12 state reset)."""
        with self._lock:
            self._found = self._active = False
        self._framer.reset()
        super().plug()

    # -- observation -------------------------------------------------------------------
    def count(self, command: Command) -> int:
        """How many well-formed requests for `command` arrived."""
        with self._lock:
            return self._counts[command]

    def wait_for(self, command: Command, count: int = 1, timeout_s: float = 5.0) -> bool:
        """Block until `command` has arrived `count` times in all (for tests)."""
        with self._seen:
            return self._seen.wait_for(lambda: self._counts[command] >= count, timeout_s)

    # -- protocol ----------------------------------------------------------------------
    def on_open(self) -> None:
        self._framer.reset()

    def on_host_bytes(self, data: bytes) -> None:
        for item in self._framer.feed(data):
            if isinstance(item, FrameError):
                # §1.12: bad CHK → 10, a length that does not fit → 11.
                status = Status.HOST_CHECKSUM_ERROR if item is FrameError.CHECKSUM else Status.HOST_LENGTH_ERROR
                self._reply(None, codec.encode_reply(status), 0.0)
            else:
                self._handle(item)

    def _handle(self, request: Request) -> None:
        command = request.command
        with self._lock:
            self._counts[command] += 1
            self._seen.notify_all()
            frame, delay_s = self._answer(command, request)
        self._reply(command, frame, delay_s)

    def _reply(self, command: Command | None, frame: bytes, delay_s: float) -> None:
        with self._lock:
            corrupt = self._corrupt.take(command)
            noisy = self._noise.take(command)
            noise = self._noise.noise
            if corrupt:
                self.replies_corrupted += 1
            if noisy:
                self.replies_with_noise += 1
        if corrupt:
            frame = frame[:-1] + bytes((frame[-1] ^ 0x5A,))
        if noisy:
            frame = noise + frame
        self.send(frame, delay_s=delay_s)

    def _answer(self, command: Command | None, request: Request) -> tuple[bytes, float]:
        """The reply to one request, under `self._lock`."""
        reply = codec.encode_reply
        if self._fault_at is not None and self._fault_at[0] is command:
            self._fault = self._fault_at[1]
            self._fault_at = None
        if self._fault is not None:
            # §1.5 60: "SAM自检失败，不能接收命令" — nothing works, reset included.
            return reply(self._fault), 0.0
        if command is None:
            return reply(Status.BAD_COMMAND), 0.0
        wants_data = command is Command.SET_MAX_RF_BYTES
        if (len(request.data) == 1) != wants_data:
            return reply(Status.HOST_LENGTH_ERROR), 0.0
        if command is Command.RESET_SAM:
            # The reply to a reset is not documented [U, §1.12]; 90 after resetting RF.
            self._found = self._active = False
            return reply(Status.SUCCESS), 0.0
        if command in (Command.SAM_STATUS, Command.SET_MAX_RF_BYTES) or command in codec.BAUD_COMMANDS.values():
            return reply(Status.SUCCESS), 0.0
        if command is Command.READ_SAM_ID:
            return reply(Status.SUCCESS, self._sam_id), 0.0
        if command is Command.FIND_CARD:
            if self._present and not self._active:
                self._found = True
                return reply(Status.CARD_FOUND, bytes(4)), 0.0
            return reply(Status.FIND_FAILED), 0.0
        if command is Command.SELECT_CARD:
            if self._present and self._found:
                self._found = False
                self._active = True
                return reply(Status.SUCCESS, bytes(8)), 0.0
            return reply(Status.SELECT_FAILED), 0.0
        delay_s = self._slow_s
        if not (self._present and self._active and self._card is not None):
            return reply(Status.READ_FAILED), delay_s
        card = self._card
        if command in _READ_COMMANDS:
            if self._remove_mid_read:
                self._remove_mid_read = False
                self._present = self._found = self._active = False
                return reply(Status.READ_FAILED, sw1=_SW_CARD_LEFT[0], sw2=_SW_CARD_LEFT[1]), delay_s
            if self._unreadable:
                self._active = False  # the RF session broke; the card is idle again
                return reply(Status.READ_FAILED, sw1=_SW_CARD_ERROR[0], sw2=_SW_CARD_ERROR[1]), delay_s
            fingerprint = b"" if command is Command.READ_TEXT_PHOTO_FINGERPRINT else None
            payload = codec.encode_card_payload(self._text, card.photo_wlt, fingerprint)
            if self._refind_after_read:
                self._active = False
            return reply(Status.SUCCESS, payload), delay_s
        if command is Command.READ_APPENDED_ADDRESS:
            if card.appended_address is None:
                return reply(Status.NO_CONTENT), delay_s  # §1.4 [U as a reply to 30 03]
            return reply(Status.SUCCESS, codec.encode_appended_address(card.appended_address)), delay_s
        if command is Command.READ_CHIP_SERIAL:
            # Layout unknown (§1.3 [S/U]): 8 bytes that differ per card.
            return reply(Status.SUCCESS, codec.text_digest(self._text)[:8]), delay_s
        return reply(Status.BAD_COMMAND), 0.0
