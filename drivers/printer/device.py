"""The printer session on one port: real-time status around every job, results not
exceptions (STYLE.md §4).

Ports: any pyserial URL (`/dev/ttyUSB0`, `socket://host:9100`, `rfc2217://…`, and
`sim://` for the simulator), or a line-printer device file such as `/dev/usb/lp0`,
opened read/write (usblp passes the printer's replies back on read).

A job is reported printed only when the printer says so afterwards: we append GS r 1,
which the printer answers in sequence once it has processed everything before it (a
fence; ref §2.5 [S]), then read DLE EOT 1..4 again. DLE EOT alone is not enough because
it is answered at once, while the buffer may still be printing (the vxsuite bug
"failed prints were not detected", kiosk-features.md). Printers that do not answer GS r
(probed once) fall back to the post-job DLE EOT only.
"""

from __future__ import annotations

import enum
import logging
import os
import select
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import serial

from drivers.health import CONNECTING, DeviceUnavailable, Health
from drivers.health import DeviceState as S
from drivers.printer.codec import (
    ENCODINGS,
    NO_ANSWER,
    AutoStatus,
    PrinterStatus,
    RealTimeReply,
    SequentialReply,
    StatusFramer,
    StatusReason,
    decode_status_replies,
    recover,
    sequential_paper_status,
    status_request,
)
from drivers.sim import sim_url

log = logging.getLogger(__name__)

READ_SLICE_S = 0.02  # one blocking read at most; deadlines are kept on the injected clock
WRITE_CHUNK = 1024


class _Transport(Protocol):
    def write(self, data: bytes) -> None: ...
    def read(self, timeout_s: float) -> bytes: ...
    def close(self) -> None: ...


class _SerialTransport:
    """Any pyserial URL, opened with serial_for_url (STYLE.md principle 2)."""

    def __init__(self, url: str, *, baudrate: int, write_timeout_s: float, dsrdtr: bool) -> None:
        self._port = serial.serial_for_url(
            url, baudrate=baudrate, timeout=READ_SLICE_S, write_timeout=write_timeout_s, dsrdtr=dsrdtr,
        )

    def write(self, data: bytes) -> None:
        self._port.write(data)
        self._port.flush()

    def read(self, timeout_s: float) -> bytes:
        if timeout_s <= 0:
            waiting = self._port.in_waiting
            return self._port.read(waiting) if waiting else b""
        first = self._port.read(1)  # returns within READ_SLICE_S without data
        if not first:
            return b""
        waiting = self._port.in_waiting
        return first + (self._port.read(waiting) if waiting else b"")

    def close(self) -> None:
        self._port.close()


class _FileTransport:
    """A device file that is not a tty (/dev/usb/lp0): non-blocking, select() for both
    directions, so a stalled printer cannot hang the device thread."""

    def __init__(self, fd: int, *, write_timeout_s: float, clock: Callable[[], float]) -> None:
        self._fd = fd
        self._write_timeout_s = write_timeout_s
        self._clock = clock

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = self._clock() + self._write_timeout_s
        while view:
            _, writable, _ = select.select([], [self._fd], [], READ_SLICE_S)
            if writable:
                try:
                    n = os.write(self._fd, view)
                except BlockingIOError:
                    n = 0
                view = view[n:]
                if n:
                    continue
            if self._clock() >= deadline:
                raise TimeoutError("printer device file did not accept data")

    def read(self, timeout_s: float) -> bytes:
        readable, _, _ = select.select([self._fd], [], [], max(0.0, min(timeout_s, READ_SLICE_S)))
        if not readable:
            return b""
        try:
            return os.read(self._fd, 256)
        except BlockingIOError:
            return b""

    def close(self) -> None:
        os.close(self._fd)


def _open_transport(url: str, *, baudrate: int, write_timeout_s: float, dsrdtr: bool,
                    clock: Callable[[], float]) -> _Transport:
    if url.startswith("/"):
        fd = os.open(url, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            is_tty = os.isatty(fd)
        except OSError:
            os.close(fd)
            raise
        if not is_tty:
            return _FileTransport(fd, write_timeout_s=write_timeout_s, clock=clock)
        os.close(fd)  # a tty: pyserial sets its line discipline and baud rate
    return _SerialTransport(sim_url("printer", url), baudrate=baudrate, write_timeout_s=write_timeout_s,
                            dsrdtr=dsrdtr)


# -- results and events -------------------------------------------------------------------


class PrintOutcome(enum.Enum):
    PRINTED = "printed"
    FAILED = "failed"


@dataclass(frozen=True)
class PrintResult:
    """`reason` is OK or PAPER_NEAR_END when printed, else why the job failed: paper_out,
    cover_open, cutter_error, offline, no_answer, … (StatusReason)."""

    outcome: PrintOutcome
    reason: StatusReason
    status: PrinterStatus
    bytes_sent: int = 0

    @property
    def printed(self) -> bool:
        return self.outcome is PrintOutcome.PRINTED


@dataclass(frozen=True)
class PrinterStatusChanged:
    status: PrinterStatus


@dataclass(frozen=True)
class JobPrinted:
    bytes_sent: int


@dataclass(frozen=True)
class JobFailed:
    reason: StatusReason
    bytes_sent: int


_ERROR_REASONS = frozenset({
    StatusReason.PAPER_OUT, StatusReason.COVER_OPEN, StatusReason.CUTTER_ERROR,
    StatusReason.MECHANICAL_ERROR, StatusReason.UNRECOVERABLE_ERROR, StatusReason.AUTO_RECOVERABLE_ERROR,
})


def health_of(status: PrinterStatus) -> Health:
    reason = status.reason
    if reason is StatusReason.OK:
        return Health(S.READY)
    if reason is StatusReason.PAPER_NEAR_END:
        return Health(S.DEGRADED, reason.value)
    if reason in _ERROR_REASONS:
        return Health(S.ERROR, reason.value)
    detail = "no reply to DLE EOT" if reason is StatusReason.NO_ANSWER else ""
    return Health(S.OFFLINE, reason.value, detail)


# -- the driver -----------------------------------------------------------------------------


class PrinterDriver:
    """`Driver` for drivers.runner.DeviceRunner. Every method runs on the device thread.

    `encoding` and `columns` describe the printer for whoever builds its jobs
    (kiosk.receipt); the driver itself sends bytes as given.
    """

    kind = "printer"

    def __init__(
        self,
        url: str,
        *,
        encoding: str = "gbk",
        columns: int = 48,
        clock: Callable[[], float] = time.monotonic,
        baudrate: int = 9600,
        dsrdtr: bool = False,
        status_timeout_s: float = 0.5,
        status_poll_s: float = 2.0,
        job_timeout_s: float = 20.0,
        status_recheck_s: float = 0.25,
        write_timeout_s: float = 5.0,
    ) -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"printer encoding must be one of {ENCODINGS}")
        # Serial settings: 9600 8N1 is the common factory default of Chinese receipt
        # printers; flow control is model-specific (ref §7 item 5), so it is a parameter.
        self.url = url
        self.encoding = encoding
        self.columns = columns
        self._clock = clock
        self._baudrate = baudrate
        self._dsrdtr = dsrdtr
        self.status_timeout_s = status_timeout_s
        self.status_poll_s = status_poll_s
        self.job_timeout_s = job_timeout_s
        self.status_recheck_s = status_recheck_s
        self.write_timeout_s = write_timeout_s
        self._transport: _Transport | None = None
        self._framer = StatusFramer()
        self._status: PrinterStatus | None = None
        self._reported: PrinterStatus | None = None
        self._asb: PrinterStatus | None = None
        self._fence_supported: bool | None = None
        self._fences = 0
        self._next_status_at = 0.0
        self._broken = False
        self._events: list[object] = []

    def __repr__(self) -> str:
        state = self._status.reason.value if self._status else "unknown"
        return f"PrinterDriver({self.url!r}, {state})"

    # -- Driver protocol -------------------------------------------------------------------
    def open(self) -> None:
        self.close()
        self._transport = _open_transport(self.url, baudrate=self._baudrate, write_timeout_s=self.write_timeout_s,
                                          dsrdtr=self._dsrdtr, clock=self._clock)
        self._framer = StatusFramer()
        self._broken = False
        self._status = None
        self._reported = None
        self._fence_supported = None  # another printer may be on the port after a reconnect
        self._next_status_at = 0.0

    def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            try:
                transport.close()
            finally:
                self._status = None

    def poll(self) -> list[object]:
        if self._broken:
            raise DeviceUnavailable("printer port failed during a job")
        self._drain()
        if self._clock() >= self._next_status_at:
            self.query_status()
            self._next_status_at = self._clock() + self.status_poll_s
        events, self._events = self._events, []
        if self._status is not None and self._status != self._reported:
            self._reported = self._status
            events.append(PrinterStatusChanged(self._status))
        return events

    def health(self) -> Health:
        if self._transport is None or self._broken:
            return Health(S.OFFLINE, "disconnected")
        if self._status is None:
            return CONNECTING
        return health_of(self._status)

    @property
    def status(self) -> PrinterStatus | None:
        """The last status read (None before the first query)."""
        return self._status

    # -- status ------------------------------------------------------------------------------
    def _need(self) -> _Transport:
        if self._transport is None:
            raise DeviceUnavailable("printer port is not open")
        return self._transport

    def _handle(self, data: bytes) -> list[int]:
        """Feed printer bytes through the framer; return real-time replies in order."""
        replies: list[int] = []
        for frame in self._framer.feed(data):
            if isinstance(frame, RealTimeReply):
                replies.append(frame.value)
            elif isinstance(frame, AutoStatus):
                self._asb = frame.status
                self._status = frame.status
            elif isinstance(frame, SequentialReply):
                self._fences += 1
            else:
                log.debug("printer sent a stray byte 0x%02x", frame.value)
        return replies

    def _drain(self) -> None:
        """Take what has arrived unasked (ASB bursts, late replies, fences) and drop any
        late real-time reply so it cannot pass for the answer to the next query."""
        transport = self._need()
        while True:
            data = transport.read(0)
            if not data:
                return
            self._handle(data)

    def _await_reply(self) -> int | None:
        transport = self._need()
        deadline = self._clock() + self.status_timeout_s
        while True:
            replies = self._handle(transport.read(max(0.0, deadline - self._clock())))
            if replies:
                return replies[0]
            if self._clock() >= deadline:
                return None

    def query_status(self) -> PrinterStatus:
        """DLE EOT 1, 2, 3, 4, one at a time, each reply awaited before the next request
        (Epson's rule, ref §2.5). No reply within `status_timeout_s` → NO_ANSWER."""
        transport = self._need()
        self._drain()
        replies: dict[int, int] = {}
        for n in (1, 2, 3, 4):
            transport.write(status_request(n))
            reply = self._await_reply()
            if reply is None:
                if self._status is None or self._status.answered:
                    log.info("printer did not answer DLE EOT %d within %.2f s", n, self.status_timeout_s)
                self._status = NO_ANSWER
                return NO_ANSWER
            replies[n] = reply
        self._status = decode_status_replies(replies)
        return self._status

    def _probe_fence(self) -> bool:
        """Does this printer answer GS r 1? Asked once, while it is idle and printable."""
        transport = self._need()
        before = self._fences
        transport.write(sequential_paper_status())
        deadline = self._clock() + self.status_timeout_s
        while self._fences == before and self._clock() < deadline:
            self._handle(transport.read(max(0.0, deadline - self._clock())))
        supported = self._fences > before
        log.info("printer %s GS r fences", "answers" if supported else "does not answer")
        return supported

    # -- jobs ------------------------------------------------------------------------------------
    def print_job(self, data: bytes) -> PrintResult:
        """Send one job; never raises for a printer condition. A port that fails mid-job
        gives FAILED/offline now and DeviceUnavailable at the next poll (the runner then
        reconnects)."""
        sent = 0
        try:
            before = self.query_status()
            if not before.printable:
                return self._failed(before, 0)
            if self._fence_supported is None:
                self._fence_supported = self._probe_fence()
            transport = self._need()
            self._asb = None
            fences_before = self._fences
            payload = data + (sequential_paper_status() if self._fence_supported else b"")
            for start in range(0, len(payload), WRITE_CHUNK):
                transport.write(payload[start:start + WRITE_CHUNK])
                sent = min(len(data), start + WRITE_CHUNK)
                self._drain()
                if self._asb is not None and not self._asb.printable:
                    break  # the printer announced a stop by ASB: the rest would only queue up
            after = self._await_job_end(fences_before)
        except (serial.SerialTimeoutException, TimeoutError):
            log.warning("printer stopped accepting data after %d of %d bytes", sent, len(data))
            return self._failed(self._status_or_no_answer(), sent)
        except (OSError, DeviceUnavailable) as exc:
            log.warning("printer port failed during a job: %s", type(exc).__name__)
            self._broken = True
            return self._failed(PrinterStatus(offline=True), sent)
        fenced = not self._fence_supported or self._fences > fences_before
        if after.printable and fenced:
            self._events.append(JobPrinted(len(data)))
            log.info("printer job printed (%d bytes, %s)", len(data), after.reason.value)
            return PrintResult(PrintOutcome.PRINTED, after.reason, after, len(data))
        if after.printable:  # status fine, but the printer never reached the fence
            after = NO_ANSWER
        return self._failed(after, sent)

    def _await_job_end(self, fences_before: int) -> PrinterStatus:
        transport = self._need()
        deadline = self._clock() + self.job_timeout_s
        status = self.query_status()  # at once: a stop that already happened fails fast
        while status.printable and self._fence_supported and self._fences == fences_before:
            if self._clock() >= deadline:
                break
            recheck = min(deadline, self._clock() + self.status_recheck_s)
            while self._fences == fences_before and self._clock() < recheck:
                self._handle(transport.read(max(0.0, recheck - self._clock())))
            status = self.query_status()
        return status

    def _status_or_no_answer(self) -> PrinterStatus:
        try:
            return self.query_status()
        except (OSError, DeviceUnavailable):
            self._broken = True
            return PrinterStatus(offline=True)

    def _failed(self, status: PrinterStatus, sent: int) -> PrintResult:
        reason = status.reason if status.reason.fault else StatusReason.OFFLINE
        if sent and self._transport is not None and not self._broken:
            # Drop the rest of the failed job so that a reprint after the fix does not
            # follow a stray tail of this one (ref §2.5 DLE ENQ 2 [U]).
            try:
                self._transport.write(recover(2))
            except OSError:
                self._broken = True
        self._events.append(JobFailed(reason, sent))
        log.info("printer job failed: %s (%d bytes sent)", reason.value, sent)
        return PrintResult(PrintOutcome.FAILED, reason, status, sent)
