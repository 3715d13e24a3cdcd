"""Logging for a terminal nobody watches: a size-rotated file in `<storage>/logs`, and
one redaction filter at the logging boundary so that no line on disk (or on stderr)
holds a resident's ID number, phone number, name or address (STYLE.md §13,
reliability.md E1 and D5).

Redaction works on the formatted message, the traceback and the stack of every record
that reaches our handlers, whoever logged it (our modules, httpx, Qt's message
handler): 18-character ID numbers, runs of 15 or more digits (first-generation ID
numbers, bank accounts), mobile and landline numbers, e-mail addresses and long base64
runs (images) are replaced by a tag, and so is any value the visit holds (the card's
name, number and address, what the resident typed) while the visit lasts
(`watch_visits`). Control characters, CR/LF included, are escaped in messages so a
scanned code cannot forge log lines (reliability.md §4.2).

The file is mode 0600 in a 0700 directory; a full disk drops log lines (counted),
it never raises into the kiosk (reliability.md A5). `recent_lines` is what the
technician screen shows; `export_logs` writes a tar.gz for a technician's USB stick,
redacted once more on the way out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import logging
import logging.handlers
import os
import re
import tarfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.terminal import Terminal

LOG_DIR_NAME = "logs"
LOG_FILE_NAME = "kiosk.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 5  # at most 12 MiB of logs on the terminal; the platform keeps the long history
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MAX_LINE_CHARS = 1000  # per line shown on the technician screen

# GB 11643: 17 digits and a check character; not part of a longer word or number.
_ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# First-generation 15-digit ID numbers, bank card and account numbers (16-19 digits).
_LONG_DIGITS = re.compile(r"(?<!\d)\d{15,}(?!\d)")
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BLOB = re.compile(r"[A-Za-z0-9+/]{200,}={0,2}")
# C0 controls but tab and newline, DEL, C1 controls and the Unicode bidi overrides.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"\r\n|\r|\n")

MIN_WATCHED_CHARS = 2  # single characters (汉, 男) would blank out half the log


def redact_text(text: str, watched: re.Pattern[str] | None = None) -> str:
    """`text` with personal data replaced by tags ([id-number], [phone], …)."""
    if watched is not None:
        text = watched.sub("[redacted]", text)
    text = _ID18.sub("[id-number]", text)
    text = _LONG_DIGITS.sub("[number]", text)
    text = _MOBILE.sub("[phone]", text)
    text = _LANDLINE.sub("[phone]", text)
    text = _EMAIL.sub("[email]", text)
    return _BLOB.sub("[blob]", text)


def _escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _one_line(text: str) -> str:
    """A message as one line: a CR or LF inside it is shown, not obeyed."""
    return _escape_controls(_NEWLINES.sub(lambda m: m.group().replace("\r", "\\r").replace("\n", "\\n"), text))


class Redactor(logging.Filter):
    """The filter on every kiosk handler. Rewrites the record in place (message,
    traceback, stack), so every handler after it sees the redacted text too.

    `remember(values)` adds values that must not appear while a visit lasts; `forget()`
    drops them when it ends. Thread-safe: device threads, the sync worker and the GUI
    log at once."""

    def __init__(self) -> None:
        super().__init__("kiosk-redactor")
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._formatter = logging.Formatter()

    def __repr__(self) -> str:
        return f"Redactor(watching={len(self._values)})"

    # -- the visit's values -------------------------------------------------------------
    def remember(self, values: Iterable[object]) -> None:
        fresh = {str(v).strip() for v in values if isinstance(v, str | int) and not isinstance(v, bool)}
        fresh = {v for v in fresh if len(v) >= MIN_WATCHED_CHARS}
        with self._lock:
            if fresh <= self._values:
                return
            self._values = self._values | fresh
            self._pattern = self._compile(self._values)

    def forget(self) -> None:
        with self._lock:
            self._values = frozenset()
            self._pattern = None

    @property
    def watching(self) -> int:
        return len(self._values)

    @staticmethod
    def _compile(values: frozenset[str]) -> re.Pattern[str] | None:
        if not values:
            return None
        # Longest first, so 北京市东城区景山前街4号 goes whole before a shorter value inside it.
        alternatives = sorted(values, key=len, reverse=True)
        return re.compile("|".join(re.escape(v) for v in alternatives))

    def redact(self, text: str) -> str:
        return redact_text(text, self._pattern)

    # -- logging.Filter -----------------------------------------------------------------
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line, nor its arguments' values
            message = f"{record.msg!s} (unformattable arguments dropped)"
        record.msg = _one_line(self.redact(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _escape_controls(self.redact(record.exc_text))
        if record.stack_info:
            record.stack_info = _escape_controls(self.redact(record.stack_info))
        return True


class KioskLogHandler(logging.handlers.RotatingFileHandler):
    """Size-rotated file, created 0600, that never raises into the kiosk: a line that
    cannot be written (disk full, file removed) is counted in `dropped`."""

    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
        self.dropped = 0

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        return open(fd, "a", encoding=self.encoding, errors="backslashreplace")  # the handler owns and closes it

    def handleError(self, record: logging.LogRecord) -> None:
        self.dropped += 1
        # The stream may be half-broken (ENOSPC mid-write): reopen on the next line.
        stream, self.stream = self.stream, None  # type: ignore[assignment]
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


@dataclass
class LogSetup:
    """What `setup_logging` installed; `close()` takes it out again (tests, re-setup)."""

    handler: KioskLogHandler
    redactor: Redactor
    path: Path
    _also_filtered: list[tuple[logging.Handler, int]] = dataclasses.field(default_factory=list)
    _root_level: int | None = None

    def close(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        if self._root_level is not None:
            root.setLevel(self._root_level)
        for other, level in self._also_filtered:
            other.removeFilter(self.redactor)
            other.setLevel(level)
        self.handler.close()


def log_dir(storage_dir: Path) -> Path:
    return Path(storage_dir) / LOG_DIR_NAME


def installed() -> LogSetup | None:
    """The kiosk's file handler on the root logger, if `setup_logging` ran."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, KioskLogHandler):
            redactor = next((f for f in handler.filters if isinstance(f, Redactor)), None)
            if redactor is not None:
                return LogSetup(handler, redactor, Path(handler.baseFilename))
    return None


def setup_logging(storage_dir: Path, *, level: int = logging.INFO, max_bytes: int = MAX_BYTES,
                  backups: int = BACKUPS) -> LogSetup:
    """Log to `<storage>/logs/kiosk.log` (rotated) through the redactor, and put the same
    redactor on every handler already on the root logger (the CLI's stderr). Calling it
    again replaces the previous kiosk handler (and keeps its remembered values out)."""
    directory = log_dir(storage_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o700)
    root = logging.getLogger()
    previous = installed()
    if previous is not None:
        root.removeHandler(previous.handler)
        previous.handler.close()
    redactor = Redactor()
    handler = KioskLogHandler(directory / LOG_FILE_NAME, max_bytes=max_bytes, backups=backups)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(redactor)
    also: list[tuple[logging.Handler, int]] = []
    for other in root.handlers:
        for old in [f for f in other.filters if isinstance(f, Redactor)]:
            other.removeFilter(old)
        other.addFilter(redactor)
        also.append((other, other.level))
        if other.level == logging.NOTSET:
            other.setLevel(root.level)  # the terminal's stderr keeps the verbosity it had
    root.addHandler(handler)
    root_level = root.level
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return LogSetup(handler, redactor, directory / LOG_FILE_NAME, also, root_level)


# -- the visit's values -----------------------------------------------------------------------

_IDENTITY_FIELDS = ("name", "id_number", "address", "appended_address", "permit_number", "english_name")
MIN_TYPED_CHARS = 4  # what a resident typed: 'pickup', '1' or '是' are not worth hiding


def identity_values(identity: object) -> list[str]:
    """The personal fields of a card (drivers.id_reader.identity.Identity) as strings."""
    values = [getattr(identity, name, None) for name in _IDENTITY_FIELDS]
    birth = getattr(identity, "birth_date", None)
    if isinstance(birth, dt.date):
        values += [birth.isoformat(), birth.strftime("%Y%m%d")]
    return [v for v in values if isinstance(v, str) and v]


def watch_visits(terminal: Terminal, redactor: Redactor) -> None:
    """Keep the current visit's personal values out of the log: the card's fields from
    the moment it is read (on the device thread, before anything else hears of it),
    what the resident types as the visit goes on; all forgotten when the visit ends."""
    from drivers.id_reader.device import CardRead

    def on_event(kind: str, event: object) -> None:
        if isinstance(event, CardRead):
            redactor.remember(identity_values(event.identity))

    def on_change(machine: Any) -> None:
        if not machine.active:
            redactor.forget()
            return
        visit = machine.visit
        typed = [*visit.form_values.values(), *visit.delivery.values()]
        values = [v for v in typed if isinstance(v, str) and len(v.strip()) >= MIN_TYPED_CHARS]
        if visit.identity is not None:
            values += identity_values(visit.identity)
        if values:
            redactor.remember(values)

    terminal.devices.on_event(on_event)
    terminal.machine.subscribe(on_change)


# -- reading and exporting --------------------------------------------------------------------

def _log_files(storage_dir: Path) -> list[Path]:
    """kiosk.log and its rotated predecessors, newest first."""
    base = log_dir(storage_dir) / LOG_FILE_NAME
    files = [base] + [base.with_name(f"{LOG_FILE_NAME}.{i}") for i in range(1, 100)]
    return [f for f in files if f.is_file()]


def _tail(path: Path, max_bytes: int) -> list[str]:
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, io.SEEK_END)
            start = max(0, size - max_bytes)
            handle.seek(start)
            data = handle.read()
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[1:] if start > 0 and lines else lines  # the first may be a partial line


def recent_lines(storage_dir: Path, n: int = 200) -> list[str]:
    """The last `n` log lines (oldest first), redacted once more and without control
    characters, each at most MAX_LINE_CHARS: what the technician screen shows."""
    redactor = Redactor()
    lines: list[str] = []
    for path in _log_files(storage_dir):
        lines = _tail(path, n * 400) + lines
        if len(lines) >= n:
            break
    shown = [_escape_controls(redactor.redact(line))[:MAX_LINE_CHARS] for line in lines[-n:]]
    return shown


@dataclass(frozen=True)
class ExportResult:
    path: Path
    files: int
    bytes: int


def export_logs(storage_dir: Path, dest_dir: Path, *, now: dt.datetime | None = None,
                terminal_id: str | None = None) -> ExportResult:
    """Write every log file, redacted again, as one tar.gz (mode 0600) into `dest_dir`
    (a technician's USB stick). Raises OSError when the destination cannot be written."""
    when = now or dt.datetime.now().astimezone()
    stamp = when.strftime("%Y%m%d-%H%M%S")
    label = re.sub(r"[^A-Za-z0-9-]", "", terminal_id or "") or "terminal"
    dest_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = dest_dir / f"kiosk-logs-{label}-{stamp}.tar.gz"
    tmp = target.with_name(target.name + ".tmp")
    redactor = Redactor()
    files = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as archive:
                for path in reversed(_log_files(storage_dir)):  # oldest first
                    try:
                        text = path.read_text(encoding="utf-8", errors="replace")
                    except OSError:
                        continue
                    data = "\n".join(_escape_controls(redactor.redact(line)) for line in text.splitlines())
                    encoded = (data + "\n").encode("utf-8") if data else b""
                    info = tarfile.TarInfo(f"kiosk-logs-{stamp}/{path.name}")
                    info.size = len(encoded)
                    info.mtime = int(when.timestamp())
                    info.mode = 0o600
                    archive.addfile(info, io.BytesIO(encoded))
                    files += 1
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return ExportResult(target, files, target.stat().st_size)
