"""The ID card reader session: find → select → read over any pyserial URL.

`IdReaderDriver` implements `drivers.runner.Driver`; a `DeviceRunner` owns its thread.
Each `poll()` does at most one bounded round and returns events in the past tense:
`CardRead(identity)`, `CardRemoved()`, `CardReadFailed(reason)`. Faults are states:
a broken SAM is `Health(ERROR, "sam_fault")`, a port that stops answering raises
`DeviceUnavailable` and the runner reconnects (OFFLINE).

The reading rules, all from hardware-protocols.md §1.6:

* idle, find-card (`20 01`) every `find_interval_s`; nothing else crosses the wire;
* a found card is selected (`20 02`) and read (`30 01`, then `30 03` for the appended
  address of cards that have one); a checksum error, timeout or read failure is
  retried once; after repeated faults, or a failed read, the module is reset
  (`10 FF`, the vendors' recovery, §1.6 item 6);
* a card is reported once until it leaves the field. Most modules refuse find-card
  for a card that was read and stays (§1.6 item 5), so while a card is held the
  driver probes every `presence_interval_s`: find-card failing and a direct `30 01`
  (YinanSoft's workaround) failing too means the card is gone; find-card succeeding
  means it left and came back (a new presentation). Modules that do find a read card
  again are recognised right after the first read and handled by comparing the text.

The fingerprint read (`30 10`) is never used: the kiosk has no use for it and
does not collect what it does not need.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import serial

from drivers.health import CONNECTING, READY, DeviceState, DeviceUnavailable, Health
from drivers.id_reader.codec import (
    APPENDED_ADDRESS_LEN,
    SAM_ID_LEN,
    TEXT_LEN,
    CardDataError,
    CardPayload,
    Command,
    Reply,
    ReplyFramer,
    SamId,
    Status,
    UnknownStatus,
    card_type_of,
    decode_appended_address,
    decode_identity,
    encode_request,
    parse_card_payload,
    parse_sam_id,
    text_digest,
)
from drivers.id_reader.identity import Identity
from drivers.sim import sim_url

log = logging.getLogger(__name__)

FailReason = Literal["removed_too_early", "unreadable", "unsupported_card", "sam_fault", "checksum", "timeout"]

# -- events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CardRead:
    """A card was read. `Identity`'s repr shows only the card type."""

    identity: Identity


@dataclass(frozen=True)
class CardRemoved:
    """The card that was read has left the reader."""


@dataclass(frozen=True)
class CardReadFailed:
    """A card was found but not read: "removed_too_early" (lift it later), "unreadable",
    "unsupported_card", "sam_fault", "checksum" or "timeout"."""

    reason: FailReason


# -- timing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderTimings:
    """Every delay of the session in one place (STYLE.md §5). Tests pass shorter ones."""

    # Idle find-card cadence. hev polls at 1000 ms (§1.6); 250 ms feels instant to a
    # resident and costs one 10-byte command and a 11-byte reply.
    find_interval_s: float = 0.25
    # How often a card that was read and stays on the reader is checked for. Each
    # check is a full 30 01 read (the only presence test that works on modules that
    # refuse find-card for a read card, §1.6 item 5), so it is kept slow.
    presence_interval_s: float = 1.0
    # Pause after a failed read before the next find, so a card that cannot be read
    # does not flood the screen with failures.
    failure_pause_s: float = 1.0
    # How often a SAM in fault is asked whether it recovered.
    sam_recheck_s: float = 2.0
    # Reply timeouts. YinanSoft uses 100 ms for find/select, 2000 ms for 30 01 and
    # 1500 ms for 30 03 (§1.6); find/select get headroom for USB-serial latency.
    command_timeout_s: float = 0.3
    read_timeout_s: float = 2.0
    appended_timeout_s: float = 1.5
    reset_timeout_s: float = 1.0
    # Consecutive faults (lost or garbled replies) before the module is reset.
    faults_before_reset: int = 3


DEFAULT_TIMINGS = ReaderTimings()

# A read() never blocks longer than this, so deadlines are kept within one slice.
_READ_SLICE_S = 0.05
_WRITE_TIMEOUT_S = 1.0


class _NoReply(enum.Enum):
    TIMEOUT = "timeout"
    CORRUPT = "checksum"


class _Phase(enum.Enum):
    EMPTY = "empty"  # no card known: find-card polling
    FOUND = "found"  # find-card answered 9F: select and read next
    HELD = "held"  # a card was read and may still be lying there
    SAM_FAULT = "sam_fault"  # the module reported 60/66: only status checks


@dataclass(frozen=True)
class _Failure:
    reason: FailReason
    retryable: bool


@dataclass(frozen=True)
class _Blocks:
    payload: CardPayload
    appended_address: str | None = field(default=None, repr=False)


_SUCCESS_SHAPES: dict[Command, Callable[[int], bool]] = {
    Command.SELECT_CARD: lambda n: n <= 16,
    Command.READ_TEXT_PHOTO: lambda n: n >= 4 + TEXT_LEN,
    Command.READ_APPENDED_ADDRESS: lambda n: n >= APPENDED_ADDRESS_LEN,
    Command.READ_SAM_ID: lambda n: n == SAM_ID_LEN,
    Command.RESET_SAM: lambda n: n <= 16,
    Command.SAM_STATUS: lambda n: n <= 16,
}


def _answers(command: Command, reply: Reply) -> bool:
    """Whether `reply` can be the answer to `command`. Replies carry no command code
    (§1.2), so a late reply to an earlier command is told apart by its shape."""
    if reply.status is Status.CARD_FOUND:
        return command is Command.FIND_CARD
    if reply.status is Status.SUCCESS:
        shape = _SUCCESS_SHAPES.get(command)
        return shape is not None and shape(len(reply.data))
    return not reply.data


def _failure_of(reply: Reply | _NoReply) -> _Failure | None:
    """None when the command worked; else why, and whether trying again may help."""
    if reply is _NoReply.TIMEOUT:
        return _Failure("timeout", retryable=True)
    if reply is _NoReply.CORRUPT:
        return _Failure("checksum", retryable=True)
    assert isinstance(reply, Reply)
    status = reply.status
    if status in (Status.SUCCESS, Status.CARD_FOUND):
        return None
    if status.is_sam_fault:
        return _Failure("sam_fault", retryable=False)
    if status.is_host_frame_error:  # the module got our request garbled (§1.5 10/11)
        return _Failure("checksum", retryable=True)
    if status is Status.UNKNOWN_CARD_TYPE:
        return _Failure("unsupported_card", retryable=False)
    if status in (Status.BAD_COMMAND, Status.UNAUTHORISED):
        return _Failure("unreadable", retryable=False)
    # 41 (card moved), 81, 31/32/33 (authentication), 47, 24, 80 and unknown codes.
    return _Failure("unreadable", retryable=True)


def _fault_health(status: Status | UnknownStatus) -> Health:
    detail = status.name.lower() if isinstance(status, Status) else f"status_{status.code:02x}"
    return Health(DeviceState.ERROR, "sam_fault", detail)


_BUSY = Health(DeviceState.BUSY, "reading")


class IdReaderDriver:
    """The `Driver` of one SAM reader (drivers/runner.py). Not thread-safe: the runner's
    thread calls everything except `health()`, which any thread may read."""

    kind = "id_reader"

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 115200,  # the SAM's default rate (§1.1)
        clock: Callable[[], float] = time.monotonic,
        timings: ReaderTimings = DEFAULT_TIMINGS,
    ) -> None:
        self.url = url
        self._baudrate = baudrate
        self._clock = clock
        self._t = timings
        self._port: serial.Serial | None = None
        self._framer = ReplyFramer()
        self._phase = _Phase.EMPTY
        self._held: bytes | None = None  # digest of the text of the card reported last
        self._held_was_reset = False  # the module was reset while a card was held
        self._refinds_read_cards = False  # learned: does find-card answer 9F for a read card?
        self._next_at = 0.0
        self._faults = 0
        self._health = CONNECTING
        self.sam_id: SamId | None = None

    def __repr__(self) -> str:
        return f"IdReaderDriver({self.url!r}, {self._phase.value})"

    # -- Driver protocol ---------------------------------------------------------------
    def open(self) -> None:
        port = serial.serial_for_url(
            sim_url(self.kind, self.url),
            baudrate=self._baudrate,
            timeout=_READ_SLICE_S,
            write_timeout=_WRITE_TIMEOUT_S,
        )
        opened = False
        try:
            self._port = port
            self._start_session()
            opened = True
        finally:
            if not opened:
                self._port = None
                port.close()

    def close(self) -> None:
        port, self._port = self._port, None
        self._phase = _Phase.EMPTY
        self._held = None
        self._health = CONNECTING
        if port is not None:
            port.close()

    def health(self) -> Health:
        return self._health

    def poll(self) -> list[object]:
        if self._port is None:
            raise DeviceUnavailable("id reader port is not open")
        if self._clock() < self._next_at:
            return []
        if self._phase is _Phase.SAM_FAULT:
            return self._poll_sam_fault()
        if self._phase is _Phase.FOUND:
            return self._read_found_card()
        if self._phase is _Phase.HELD:
            return self._poll_held()
        return self._poll_empty()

    # -- for DeviceRunner.call() and tools ---------------------------------------------
    def seconds_until_due(self) -> float:
        """How long until `poll()` has work to do."""
        return max(0.0, self._next_at - self._clock())

    def reset_module(self) -> Health:
        """Reset the SAM (`10 FF`) and check it (`11 FF`); a technician's 'reset'.
        A card on the reader is found and reported again afterwards."""
        self._phase = _Phase.EMPTY
        self._held = None
        self._next_at = self._clock()
        self._reset()
        return self._health

    def read_sam_id(self) -> SamId | None:
        """The module's management number (`12 FF`, §1.7), None when it does not say."""
        reply = self._transact(Command.READ_SAM_ID, self._t.command_timeout_s)
        if isinstance(reply, Reply) and reply.status is Status.SUCCESS:
            try:
                self.sam_id = parse_sam_id(reply.data)
            except CardDataError:
                return None
        return self.sam_id

    # -- session -----------------------------------------------------------------------
    def _start_session(self) -> None:
        """A fresh start: reset the module so a card left on the reader while we were
        away is found again (reliability.md: re-check physical state on reconnect)."""
        self._framer.reset()
        self._phase = _Phase.EMPTY
        self._held = None
        self._faults = 0
        self._refinds_read_cards = False  # the module may have been swapped meanwhile
        self._next_at = self._clock()
        self._reset()  # may leave the phase at SAM_FAULT, with its own schedule
        self.read_sam_id()

    def _reset(self) -> None:
        # A reset puts a card in the field back to idle, so the held card is found again.
        self._held_was_reset = self._phase is _Phase.HELD
        # The reply to 10 FF is not documented (§1.12 [U]): wait for it, then ask 11 FF.
        self._transact(Command.RESET_SAM, self._t.reset_timeout_s)
        self._faults = 0
        self._check_sam()

    def _check_sam(self) -> None:
        """`11 FF`: READY on 90, ERROR on a fault status, DeviceUnavailable on silence."""
        for _ in range(2):  # one garbled reply is not a dead module
            reply = self._transact(Command.SAM_STATUS, self._t.command_timeout_s)
            if isinstance(reply, Reply):
                break
        else:
            raise DeviceUnavailable("id reader does not answer the SAM status check")
        if reply.status is Status.SUCCESS:
            if self._phase is _Phase.SAM_FAULT:
                self._phase = _Phase.EMPTY
            self._health = READY
            return
        log.warning("id reader: SAM status %02X", reply.sw3)
        self._phase = _Phase.SAM_FAULT
        self._held = None
        self._health = _fault_health(reply.status)
        self._next_at = self._clock() + self._t.sam_recheck_s

    def _schedule(self, delay_s: float) -> None:
        self._next_at = self._clock() + delay_s

    def _fault(self) -> None:
        """A lost or garbled reply. Several in a row: reset the module (§1.6 item 6)."""
        self._faults += 1
        if self._faults >= self._t.faults_before_reset:
            log.warning("id reader: %d faults in a row, resetting the module", self._faults)
            self._reset()

    def _poll_empty(self) -> list[object]:
        reply = self._transact(Command.FIND_CARD, self._t.command_timeout_s)
        self._schedule(self._t.find_interval_s)
        if not isinstance(reply, Reply):
            self._fault()
            return []
        if reply.status is Status.CARD_FOUND:
            # Select and read on the next poll, so the runner can show BUSY meanwhile
            # and queued calls are not held up by one long round.
            self._phase = _Phase.FOUND
            self._health = _BUSY
            self._next_at = self._clock()
            return []
        if reply.status is Status.FIND_FAILED:
            self._faults = 0
            return []
        if reply.status.is_sam_fault:
            self._check_sam()
            return []
        self._fault()
        return []

    def _poll_sam_fault(self) -> list[object]:
        self._schedule(self._t.sam_recheck_s)
        reply = self._transact(Command.SAM_STATUS, self._t.command_timeout_s)
        if not isinstance(reply, Reply):
            self._faults += 1
            if self._faults >= self._t.faults_before_reset:
                raise DeviceUnavailable("id reader stopped answering while in SAM fault")
            return []
        self._faults = 0
        if reply.status is Status.SUCCESS:
            log.info("id reader: SAM recovered")
            self._phase = _Phase.EMPTY
            self._health = READY
            self._next_at = self._clock()
        else:
            self._health = _fault_health(reply.status)
        return []

    def _read_found_card(self) -> list[object]:
        outcome = self._select_and_read()
        if isinstance(outcome, _Failure) and outcome.retryable:
            log.info("id reader: read failed (%s), trying once more", outcome.reason)
            outcome = self._read_again(outcome)
        if isinstance(outcome, _Failure):
            return self._read_failed(outcome)
        return self._card_read(outcome)

    def _poll_held(self) -> list[object]:
        """Is the card that was read still there, and is it still the same presentation?"""
        self._schedule(self._t.presence_interval_s)
        reply = self._transact(Command.FIND_CARD, self._t.command_timeout_s)
        if not isinstance(reply, Reply):
            self._fault()
            return []
        if reply.status is Status.FIND_FAILED:
            if self._refinds_read_cards:
                return self._card_gone()  # such a module finds a card that is there
            # §1.6 item 5: a read card that stays is not found again, but a direct
            # read still works (YinanSoft). If that fails as well, the card is gone.
            outcome = self._read_blocks(with_appended=False)
            if isinstance(outcome, _Failure):
                if outcome.reason == "sam_fault":
                    self._check_sam()
                    return []
                if outcome.reason in ("checksum", "timeout"):
                    self._fault()  # a garbled or silent reply says nothing about the card
                    return []
                return self._card_gone()
            if text_digest(outcome.payload.text) == self._held:
                return []
            # Another card answers though none was selected: read it afresh.
            outcome = self._read_blocks(with_appended=True)
            if isinstance(outcome, _Failure):
                return self._card_gone()
            return [CardRemoved(), *self._card_read(outcome)]
        if reply.status is Status.CARD_FOUND:
            outcome = self._select_and_read()
            if isinstance(outcome, _Failure):
                return []  # a card is there but did not read this time: the next probe decides
            self._faults = 0
            same = text_digest(outcome.payload.text) == self._held
            if same and (self._refinds_read_cards or self._held_was_reset):
                # Found again only because the module refinds read cards, or because
                # we reset it: the same card never left.
                self._held_was_reset = False
                return []
            # On a module that does not refind read cards, being found again means the
            # card left the field and came back: a new presentation, even of the same card.
            return [CardRemoved(), *self._card_read(outcome)]
        if reply.status.is_sam_fault:
            self._check_sam()
        else:
            self._fault()
        return []

    def _card_gone(self) -> list[object]:
        log.info("id reader: card removed")
        self._phase = _Phase.EMPTY
        self._held = None
        self._next_at = self._clock()
        return [CardRemoved()]

    def _learn_module_kind(self) -> None:
        """Right after a read the card is still in the field. A module that finds it
        again is one that refinds read cards (§1.6 item 5 says most do not); then a
        find failing later means the card is gone. Learned once per session: if the
        card was already lifted, the next read teaches it."""
        reply = self._transact(Command.FIND_CARD, self._t.command_timeout_s)
        if isinstance(reply, Reply) and reply.status is Status.CARD_FOUND:
            log.info("id reader: the module finds read cards again")
            self._refinds_read_cards = True

    def _select_and_read(self) -> _Blocks | _Failure:
        failure = _failure_of(self._transact(Command.SELECT_CARD, self._t.command_timeout_s))
        if failure is not None:
            return failure
        return self._read_blocks(with_appended=True)

    def _read_blocks(self, *, with_appended: bool) -> _Blocks | _Failure:
        reply = self._transact(Command.READ_TEXT_PHOTO, self._t.read_timeout_s)
        failure = _failure_of(reply)
        if failure is not None:
            return failure
        assert isinstance(reply, Reply)
        try:
            payload = parse_card_payload(reply.data)
            kind = card_type_of(payload.text)
        except CardDataError as exc:
            log.warning("id reader: card data does not fit the layout (%s)", exc.field_name)
            return _Failure("unreadable", retryable=False)
        if kind is None:
            return _Failure("unsupported_card", retryable=False)
        if not (with_appended and kind.has_appended_address):
            return _Blocks(payload)
        return self._read_appended(payload)

    def _read_appended(self, payload: CardPayload) -> _Blocks | _Failure:
        reply = self._transact(Command.READ_APPENDED_ADDRESS, self._t.appended_timeout_s)
        if isinstance(reply, Reply):
            if reply.status in (Status.NO_CONTENT, Status.BAD_COMMAND):
                return _Blocks(payload)  # no appended address, or a module without 30 03
            if reply.status is Status.SUCCESS:
                try:
                    return _Blocks(payload, decode_appended_address(reply.data))
                except CardDataError:
                    return _Failure("unreadable", retryable=True)
        failure = _failure_of(reply)
        assert failure is not None
        return failure

    def _read_again(self, first: _Failure) -> _Blocks | _Failure:
        """The one retry. A card found again is selected and read; one not found may
        still be active after a lost reply (§1.6 item 5), so it is read directly."""
        reply = self._transact(Command.FIND_CARD, self._t.command_timeout_s)
        if isinstance(reply, Reply) and reply.status is Status.CARD_FOUND:
            return self._select_and_read()
        if isinstance(reply, Reply) and reply.status is Status.FIND_FAILED:
            outcome = self._read_blocks(with_appended=True)
            if isinstance(outcome, _Failure) and outcome.reason == "unreadable" and outcome.retryable:
                # Not found and not readable: the card left the field mid-read (§1.5 41).
                return _Failure("removed_too_early", retryable=False)
            return outcome
        failure = _failure_of(reply)
        if failure is not None and failure.reason == "sam_fault":
            return failure
        return _Failure(first.reason, retryable=False)

    def _card_read(self, blocks: _Blocks) -> list[object]:
        try:
            identity = decode_identity(
                blocks.payload.text, blocks.payload.photo, appended_address=blocks.appended_address
            )
        except CardDataError as exc:
            log.warning("id reader: card text does not fit the layout (%s)", exc.field_name)
            return self._read_failed(_Failure("unreadable", retryable=False))
        self._faults = 0
        self._phase = _Phase.HELD
        self._held = text_digest(blocks.payload.text)
        self._held_was_reset = False
        self._health = READY
        if not self._refinds_read_cards:
            self._learn_module_kind()
        self._schedule(self._t.presence_interval_s)
        log.info("id reader: card read (%s)", identity.id_type.value)
        return [CardRead(identity)]

    def _read_failed(self, failure: _Failure) -> list[object]:
        log.info("id reader: card not read (%s)", failure.reason)
        self._phase = _Phase.EMPTY
        self._held = None
        self._health = READY
        if failure.reason == "sam_fault":
            self._check_sam()
        elif failure.reason != "removed_too_early":
            # A card that stays after a failed read may still be active and would not
            # be found again: the reset puts it back to idle (§1.6 item 6).
            self._reset()
        if self._phase is not _Phase.SAM_FAULT:
            self._schedule(self._t.failure_pause_s)
        return [CardReadFailed(failure.reason)]

    # -- wire --------------------------------------------------------------------------
    def _transact(self, command: Command, timeout_s: float, data: bytes = b"") -> Reply | _NoReply:
        """Send one request, wait for its reply. I/O deadlines are real time (the port's
        timeouts are), whatever clock schedules the polls."""
        port = self._port
        if port is None:
            raise DeviceUnavailable("id reader port is not open")
        framer = self._framer
        framer.reset()
        port.reset_input_buffer()  # a late reply to an earlier command is not this one's
        rejected = framer.rejected
        port.write(encode_request(command, data))
        deadline = time.monotonic() + timeout_s
        while True:
            chunk = port.read(framer.bytes_wanted())
            if chunk:
                for reply in framer.feed(chunk):
                    if _answers(command, reply):
                        return reply
                    log.debug("id reader: dropped a stray reply while waiting for %s", command.name)
                if framer.rejected != rejected:
                    log.info("id reader: garbled reply to %s", command.name)
                    return _NoReply.CORRUPT
            if time.monotonic() >= deadline:
                return _NoReply.TIMEOUT


# -- one-shot read (the CLI) -----------------------------------------------------------


class ReadCardError(Exception):
    """`read_card_once` could not deliver an identity. `reason` is a short code; the
    message carries no card data."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class CardReadTimeout(ReadCardError):
    """No card was read in time; `last_failure` is the last CardReadFailed reason."""

    def __init__(self, timeout_s: float, last_failure: str | None) -> None:
        super().__init__("timeout", f"no card read within {timeout_s:g} s")
        self.timeout_s = timeout_s
        self.last_failure = last_failure


class ReaderFault(ReadCardError):
    """The reader is present but cannot read (health ERROR)."""


class ReaderUnavailable(ReadCardError):
    """The port cannot be opened or the reader does not answer."""


def read_card_once(
    url: str,
    timeout_s: float,
    *,
    baudrate: int = 115200,
    timings: ReaderTimings = DEFAULT_TIMINGS,
) -> Identity:
    """Open the reader, wait up to `timeout_s` for a card, return what it holds.

    Runs the same session as the kiosk (`IdReaderDriver.poll`) on the calling thread.
    """
    driver = IdReaderDriver(url, baudrate=baudrate, timings=timings)
    deadline = time.monotonic() + timeout_s
    try:
        driver.open()
    except (OSError, DeviceUnavailable, serial.SerialException, ValueError) as exc:
        raise ReaderUnavailable("unavailable", f"cannot open the ID reader ({type(exc).__name__})") from None
    last_failure: str | None = None
    try:
        while True:
            try:
                events = driver.poll()
            except (OSError, DeviceUnavailable, serial.SerialException) as exc:
                raise ReaderUnavailable("unavailable", f"the ID reader stopped answering ({type(exc).__name__})") from None
            for event in events:
                if isinstance(event, CardRead):
                    return event.identity
                if isinstance(event, CardReadFailed):
                    last_failure = event.reason
            health = driver.health()
            if health.state is DeviceState.ERROR:
                raise ReaderFault(health.reason, f"the ID reader reports a fault ({health.reason}: {health.detail})")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CardReadTimeout(timeout_s, last_failure)
            time.sleep(min(driver.seconds_until_due(), remaining))
    finally:
        driver.close()
