"""The sync worker: delivers the outbox to the platform, on its own thread.

One pass (`run_once`) does, in order:
1. if a 401 paused delivery less than 5 minutes ago (and the token is unchanged), nothing;
2. a heartbeat when one is due (every 60 s): device health from a callback, queue
   health from the outbox; a different `catalog_etag` in the answer fetches the catalog;
3. every due application in capture order: PUT manifest → HEAD/PATCH each missing
   material from the platform's offset (chunks ≤ 4 MiB with Upload-Checksum) →
   finalize (409 → upload the listed materials, finalize again; 404 → PUT again) →
   store the case number → purge the personal data;
4. every due evaluation (PUT /v1/evaluations/{id}), after its application.

A transient failure puts the row back with capped exponential backoff and jitter (at
least the `Retry-After`), forever; it also pauses the whole worker for a similar time
so that a dead network costs one request per interval, not one per row. A permanent
refusal quarantines the row with the platform's reason. 401 pauses everything, raises
the technician alert and probes again no more often than every 5 minutes.

The worker holds the outbox's worker lock (one delivering process per storage dir);
taking it hands rows a dead worker left `delivering` back to `pending`. Never run it
on the GUI thread: `start()` makes its own thread; `run_once()` is for the CLI and
tests (with an injected clock and `ignore_timers`).
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import logging
import random
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from offline_queue import catalog_cache, crashpoints
from offline_queue import credentials as creds_mod
from offline_queue.client import (
    MAX_CHUNK,
    CaseRef,
    ChecksumMismatch,
    HeartbeatAck,
    MissingMaterials,
    NotFound,
    OffsetMismatch,
    PlatformClient,
    Recorded,
    Rejected,
    SubmissionState,
    Transient,
    Unauthorized,
    UploadOffset,
)
from offline_queue.clock import Clock, SystemClock, rfc3339
from offline_queue.credentials import Credentials
from offline_queue.crypto import DecryptionFailed
from offline_queue.errors import OutboxError
from offline_queue.model import Kind, Quarantine
from offline_queue.outbox import Claim, Outbox

log = logging.getLogger(__name__)

AUTH_ALERT = "auth: the platform refused this terminal's token (401); re-provision it / 平台拒绝终端令牌，请重新注册"


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter: attempt n waits uniformly between half and
    all of min(cap, base·2^(n-1)) (a floor keeps a dead link from being hammered)."""

    base_s: float = 30.0
    cap_s: float = 900.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, min(attempts, 30) - 1))
        return rng.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class SyncTimers:
    """The worker's named delays, in one place."""

    heartbeat_interval_s: float = 60.0
    auth_pause_s: float = 300.0  # platform-api.yaml: after a 401, no more often than every 5 minutes
    max_idle_s: float = 60.0  # longest sleep between passes with nothing due
    backoff: Backoff = field(default_factory=Backoff)


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    QUARANTINED = "quarantined"
    DEFERRED = "deferred"  # a transient failure: retried later
    UNAUTHORIZED = "unauthorized"
    STOPPED = "stopped"


@dataclass
class SyncReport:
    """What one pass did."""

    delivered: int = 0
    evaluations_delivered: int = 0
    quarantined: int = 0
    deferred: int = 0
    auth_paused: bool = False
    not_provisioned: bool = False
    worker_busy: bool = False  # another process holds the worker lock
    waiting: bool = False  # skipped: inside the global backoff
    heartbeat: bool | None = None
    catalog_updated: bool = False
    errors: list[str] = field(default_factory=list)


class _Deferred(Exception):
    """Internal: stop this delivery, retry later."""

    def __init__(self, failure: Transient | Unauthorized | None, reason: str = "") -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason or (failure.reason if isinstance(failure, Transient) else "401")


class _Quarantine(Exception):
    def __init__(self, why: Quarantine) -> None:
        super().__init__(why.reason)
        self.why = why


class _Restart(Exception):
    """The platform does not know the submission (404): PUT it again."""


DeviceHealth = Callable[[], Sequence[Mapping[str, Any]]]
ClientFactory = Callable[[Credentials], PlatformClient]


class SyncWorker:
    def __init__(
        self,
        outbox: Outbox,
        *,
        clock: Clock | None = None,
        credentials: Callable[[], Credentials | None] | None = None,
        client_factory: ClientFactory | None = None,
        device_health: DeviceHealth | None = None,
        app_version: str = "0.1.0",
        timers: SyncTimers | None = None,
        rng: random.Random | None = None,
        on_catalog_updated: Callable[[], None] | None = None,
        on_pass: Callable[[SyncReport], None] | None = None,
        heartbeat_extras: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self.outbox = outbox
        self.clock: Clock = clock or outbox.clock or SystemClock()
        self._credentials = credentials or (lambda: creds_mod.load(outbox.storage_dir))
        self._client_factory = client_factory or (lambda c: PlatformClient(c.platform_url, c.token, clock=self.clock))
        self._device_health = device_health or (lambda: [])
        self.app_version = app_version
        self.timers = timers or SyncTimers()
        self._rng = rng or random.Random()
        self._on_catalog_updated = on_catalog_updated
        self._on_pass = on_pass
        self._heartbeat_extras = heartbeat_extras
        self._client: PlatformClient | None = None
        self._client_key: tuple[str, str] | None = None
        self._started_mono = self.clock.monotonic()
        self._next_heartbeat = 0.0
        self._pause_until = 0.0  # monotonic; the global backoff
        self._failures = 0
        self._link_down = False
        self._purged = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pass_lock = threading.Lock()
        self.last_report: SyncReport | None = None

    def __repr__(self) -> str:
        return f"SyncWorker({self.outbox!r}, running={self.running})"

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Run passes on a background thread until `stop()`; anything queued through this
        outbox wakes it at once. Raises OutboxError when another process is already
        delivering this outbox."""
        if self.running:
            return
        if not self.outbox.acquire_worker_lock():
            raise OutboxError("another process is delivering this outbox / 另一进程正在递交")
        self.outbox.add_listener(self.wake)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="outbox-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the current request (an interrupted upload resumes next time)."""
        self._stop.set()
        self._wake.set()
        self.outbox.remove_listener(self.wake)
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        with self._pass_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        self.outbox.release_worker_lock()

    def wake(self) -> None:
        """Something new to deliver (or the network came back): run a pass now."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            productive = False
            try:
                report = self.run_once()
                productive = bool(report.delivered or report.evaluations_delivered or report.quarantined)
            except Exception as exc:  # a bug or a storage failure: log the type only, keep the thread alive
                log.error("sync pass failed: %s", type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
                self._pause_until = self.clock.monotonic() + self.timers.backoff.delay(
                    self._failures + 1, self._rng)
            wait = self._next_wakeup_s()
            if productive:
                wait = min(wait, 0.05)
            self._wake.wait(max(0.05, wait))
            self._wake.clear()

    def _next_wakeup_s(self) -> float:
        mono = self.clock.monotonic()
        candidates = [self.timers.max_idle_s, max(0.0, self._next_heartbeat - mono)]
        paused = self._auth_pause_remaining_s()
        if paused is not None:  # no request at all until the pause after a 401 is over
            return max(1.0, min(paused, self.timers.auth_pause_s))
        if self._pause_until > mono:  # backing off: only the heartbeat's rhythm continues
            candidates.append(max(1.0, self._pause_until - mono))
        else:
            due = self.outbox.next_due_ts()
            if due is not None:
                candidates.append(max(1.0, due - self.clock.now().timestamp()))
        return min(candidates)

    # -- one pass ----------------------------------------------------------------------------
    def run_once(self, ignore_timers: bool = False) -> SyncReport:
        """One pass over everything due (everything undelivered with `ignore_timers`,
        which also ignores the pause after a 401 and the backoff). `on_pass` is called
        with the report afterwards, on the calling thread (the worker's own thread when
        started): a Qt caller must hand it to the GUI thread through a queued signal."""
        with self._pass_lock:
            report = SyncReport()
            self._pass(report, ignore_timers)
            self.last_report = report
        if self._on_pass is not None:
            try:
                self._on_pass(report)
            except Exception as exc:  # the UI's callback must not stop delivery
                log.warning("on_pass callback failed: %s", type(exc).__name__)
        return report

    def _pass(self, report: SyncReport, ignore_timers: bool) -> None:
        if not self.outbox.acquire_worker_lock():
            report.worker_busy = True
            return
        creds = self._credentials()
        if creds is None:
            report.not_provisioned = True
            return
        if not ignore_timers and self._auth_pause_remaining_s(creds) is not None:
            report.auth_paused = True
            return
        client = self._client_for(creds)
        try:
            # The heartbeat keeps its own 60 s rhythm through any delivery backoff: it is
            # the cheap probe that notices the platform is back (and then expedites).
            heartbeat_due = ignore_timers or self.clock.monotonic() >= self._next_heartbeat
            if heartbeat_due:
                outcome = self._heartbeat(client, creds, report)
                if outcome is Outcome.UNAUTHORIZED:
                    return
                if outcome is Outcome.DEFERRED and not ignore_timers:
                    self._failed(None, link_down=True)  # no link: do not try every row as well
            if not ignore_timers and self.clock.monotonic() < self._pause_until:
                report.waiting = True
                return
            for kind in (Kind.APPLICATION, Kind.EVALUATION):
                if self._deliver_all(client, creds, kind, report, ignore_timers) is Outcome.UNAUTHORIZED:
                    return
        finally:
            if self._purged:  # old page images of purged rows must not linger in the -wal file
                self._purged = False
                self.outbox.db.checkpoint_truncate()
            self._store_clock_offset(client)

    def _deliver_all(self, client: PlatformClient, creds: Credentials, kind: Kind, report: SyncReport,
                     ignore_timers: bool) -> Outcome | None:
        after = 0
        consecutive = 0
        while not self._stop.is_set():
            claimed = self.outbox.claim_next(kind, after_seq=after, ignore_timers=ignore_timers)
            if claimed is None:
                return None
            claim, after = claimed
            outcome = self._deliver(client, claim)
            if outcome is Outcome.DELIVERED:
                consecutive = 0
                self._succeeded(creds)
                if kind is Kind.APPLICATION:
                    report.delivered += 1
                else:
                    report.evaluations_delivered += 1
            elif outcome is Outcome.QUARANTINED:
                consecutive = 0
                self._succeeded(creds)
                report.quarantined += 1
            elif outcome is Outcome.UNAUTHORIZED:
                self._unauthorized(creds)
                report.auth_paused = True
                report.deferred += 1
                return outcome
            elif outcome is Outcome.DEFERRED:
                report.deferred += 1
                consecutive += 1
                if consecutive >= 3:  # the platform or the link is down: the rest waits
                    return outcome
        return Outcome.STOPPED

    # -- one item ----------------------------------------------------------------------------
    def _deliver(self, client: PlatformClient, claim: Claim) -> Outcome:
        try:
            if claim.kind is Kind.APPLICATION:
                self._deliver_application(client, claim)
            else:
                self._deliver_evaluation(client, claim)
        except _Deferred as d:
            if d.failure is None:  # stopped mid-upload: due again at once, resumes from the platform's offset
                self.outbox.release(claim, d.reason, 0.0)
                return Outcome.STOPPED
            retry_after = d.failure.retry_after_s if isinstance(d.failure, Transient) else None
            delay = self.timers.backoff.delay(claim.attempts, self._rng)
            if retry_after is not None:
                delay = max(retry_after, min(delay, retry_after + self.timers.backoff.base_s))
            if isinstance(d.failure, Unauthorized):
                delay = self.timers.auth_pause_s
            self.outbox.release(claim, d.reason, delay)
            self._set_last_error(d.reason)
            if isinstance(d.failure, Unauthorized):
                return Outcome.UNAUTHORIZED
            self._failed(retry_after, link_down=isinstance(d.failure, Transient) and d.failure.status is None)
            return Outcome.DEFERRED
        except _Quarantine as q:
            self.outbox.quarantine(claim, q.why)
            return Outcome.QUARANTINED
        return Outcome.DELIVERED

    @staticmethod
    def _check(result: object) -> None:
        """Raise for the outcomes every operation shares."""
        if isinstance(result, Transient | Unauthorized):
            raise _Deferred(result)
        if isinstance(result, Rejected):
            status = result.status
            reason = "conflict" if status == 409 else "validation" if status == 422 else "rejected"
            p = result.problem
            raise _Quarantine(Quarantine(reason, status, p.title, p.errors, p.detail))

    def _deliver_application(self, client: PlatformClient, claim: Claim) -> None:
        try:
            manifest = self.outbox.payload(Kind.APPLICATION, claim.id)
        except (DecryptionFailed, ValueError):
            raise _Quarantine(Quarantine("unreadable", None, "stored application cannot be decrypted")) from None
        sizes = {str(m["material_id"]): int(m["size"]) for m in manifest.get("materials", [])}
        for _restart in range(3):
            try:
                state = client.put_submission(claim.id, manifest)
                self._check(state)
                if not isinstance(state, SubmissionState):
                    raise _Deferred(Transient("unexpected answer to PUT"))
                missing = list(state.missing) if state.state == "awaiting_materials" else []
                # Just created (201): every offset is 0, no need to ask. After a 200 (a
                # repeat) the platform may hold part of a file: HEAD first.
                fresh = state.created
                for _round in range(4):
                    self._upload(client, claim, missing, sizes, fresh)
                    fresh = False
                    result = client.finalize(claim.id)
                    if isinstance(result, MissingMaterials):
                        missing = list(result.missing)
                        continue
                    if isinstance(result, NotFound):
                        raise _Restart
                    self._check(result)
                    if not isinstance(result, CaseRef):
                        raise _Deferred(Transient("unexpected answer to finalize"))
                    if result.receipt_no != manifest.get("receipt_no"):
                        raise _Deferred(Transient("finalize answered another receipt number"))
                    crashpoints.hit("deliver.before_ack")
                    if self.outbox.mark_delivered(claim, result.case_no, result.received_at):
                        self.outbox.purge(claim.id, checkpoint=False)  # the pass checkpoints once at its end
                        self._purged = True
                        log.info("application %s delivered as case %s", claim.id, result.case_no)
                    return
                raise _Deferred(Transient("finalize keeps listing missing materials"))
            except _Restart:
                continue
        raise _Deferred(Transient("the platform keeps forgetting the submission (404)"))

    def _upload(self, client: PlatformClient, claim: Claim, missing: list[str], sizes: Mapping[str, int],
                fresh: bool) -> None:
        for material_id in missing:
            if material_id not in sizes:
                raise _Deferred(Transient("the platform lists a material that is not in the manifest"))
            self._upload_one(client, claim, material_id, sizes[material_id], fresh)

    def _upload_one(self, client: PlatformClient, claim: Claim, material_id: str, size: int, fresh: bool) -> None:
        if fresh:
            offset = 0  # a wrong guess costs one 409 carrying the real offset
        else:
            head = client.head_material(claim.id, material_id)
            if isinstance(head, NotFound):
                raise _Restart
            self._check(head)
            if not isinstance(head, UploadOffset):
                raise _Deferred(Transient("unexpected answer to HEAD"))
            offset = head.offset
        if offset == size:
            return
        if offset > size:
            raise _Deferred(Transient("HEAD offset beyond the material's size"))
        try:
            data = self.outbox.material_bytes(claim.id, material_id)
        except DecryptionFailed:
            raise _Quarantine(Quarantine("material_corrupt", None, f"material file {material_id} is damaged")) from None
        if data is None:
            raise _Quarantine(Quarantine("material_missing", None, f"material file {material_id} is missing"))
        if len(data) != size:
            raise _Quarantine(Quarantine("material_corrupt", None, f"material file {material_id} has another size"))
        budget = 16 + 4 * (size // MAX_CHUNK + 1)
        checksum_failures = 0
        while offset < size:
            if self._stop.is_set():
                raise _Deferred(None, "stopped")
            budget -= 1
            if budget < 0:
                raise _Deferred(Transient("upload makes no progress"))
            chunk = data[offset : offset + MAX_CHUNK]
            result = client.patch_material(claim.id, material_id, offset, chunk)
            if isinstance(result, UploadOffset):
                if not offset < result.offset <= size:
                    raise _Deferred(Transient("PATCH answered an impossible offset"))
                offset = result.offset
            elif isinstance(result, OffsetMismatch | ChecksumMismatch):
                if result.offset > size:
                    raise _Deferred(Transient("the platform holds more bytes than the material has"))
                if isinstance(result, ChecksumMismatch):
                    checksum_failures += 1
                    if checksum_failures > 3:
                        raise _Deferred(Transient("repeated checksum mismatches"))
                offset = result.offset
            elif isinstance(result, NotFound):
                raise _Restart
            else:
                self._check(result)
                raise _Deferred(Transient("unexpected answer to PATCH"))

    def _deliver_evaluation(self, client: PlatformClient, claim: Claim) -> None:
        try:
            body = self.outbox.payload(Kind.EVALUATION, claim.id)
        except (DecryptionFailed, ValueError):
            raise _Quarantine(Quarantine("unreadable", None, "stored evaluation cannot be decrypted")) from None
        result = client.put_evaluation(claim.id, body)
        self._check(result)
        if not isinstance(result, Recorded):
            raise _Deferred(Transient("unexpected answer to the evaluation PUT"))
        if self.outbox.mark_delivered(claim):
            self.outbox.purge_evaluation(claim.id, checkpoint=False)
            self._purged = True

    # -- heartbeat and catalog ---------------------------------------------------------------------
    def heartbeat_body(self, creds: Credentials | None = None) -> dict[str, Any]:
        status = self.outbox.status()
        devices = []
        try:
            for d in self._device_health():
                if isinstance(d, Mapping) and d.get("kind") and d.get("state"):
                    devices.append({k: v for k, v in d.items() if k in ("kind", "model", "state", "detail")})
        except Exception as exc:  # the health callback is not ours: never let it stop delivery
            log.warning("device health callback failed: %s", type(exc).__name__)
        body: dict[str, Any] = {
            "at": rfc3339(self.clock.now()),
            "app_version": self.app_version,
            "uptime_s": int(self.clock.monotonic() - self._started_mono),
            "devices": devices,
            "queue": {"pending": status.pending + status.delivering, "failed": status.quarantined,
                      "oldest_pending_age_s": status.oldest_pending_age_s},
        }
        etag = catalog_cache.read_etag(self.outbox.storage_dir)
        if etag:
            body["catalog_etag"] = etag
        with contextlib.suppress(OSError):
            body["disk_free_bytes"] = shutil.disk_usage(self.outbox.storage_dir).free
        if self._heartbeat_extras is not None:
            # TerminalStatus lists no additionalProperties limit: the terminal adds a
            # resident's call for staff and technician alerts. They never replace a
            # listed key, and a failing callback costs only the extras.
            try:
                extras = self._heartbeat_extras()
            except Exception as exc:
                log.warning("heartbeat extras callback failed: %s", type(exc).__name__)
            else:
                body.update({k: v for k, v in extras.items() if k not in body})
        return body

    def _heartbeat(self, client: PlatformClient, creds: Credentials, report: SyncReport) -> Outcome | None:
        self._next_heartbeat = self.clock.monotonic() + self.timers.heartbeat_interval_s
        ack = client.heartbeat(creds.terminal_id, self.heartbeat_body(creds))
        if isinstance(ack, Unauthorized):
            self._unauthorized(creds)
            report.auth_paused = True
            report.heartbeat = False
            return Outcome.UNAUTHORIZED
        if not isinstance(ack, HeartbeatAck):
            report.heartbeat = False
            report.errors.append("heartbeat: " + (ack.reason if isinstance(ack, Transient) else f"http {ack.status}"))
            if isinstance(ack, Transient):
                self._set_last_error(ack.reason)
                return Outcome.DEFERRED
            return None
        report.heartbeat = True
        self._clear_auth_pause()
        if self._link_down:  # the platform is reachable again: do not wait out every row's backoff
            self._link_down = False
            self._failures = 0
            self._pause_until = 0.0
            self.outbox.expedite()
        # A backoff the platform asked for (503/429 Retry-After) still stands.
        if ack.catalog_etag and ack.catalog_etag != catalog_cache.read_etag(self.outbox.storage_dir):
            report.catalog_updated = self.refresh_catalog(client)
        return None

    def refresh_catalog(self, client: PlatformClient | None = None) -> bool:
        """Fetch the catalog when it changed; True when a new one was stored."""
        if client is None:
            creds = self._credentials()
            if creds is None:
                return False
            client = self._client_for(creds)
        return fetch_and_store_catalog(client, self.outbox.storage_dir, self._on_catalog_updated)

    # -- bookkeeping ---------------------------------------------------------------------------------
    def _client_for(self, creds: Credentials) -> PlatformClient:
        key = (creds.platform_url, _fingerprint(creds.token))
        if self._client is None or self._client_key != key:
            if self._client is not None:
                self._client.close()
            self._client = self._client_factory(creds)
            self._client_key = key
        return self._client

    def _failed(self, retry_after_s: float | None, *, link_down: bool) -> None:
        """A transient failure: pause the whole worker (so a dead link costs one request
        per interval, not one per row). `link_down`: no answer at all (network error,
        timeout), as opposed to the platform answering 5xx/429."""
        self._failures += 1
        self._link_down = self._link_down or link_down
        delay = self.timers.backoff.delay(self._failures, self._rng)
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        self._pause_until = self.clock.monotonic() + delay

    def _succeeded(self, creds: Credentials) -> None:
        self._failures = 0
        self._pause_until = 0.0
        self._link_down = False
        self._clear_auth_pause()

    def _clear_auth_pause(self) -> None:
        if self.outbox.get_meta("auth_paused_until") is not None:
            self.outbox.set_meta({"auth_paused_until": None, "auth_token_fp": None, "technician_alert": None})
            log.info("platform accepts the token again; delivery resumed")

    def _unauthorized(self, creds: Credentials) -> None:
        until = self.clock.now().timestamp() + self.timers.auth_pause_s
        self.outbox.set_meta({"auth_paused_until": repr(until), "auth_token_fp": _fingerprint(creds.token),
                              "technician_alert": AUTH_ALERT})
        log.warning("platform answered 401: delivery paused for %d s, technician alert raised",
                    int(self.timers.auth_pause_s))

    def _auth_pause_remaining_s(self, creds: Credentials | None = None) -> float | None:
        until = self.outbox.get_meta("auth_paused_until")
        if until is None:
            return None
        creds = creds or self._credentials()
        if creds is not None and self.outbox.get_meta("auth_token_fp") != _fingerprint(creds.token):
            return None  # re-provisioned since: try the new token at once
        remaining = float(until) - self.clock.now().timestamp()
        if remaining <= 0 or remaining > self.timers.auth_pause_s * 2:  # expired, or the clock was stepped back
            return None
        return remaining

    def _set_last_error(self, reason: str) -> None:
        self.outbox.set_meta({"last_error": reason[:200]})

    def _store_clock_offset(self, client: PlatformClient) -> None:
        offset = client.clock_offset_s
        if offset is None:
            return
        stored = self.outbox.get_meta("clock_offset_s")
        if stored is None or abs(float(stored) - offset) >= 1.0:
            self.outbox.set_meta({"clock_offset_s": repr(offset)})


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def fetch_and_store_catalog(client: PlatformClient, storage_dir: Path,
                            on_updated: Callable[[], None] | None = None) -> bool:
    """GET /v1/catalog with the cached ETag; store a new one atomically. True if stored."""
    from offline_queue.client import CatalogDocument

    result = client.fetch_catalog(catalog_cache.read_etag(storage_dir))
    if not isinstance(result, CatalogDocument):
        return False
    catalog_cache.store(storage_dir, result.body, result.etag)
    log.info("catalog %s stored", result.version)
    if on_updated is not None:
        on_updated()
    return True


INTERACTIVE_TIMEOUT = httpx.Timeout(connect=3.0, read=5.0, write=5.0, pool=3.0)


def platform_client(storage_dir: Path, *, timeout: httpx.Timeout = INTERACTIVE_TIMEOUT,
                    clock: Clock | None = None) -> PlatformClient | None:
    """A client with the stored credentials for interactive calls (the resident's
    progress query, the cases of a card just read), with short timeouts; None when the
    terminal is not provisioned. The caller closes it."""
    creds = creds_mod.load(storage_dir)
    if creds is None:
        return None
    return PlatformClient(creds.platform_url, creds.token, timeout=timeout, clock=clock)
