"""Keeping an unattended terminal healthy (reliability.md §2.4, §6 rule 4, §7 A5/A7/B7).

* `DiskGuard`: free space on the storage partition. Below `refuse_below_bytes` plus
  the largest application seen, new applications are refused politely at their start,
  while there is still room for the one a resident may be finishing; below the higher
  `alert_below_bytes` a technician alert goes into the heartbeat.
* `DeviceSupervisor`: bounded self-heal. Every time a device falls from working into a
  fault it gets a reset (the runner's reconnect, or the driver's `reset_module`); after
  `max_resets` resets within `window_s` the next fault takes it OFFLINE until a
  technician puts it back, with an alert in the heartbeat.
* `NightlyJob`: once a night, inside a configured window of local time and never during
  a visit: purge what was delivered, vacuum the outbox, ask the platform about recently
  delivered applications (GET /v1/submissions/{id}), check the disk, hand freed heap
  memory back to the system.

Nothing here imports Qt. Wall-clock time is used only to place the nightly window and to
stamp alerts; every interval is measured on a monotonic clock, so a clock stepped by a
day neither repeats the nightly job at once nor keeps a device offline (reliability.md A7).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from drivers.health import DeviceState, Health
from kiosk.strings import register
from offline_queue import credentials as creds_mod
from offline_queue.client import NotFound, PlatformClient, SubmissionState, Transient, Unauthorized
from offline_queue.clock import Clock, SystemClock, rfc3339
from offline_queue.credentials import Credentials
from offline_queue.errors import OutboxError
from offline_queue.model import Kind, State, parse_time
from offline_queue.outbox import Outbox

log = logging.getLogger(__name__)

MIB = 1024 * 1024

register({
    "maintenance.disk_refuse": (
        "本机存储空间不足，暂时不能受理新的申请。请到其他自助终端或人工窗口办理；查询办理进度不受影响。",
        "This terminal is short of storage and cannot take new applications just now. Please use another "
        "terminal or a service counter; checking progress still works."),
    "maintenance.disk_low": ("存储空间偏低：剩余 {mib} MB", "Storage low: {mib} MB free"),
    "maintenance.device_offline": ("{device} 反复故障，已停用，请技术人员检修",
                                   "{device} kept failing and was taken offline; a technician is needed"),
})


# -- alerts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """Something a technician must see (technician screen, heartbeat). Never personal data."""

    code: str  # device_offline | disk_low | disk_full | reconcile_missing | reconcile_mismatch
    subject: str  # a device kind, "disk" or "outbox"
    message: str  # one line, Chinese and English
    since: str  # RFC 3339, when it was raised

    def to_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


class _HasAlerts(Protocol):
    def alerts(self) -> list[Alert]: ...


def collect_alerts(*sources: _HasAlerts | None) -> list[Alert]:
    """Every technician alert of the given sources (supervisor, disk guard, nightly job)."""
    return [alert for source in sources if source is not None for alert in source.alerts()]


def heartbeat_extras(*, help_requested: bool, alerts: Iterable[Alert]) -> dict[str, Any]:
    """Keys for the heartbeat (TerminalStatus allows more than it lists): a resident's
    call for staff and the technician alerts."""
    return {"help_requested": help_requested, "alerts": [a.to_json() for a in alerts]}


def _wall_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


# -- disk --------------------------------------------------------------------------------------

class DiskLevel(enum.Enum):
    OK = "ok"
    LOW = "low"  # a technician alert; applications are still taken
    FULL = "full"  # new applications are refused


@dataclass(frozen=True)
class DiskStatus:
    free_bytes: int
    level: DiskLevel
    accepting: bool
    needed_bytes: int  # free space below which new applications are refused

    @property
    def free_mib(self) -> int:
        return self.free_bytes // MIB


Usage = Callable[[Path], Any]  # shutil.disk_usage: anything with a `.free`

DEFAULT_REFUSE_BELOW = 200 * MIB
DEFAULT_ALERT_BELOW = 1024 * MIB
DEFAULT_LARGEST_APPLICATION = 32 * MIB  # ~20 A4 pages at 1.5 MB each, a signature and a face photo
RESUME_MARGIN = 20 * MIB  # hysteresis: a few MB freed by a purge must not flap the home screen


class DiskGuard:
    """Admission control for new applications on free disk space (reliability.md A5).

    The outbox itself refuses a write below 64 MiB (`StorageFull`), which a resident
    would meet only at 'submit' after filling everything in. This guard refuses far
    earlier, at the start of an application, and keeps the headroom of one whole
    application so that the visit already under way can always be saved."""

    def __init__(
        self,
        path: Path,
        *,
        refuse_below_bytes: int = DEFAULT_REFUSE_BELOW,
        alert_below_bytes: int = DEFAULT_ALERT_BELOW,
        largest_application_bytes: Callable[[], int] | int = DEFAULT_LARGEST_APPLICATION,
        usage: Usage | None = None,  # shutil.disk_usage, looked up at each call
        clock: Callable[[], float] = time.monotonic,
        cache_s: float = 5.0,
        resume_margin_bytes: int = RESUME_MARGIN,
        wall: Callable[[], dt.datetime] = _wall_now,
    ) -> None:
        if alert_below_bytes < refuse_below_bytes:
            raise ValueError("the alert threshold must not be below the refusal threshold")
        self.path = Path(path)
        self.refuse_below_bytes = refuse_below_bytes
        self.alert_below_bytes = alert_below_bytes
        self._largest = largest_application_bytes
        self._usage = usage
        self._clock = clock
        self._cache_s = cache_s
        self.resume_margin_bytes = resume_margin_bytes
        self._wall = wall
        self._lock = threading.Lock()
        self._cached: tuple[float, DiskStatus] | None = None
        self._refusing = False
        self._observed_largest = 0
        self._alert_since: str | None = None

    def __repr__(self) -> str:
        return f"DiskGuard({str(self.path)!r}, refusing={self._refusing})"

    def observe_application(self, size_bytes: int) -> None:
        """The size of an application just stored: the headroom grows to the largest seen."""
        with self._lock:
            self._observed_largest = max(self._observed_largest, int(size_bytes))
            self._cached = None

    def largest_application_bytes(self) -> int:
        configured = self._largest() if callable(self._largest) else self._largest
        return max(int(configured), self._observed_largest)

    def status(self, *, fresh: bool = False) -> DiskStatus:
        """Free space now (statvfs at most every `cache_s`; `fresh` forces one)."""
        now = self._clock()
        with self._lock:
            if not fresh and self._cached is not None and 0 <= now - self._cached[0] < self._cache_s:
                return self._cached[1]
        try:
            free = int((self._usage or shutil.disk_usage)(self.path).free)
        except OSError as exc:
            # A storage dir we cannot even stat is not a place to save applications in.
            log.error("disk usage of the storage dir unavailable: %s", type(exc).__name__)
            free = 0
        needed = self.refuse_below_bytes + self.largest_application_bytes()
        with self._lock:
            if self._refusing:
                self._refusing = free < needed + self.resume_margin_bytes
            else:
                self._refusing = free < needed
            if self._refusing:
                level = DiskLevel.FULL
            elif free < self.alert_below_bytes:
                level = DiskLevel.LOW
            else:
                level = DiskLevel.OK
            status = DiskStatus(free, level, not self._refusing, needed)
            if level is DiskLevel.OK:
                self._alert_since = None
            elif self._alert_since is None:
                self._alert_since = rfc3339(self._wall())
                log.warning("storage low: %d MiB free (refusing new applications: %s)", free // MIB,
                            self._refusing)
            self._cached = (now, status)
            return status

    def admits_new_application(self) -> bool:
        """Ask at the start of an application (before the card is read)."""
        return self.status().accepting

    def alerts(self) -> list[Alert]:
        status = self.status()
        if status.level is DiskLevel.OK:
            return []
        code = "disk_full" if status.level is DiskLevel.FULL else "disk_low"
        refusing = " — new applications refused / 暂停受理新申请" if status.level is DiskLevel.FULL else ""
        message = f"storage: {status.free_mib} MB free / 存储剩余 {status.free_mib} MB{refusing}"
        return [Alert(code, "disk", message, self._alert_since or rfc3339(self._wall()))]


def outbox_largest_application(outbox: Outbox) -> int:
    """The largest application waiting in the outbox, in bytes (0 when none waits)."""
    try:
        rows = outbox.db.query(
            "SELECT max(total) FROM (SELECT sum(size) AS total FROM materials GROUP BY submission_id)")
    except (OutboxError, sqlite3.Error, RuntimeError):
        return 0
    value = rows[0][0] if rows else None
    return int(value) if value is not None else 0


# -- devices -----------------------------------------------------------------------------------

# Faults a reset cannot fix: a person or a supply (reliability.md §5.3 userError, §6 MediaState).
MEDIA_REASONS = frozenset({"paper_out", "paper_near_end", "cover_open", "cutter_error"})
TAKEN_OFFLINE = "taken_offline"

Resetter = Callable[[str, Health], None]


@dataclass
class _Record:
    resets: deque[float] = field(default_factory=deque)  # monotonic times of the resets in the window
    resets_total: int = 0
    last: Health | None = None
    offline_since: str | None = None  # wall time, for the alert
    offline_reason: str = ""


@dataclass(frozen=True)
class DeviceRecord:
    """What the technician screen shows per device."""

    kind: str
    resets_in_window: int
    resets_total: int
    taken_offline: bool
    offline_since: str | None
    last_reason: str


class DeviceSupervisor:
    """Bounded self-heal per device (reliability.md §6 rule 4).

    Feed it every health change (`DeviceRegistry.on_health(supervisor.observe)`; any
    thread). A fault is a fall from working (ready, busy, degraded) into offline or
    error, other than a supply or a person (paper out, cover open). The first
    `max_resets` faults within `window_s` each get a reset; the next one takes the
    device OFFLINE: `effective()` reports it offline whatever its runner says, its
    resets stop, and an alert is raised until a technician calls `restore()`."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], dt.datetime] = _wall_now,
        max_resets: int = 3,
        window_s: float = 600.0,
        reset: Resetter | None = None,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self.max_resets = max_resets
        self.window_s = window_s
        self._reset = reset
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}
        self._listeners: list[Callable[[str], None]] = []

    def __repr__(self) -> str:
        return f"DeviceSupervisor(offline={self.offline_kinds()})"

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Called with the device kind when it is taken offline or restored (any thread)."""
        self._listeners.append(listener)

    def _record(self, kind: str) -> _Record:
        return self._records.setdefault(kind, _Record())

    def _expire(self, record: _Record, now: float) -> None:
        while record.resets and not 0 <= now - record.resets[0] < self.window_s:
            record.resets.popleft()

    def observe(self, kind: str, health: Health) -> None:
        now = self._clock()
        reset = False
        taken = False
        with self._lock:
            record = self._record(kind)
            before, record.last = record.last, health
            fault = (
                before is not None and before.state.usable and not health.usable
                and health.state is not DeviceState.CONNECTING and health.reason not in MEDIA_REASONS
            )
            if not fault or record.offline_since is not None:
                return
            self._expire(record, now)
            if len(record.resets) >= self.max_resets:
                record.offline_since = rfc3339(self._wall())
                record.offline_reason = health.reason or health.state.value
                taken = True
            else:
                record.resets.append(now)
                record.resets_total += 1
                reset = True
        if taken:
            log.warning("device-taken-offline %s after %d resets in %d s (last fault %s)", kind,
                        self.max_resets, int(self.window_s), health.reason or health.state.value)
            self._notify(kind)
        elif reset:
            log.info("device-reset %s (%s)", kind, health.reason or health.state.value)
            if self._reset is not None:
                try:
                    self._reset(kind, health)
                except Exception as exc:  # a reset that fails is one more fault, not a crash
                    log.warning("device reset of %s failed: %s", kind, type(exc).__name__)

    def _notify(self, kind: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(kind)
            except Exception as exc:
                log.warning("supervisor listener failed: %s", type(exc).__name__)

    def restore(self, kind: str) -> None:
        """A technician has looked at the device: back in service, with a fresh count."""
        with self._lock:
            record = self._record(kind)
            was = record.offline_since is not None
            record.offline_since = None
            record.offline_reason = ""
            record.resets.clear()
        if was:
            log.info("device-restored %s by a technician", kind)
            self._notify(kind)

    def is_offline(self, kind: str) -> bool:
        with self._lock:
            record = self._records.get(kind)
            return record is not None and record.offline_since is not None

    def offline_kinds(self) -> list[str]:
        with self._lock:
            return sorted(k for k, r in self._records.items() if r.offline_since is not None)

    def effective(self, kind: str, health: Health) -> Health:
        """The health the kiosk should act on: OFFLINE while taken offline."""
        if self.is_offline(kind):
            return Health(DeviceState.OFFLINE, TAKEN_OFFLINE, f"{self.max_resets} resets in {int(self.window_s)} s")
        return health

    def records(self) -> dict[str, DeviceRecord]:
        now = self._clock()
        with self._lock:
            out = {}
            for kind, record in sorted(self._records.items()):
                self._expire(record, now)
                out[kind] = DeviceRecord(
                    kind, len(record.resets), record.resets_total, record.offline_since is not None,
                    record.offline_since, record.offline_reason or (record.last.reason if record.last else ""))
            return out

    def alerts(self) -> list[Alert]:
        with self._lock:
            items = [(k, r.offline_since, r.offline_reason) for k, r in sorted(self._records.items())
                     if r.offline_since is not None]
        return [
            Alert("device_offline", kind,
                  f"{kind} taken offline after {self.max_resets} resets in {int(self.window_s // 60)} min "
                  f"(last fault: {reason}); technician needed / 设备反复故障已停用，请检修",
                  since or "")
            for kind, since, reason in items
        ]

    def heartbeat_devices(self, health: Mapping[str, Health]) -> list[dict[str, str]]:
        """TerminalStatus.devices: a device taken offline is reported offline, with why."""
        out = []
        for kind, h in sorted(health.items()):
            shown = self.effective(kind, h)
            entry = {"kind": kind, "state": shown.state.heartbeat}
            detail = "taken offline after repeated faults; technician needed" if shown.reason == TAKEN_OFFLINE \
                else shown.reason
            if detail:
                entry["detail"] = detail
            out.append(entry)
        return out


class _Runner(Protocol):
    driver: Any

    def call(self, fn: Callable[[Any], Any]) -> Any: ...
    def wake(self) -> None: ...


class _Registry(Protocol):
    def runner(self, kind: str) -> Any: ...


def registry_resetter(registry: _Registry) -> Resetter:
    """The reset for a device of the registry: the driver's own `reset_module` on its
    thread when it has one (the ID reader's SAM reset), else an immediate reconnect
    attempt (the runner already closed the port and reopens it)."""

    def reset(kind: str, health: Health) -> None:
        runner: _Runner | None = registry.runner(kind)
        if runner is None:
            return
        if health.state is DeviceState.ERROR and callable(getattr(runner.driver, "reset_module", None)):
            runner.call(lambda driver: driver.reset_module())
        else:
            runner.wake()

    return reset


# -- the nightly job ----------------------------------------------------------------------------

@dataclass(frozen=True)
class MaintenanceWindow:
    """Local wall-clock times; `end` may be past midnight (23:30–01:30)."""

    start: dt.time = dt.time(2, 0)
    end: dt.time = dt.time(4, 0)

    def contains(self, when: dt.datetime) -> bool:
        t = when.time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def night_of(self, when: dt.datetime) -> dt.date:
        """The date the window started on (02:30 → today; 00:30 in 23:30–01:30 → yesterday)."""
        if self.start > self.end and when.time().replace(tzinfo=None) < self.end:
            return when.date() - dt.timedelta(days=1)
        return when.date()


@dataclass(frozen=True)
class StepResult:
    name: str  # disk | purge | vacuum | reconcile | memory
    ok: bool
    detail: str = ""


@dataclass
class NightlyReport:
    night: str
    started_at: str
    finished_at: str = ""
    steps: list[StepResult] = field(default_factory=list)
    completed: bool = False
    interrupted: bool = False  # a visit began: the rest runs at the next tick
    purged: int = 0
    reconciled: int = 0
    mismatches: list[str] = field(default_factory=list)  # "receipt_no: why" (no personal data)
    free_bytes: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["steps"] = [dataclasses.asdict(s) for s in self.steps]
        return data


ClientFactory = Callable[[Credentials], PlatformClient]
Background = Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]
STATE_FILE = "maintenance.json"
DAY_S = 86_400.0


class _Interrupted(Exception):
    pass


def _rss_kib() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def release_free_memory() -> bool:
    """Hand glibc's free heap pages back to the system: a process with a dozen threads
    running for months keeps freed memory in per-thread arenas otherwise, and
    MemoryHigh/MemoryMax (kiosk.service) count it (reliability.md §2.4). Measured in
    bench/bench_visit.py: over 150 application visits RSS grew 23 MB untrimmed, 7 MB
    when trimmed. False where there is no glibc."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


# glibc's mallopt parameter for the most arenas it makes (malloc.h: M_ARENA_MAX = -8).
_M_ARENA_MAX = -8


def limit_malloc_arenas(count: int = 2) -> bool:
    """Let glibc make at most `count` malloc arenas, whatever the number of threads.

    Without a limit glibc makes up to 8 per core, a new one when a new thread finds
    the others busy; an arena is never given back, and what a thread left live in it
    stays there. Measured in the soak (bench/bench_soak.py): a worker thread replaced
    after visit 565 of 700 came with a new arena holding 11 MB after malloc_trim, a
    one-step rise of the kind that took the 2,000-visit soak over its 10 MB budget.
    The kiosk's threads mostly wait, and Python runs one at a time, so two arenas cost
    no speed. Call before the threads start. False where there is no glibc."""
    import ctypes

    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, count))
    except (OSError, AttributeError):
        return False


def _trim_memory() -> StepResult:
    before = _rss_kib()
    if not release_free_memory():
        return StepResult("memory", True, "malloc_trim not available")
    after = _rss_kib()
    if before is None or after is None:
        return StepResult("memory", True, "trimmed")
    return StepResult("memory", True, f"RSS {before // 1024} -> {after // 1024} MiB")


def _default_client(creds: Credentials) -> PlatformClient:
    return PlatformClient(creds.platform_url, creds.token, timeout=10.0)


class NightlyJob:
    """The night's housekeeping. Call `tick()` about once a minute from the UI's timer;
    it starts `run()` through the background helper when the window is open, tonight's
    run is not done, and no visit is active. `run()` checks for a visit between steps
    (and between platform requests) and stops when one begins; the next tick inside the
    window carries on, and a run that did not finish is retried the next night.

    Guards against clock steps: a run is once per night of the window (the date is kept
    on disk for restarts), and never twice within `min_interval_s` of monotonic time; a
    night the wall clock calls "done" runs anyway once about a day of monotonic time has
    passed. So a clock stepped back a day neither repeats tonight's run nor skips the
    next night's, and a clock stepped forward at most moves a run by the step."""

    def __init__(
        self,
        storage_dir: Path,
        *,
        outbox: Callable[[], Outbox | None],
        visit_active: Callable[[], bool],
        clock: Clock | None = None,
        window: MaintenanceWindow | None = None,
        disk: DiskGuard | None = None,
        credentials: Callable[[], Credentials | None] | None = None,
        client_factory: ClientFactory = _default_client,
        reconcile_days: int = 7,
        reconcile_limit: int = 200,
        min_interval_s: float = 12 * 3600.0,
    ) -> None:
        self.storage_dir = Path(storage_dir)
        self._outbox = outbox
        self._visit_active = visit_active
        self.clock: Clock = clock or SystemClock()
        self.window = window or MaintenanceWindow()
        self.disk = disk
        self._credentials = credentials or (lambda: creds_mod.load(self.storage_dir))
        self._client_factory = client_factory
        self.reconcile_days = reconcile_days
        self.reconcile_limit = reconcile_limit
        self.min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._running = False
        self._checking_visits = True
        self._last_mono: float | None = None
        self._alerts: list[Alert] = []
        self.last_report: NightlyReport | None = None
        self._state = self._load_state()

    def __repr__(self) -> str:
        return f"NightlyJob({self.window.start}-{self.window.end}, last={self._state.get('night')})"

    # -- state on disk ------------------------------------------------------------------------
    def _state_path(self) -> Path:
        return self.storage_dir / STATE_FILE

    def _load_state(self) -> dict[str, Any]:
        try:
            data = json.loads(self._state_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_state(self, report: NightlyReport) -> None:
        self._state = {"night": report.night, "finished_at": report.finished_at, "report": report.to_json()}
        path = self._state_path()
        tmp = path.with_name(path.name + ".tmp")
        try:
            self.storage_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._state, handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as exc:  # a full disk: the job simply runs again tomorrow
            log.warning("nightly state not saved: %s", type(exc).__name__)

    @property
    def last_night(self) -> str | None:
        night = self._state.get("night")
        return str(night) if night else None

    # -- scheduling ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running

    def due(self) -> bool:
        now = self.clock.now()
        if not self.window.contains(now):
            return False
        done_tonight = self.last_night == self.window.night_of(now).isoformat()
        if self._last_mono is None:  # since a restart: the date on disk is all we know
            if done_tonight:
                return False
        else:
            since = self.clock.monotonic() - self._last_mono
            if 0 <= since < self.min_interval_s:
                return False
            # "Done tonight" by a date the clock was stepped back to, a day of real time
            # ago: the night is a new one all the same.
            if done_tonight and 0 <= since < DAY_S - self.min_interval_s / 2:
                return False
        return not self._visit_active()

    def tick(self, background: Background | None = None) -> bool:
        """Start tonight's run if it is due; True when it was started."""
        with self._lock:
            if self._running or not self.due():
                return False
            self._running = True

        def done(result: Any, exc: BaseException | None) -> None:
            with self._lock:
                self._running = False
            if exc is not None:
                log.error("nightly job failed: %s", type(exc).__name__)

        if background is None:
            try:
                self._run()
            finally:
                done(None, None)
        else:
            background(self._run, done)
        return True

    def run(self, *, technician: bool = False) -> NightlyReport:
        """Run now, whatever the window says. `technician`: asked for on the technician
        screen, where the session itself counts as a visit; otherwise it stops when a
        visit begins."""
        with self._lock:
            if self._running:
                raise RuntimeError("the nightly job is already running")
            self._running = True
        try:
            return self._run(check_visits=not technician)
        finally:
            with self._lock:
                self._running = False

    # -- the work --------------------------------------------------------------------------------
    def _check_visit(self) -> None:
        if self._checking_visits and self._visit_active():
            raise _Interrupted

    def _run(self, *, check_visits: bool = True) -> NightlyReport:
        self._checking_visits = check_visits
        now = self.clock.now()
        report = NightlyReport(night=self.window.night_of(now).isoformat(), started_at=rfc3339(now))
        log.info("nightly maintenance started")
        alerts: list[Alert] = []
        try:
            for name, step in (("disk", self._disk), ("purge", self._purge), ("vacuum", self._vacuum),
                               ("reconcile", self._reconcile)):
                self._check_visit()
                try:
                    report.steps.append(step(report, alerts))
                except _Interrupted:
                    raise
                except (OutboxError, OSError, sqlite3.Error) as exc:
                    report.steps.append(StepResult(name, False, type(exc).__name__))
                    log.warning("nightly step %s failed: %s", name, type(exc).__name__)
            report.steps.append(self._disk(report, alerts))
            report.steps.append(_trim_memory())
            report.completed = True
        except _Interrupted:
            report.interrupted = True
            log.info("nightly maintenance paused: a visit began")
        report.finished_at = rfc3339(self.clock.now())
        self.last_report = report
        if report.completed:
            self._last_mono = self.clock.monotonic()
            self._alerts = alerts
            self._save_state(report)
            log.info("nightly maintenance done: purged %d, reconciled %d, %d mismatch(es)",
                     report.purged, report.reconciled, len(report.mismatches))
        return report

    def _disk(self, report: NightlyReport, alerts: list[Alert]) -> StepResult:
        if self.disk is None:
            return StepResult("disk", True, "no guard")
        status = self.disk.status(fresh=True)
        report.free_bytes = status.free_bytes
        return StepResult("disk", status.level is DiskLevel.OK, f"{status.free_mib} MiB free, {status.level.value}")

    def _purge(self, report: NightlyReport, alerts: list[Alert]) -> StepResult:
        """Delivered rows whose personal data is still here (the worker purges at once;
        this catches a crash between the ack and the purge)."""
        outbox = self._outbox()
        if outbox is None:
            return StepResult("purge", False, "outbox not open")
        purged = 0
        for item in outbox.list([State.DELIVERED], limit=10_000):
            self._check_visit()
            if item.kind is Kind.APPLICATION:
                done = outbox.purge(item.id, checkpoint=False)
            else:
                done = outbox.purge_evaluation(item.id, checkpoint=False)
            purged += int(done)
        if purged:
            outbox.db.checkpoint_truncate()
        report.purged = purged
        return StepResult("purge", True, f"{purged} purged")

    def _vacuum(self, report: NightlyReport, alerts: list[Alert]) -> StepResult:
        """VACUUM rebuilds the file without the free pages left by purged rows (with
        secure_delete they are zeroes already; this gives the space back). It needs
        about the database's size again in free space: skipped when that is short."""
        outbox = self._outbox()
        if outbox is None:
            return StepResult("vacuum", False, "outbox not open")
        db_path = Path(outbox.db.path)
        size = db_path.stat().st_size if db_path.exists() else 0
        free = shutil.disk_usage(db_path.parent).free
        if free < 2 * size + outbox.min_free_bytes:  # VACUUM writes a whole copy first
            return StepResult("vacuum", False, "skipped: not enough free space")
        with outbox.db.locked() as conn:
            conn.execute("VACUUM")
        outbox.db.checkpoint_truncate()
        after = db_path.stat().st_size if db_path.exists() else 0
        return StepResult("vacuum", True, f"{size // 1024} KiB -> {after // 1024} KiB")

    def _reconcile(self, report: NightlyReport, alerts: list[Alert]) -> StepResult:
        """Does the platform hold what we think we delivered? GET each application
        delivered in the last `reconcile_days` and compare its state and case number.
        A platform that forgot one is an alert: its personal data is purged here, so
        only staff can recover it (the receipt number names it)."""
        outbox = self._outbox()
        creds = self._credentials()
        if outbox is None or creds is None:
            return StepResult("reconcile", False, "not provisioned" if creds is None else "outbox not open")
        since = self.clock.now() - dt.timedelta(days=self.reconcile_days)
        candidates = []
        for item in outbox.list([State.DELIVERED, State.PURGED], limit=self.reconcile_limit * 2):
            created = parse_time(item.created_at)
            if item.kind is Kind.APPLICATION and (created is None or created >= since):
                candidates.append(item)
        candidates = candidates[: self.reconcile_limit]
        checked = 0
        missing: list[str] = []
        client = self._client_factory(creds)
        try:
            for item in candidates:
                self._check_visit()
                answer = client.get_submission(item.id)
                if isinstance(answer, Transient | Unauthorized):
                    why = "platform unreachable" if isinstance(answer, Transient) else "token refused (401)"
                    report.reconciled = checked
                    return StepResult("reconcile", False, f"{checked} checked, then {why}")
                checked += 1
                label = item.receipt_no or item.id
                if isinstance(answer, NotFound):
                    missing.append(label)
                    report.mismatches.append(f"{label}: unknown to the platform")
                elif not isinstance(answer, SubmissionState):
                    report.mismatches.append(f"{label}: refused (http {answer.status})")
                elif answer.state != "finalized":
                    report.mismatches.append(f"{label}: platform state {answer.state}")
                elif item.case_no and answer.case_no and answer.case_no != item.case_no:
                    report.mismatches.append(f"{label}: case {answer.case_no} on the platform, {item.case_no} here")
                elif not item.case_no and answer.case_no:
                    report.mismatches.append(f"{label}: case {answer.case_no} not recorded here")
        finally:
            with contextlib.suppress(Exception):
                client.close()
        report.reconciled = checked
        stamp = rfc3339(self.clock.now())
        if missing:
            alerts.append(Alert("reconcile_missing", "outbox",
                                f"{len(missing)} delivered application(s) unknown to the platform: "
                                f"{', '.join(missing[:5])} / 平台缺少已递交的申请", stamp))
        others = [m for m in report.mismatches if not m.endswith("unknown to the platform")]
        if others:
            alerts.append(Alert("reconcile_mismatch", "outbox",
                                f"{len(others)} application(s) differ from the platform: {others[0]} / 与平台记录不一致",
                                stamp))
        return StepResult("reconcile", not report.mismatches, f"{checked} checked, {len(report.mismatches)} differ")

    def alerts(self) -> list[Alert]:
        return list(self._alerts)
