"""The outbox: applications and evaluations stored durably until the platform has them.

    pending ──claim──▶ delivering ──case number──▶ delivered ──purge──▶ purged
       ▲                   │
       └──transient error──┤
                           └──409 / 422 / other permanent answer──▶ quarantined ──retry()──▶ pending

* Ids are chosen at capture: a UUID per application and per material, the receipt
  number from a per-terminal daily sequence allocated in the same transaction as the
  row. `enqueue` returns only after the files and the row are durable, so a printed
  receipt always names a stored application.
* The queue table *is* the outbox (offline-sync.md §3.1): nothing is dequeued before
  it is sent; a row is acknowledged (`mark_delivered`) only with the platform's case
  number, and fenced by its claim number so a stale worker cannot ack a newer claim.
* Nothing is dropped silently: a permanent refusal keeps the data, with the platform's
  reason, in `quarantined` until staff retry or export it.
* Personal data exists only as ciphertext (offline_queue.crypto). Purge (after the case
  number is stored) destroys the application's wrapped key, payload and files; what
  remains is ids, the receipt number, the case number, the item code and times.
"""

from __future__ import annotations

import builtins
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline_queue import crashpoints
from offline_queue import credentials as creds_mod
from offline_queue.clock import Clock, SystemClock, rfc3339
from offline_queue.crypto import KEY_FILE, DecryptionFailed, RecordCipher, TerminalKey
from offline_queue.db import Database
from offline_queue.errors import (
    InvalidApplication,
    KeyMismatch,
    NotProvisioned,
    OutboxError,
    StorageFull,
    UnknownItem,
)
from offline_queue.files import MaterialStore, Writer
from offline_queue.model import (
    FACE,
    SIGNATURE,
    ApplicationInfo,
    FieldError,
    Kind,
    ListedItem,
    NewApplication,
    Quarantine,
    QueueStatus,
    Receipt,
    ReceiptData,
    State,
    mask_name,
)
from offline_queue.receipt_no import ReceiptNumberError, make_receipt_no, parse_receipt_no

log = logging.getLogger(__name__)

DB_FILE = "outbox.db"
SPOOL_DIR = "spool"
WORKER_LOCK = "sync.lock"
#: Refuse new applications when less than this would stay free (reliability.md A5).
DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024
#: A persisted retry time further ahead than this is a clock that was stepped back.
MAX_RETRY_DELAY_S = 3600.0

_STATES = "('pending','delivering','delivered','purged','quarantined')"
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        # The per-terminal daily sequence behind receipt numbers.
        "CREATE TABLE receipt_seq (terminal_id TEXT NOT NULL, day TEXT NOT NULL, last INTEGER NOT NULL,"
        " PRIMARY KEY (terminal_id, day)) WITHOUT ROWID",
        "CREATE TABLE submissions ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"  # capture order: delivery is FIFO
        " id TEXT NOT NULL UNIQUE,"
        " receipt_no TEXT NOT NULL UNIQUE,"
        " terminal_id TEXT NOT NULL,"
        " item_code TEXT NOT NULL,"
        " catalog_version TEXT,"
        " delivery_method TEXT NOT NULL,"
        " created_at TEXT NOT NULL,"
        " created_ts REAL NOT NULL,"
        f" state TEXT NOT NULL CHECK (state IN {_STATES}),"
        " claim INTEGER NOT NULL DEFAULT 0,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " next_attempt_ts REAL NOT NULL DEFAULT 0,"
        " last_error TEXT,"  # a classification without personal data ("http 503", "ConnectError")
        " quarantine_reason TEXT,"
        " quarantine_status INTEGER,"
        " problem BLOB,"  # the platform's problem details, encrypted (they may echo values)
        " case_no TEXT,"
        " received_at TEXT,"
        " delivered_at TEXT,"
        " purged_at TEXT,"
        " imported INTEGER NOT NULL DEFAULT 0,"
        " wrapped_key BLOB,"  # NULL once purged
        " payload BLOB)",  # the encrypted Submission JSON; NULL once purged
        "CREATE INDEX submissions_state ON submissions (state, seq)",
        "CREATE TABLE materials ("
        " id TEXT PRIMARY KEY,"
        " submission_id TEXT NOT NULL REFERENCES submissions (id),"
        " ordinal INTEGER NOT NULL,"
        " file_name TEXT NOT NULL UNIQUE,"
        " size INTEGER NOT NULL)",
        "CREATE INDEX materials_submission ON materials (submission_id, ordinal)",
        "CREATE TABLE evaluations ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " id TEXT NOT NULL UNIQUE,"
        " submission_id TEXT,"
        " created_at TEXT NOT NULL,"
        " created_ts REAL NOT NULL,"
        f" state TEXT NOT NULL CHECK (state IN {_STATES}),"
        " claim INTEGER NOT NULL DEFAULT 0,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " next_attempt_ts REAL NOT NULL DEFAULT 0,"
        " last_error TEXT,"
        " quarantine_reason TEXT,"
        " quarantine_status INTEGER,"
        " problem BLOB,"
        " delivered_at TEXT,"
        " purged_at TEXT,"
        " imported INTEGER NOT NULL DEFAULT 0,"
        " wrapped_key BLOB,"
        " payload BLOB)",
        "CREATE INDEX evaluations_state ON evaluations (state, seq)",
    ),
)


@dataclass(frozen=True)
class Claim:
    """A row the sync worker holds (state `delivering`); `token` fences its updates."""

    kind: Kind
    id: str
    token: int
    attempts: int


@dataclass(frozen=True)
class MaterialRef:
    material_id: str
    file_name: str
    size: int


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


def receipt_parts(receipt_no: str) -> tuple[str, dt.date, int] | None:
    """(terminal id, day, daily sequence) of a receipt number of ours, else None.
    Independent of how many check characters the format carries."""
    try:
        value = parse_receipt_no(receipt_no)
        terminal_id, day_text, tail = value.rsplit("-", 2)
        day = dt.datetime.strptime(day_text, "%y%m%d").date()  # noqa: DTZ007 - a calendar date only
    except (ReceiptNumberError, ValueError):
        return None
    for width in (4, 5, 6):
        digits = tail[:width]
        if digits.isdigit() and make_receipt_no(terminal_id, day, int(digits)) == value:
            return terminal_id, day, int(digits)
    return None


TerminalIdSource = str | Callable[[], str | None] | None


class Outbox:
    """The terminal's durable queue. Thread-safe; one instance per process.

    `terminal_id` is the id itself, a callable returning it (None while not
    provisioned), or None to read `<storage_dir>/credentials.json` each time.
    """

    def __init__(
        self,
        storage_dir: Path,
        terminal_id: TerminalIdSource = None,
        clock: Clock | None = None,
        *,
        min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
        write: Writer = os.write,
        full_check: bool = False,
    ) -> None:
        self.storage_dir = Path(storage_dir)
        self.storage_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.clock: Clock = clock or SystemClock()
        self.min_free_bytes = min_free_bytes
        if terminal_id is None:
            self._terminal_id: Callable[[], str | None] = lambda: creds_mod.terminal_id_of(self.storage_dir)
        elif isinstance(terminal_id, str):
            fixed = terminal_id
            self._terminal_id = lambda: fixed
        else:
            self._terminal_id = terminal_id
        self.db = Database(self.storage_dir / DB_FILE, MIGRATIONS, full_check=full_check)
        self._worker_lock_fd: int | None = None
        self._listeners: list[Callable[[], None]] = []
        try:
            self.files = MaterialStore(self.storage_dir / SPOOL_DIR, write=write)
            self._kek = self._load_key()
            self.missing_files = 0
            self._startup()
        except BaseException:
            self.db.close()
            raise

    def __repr__(self) -> str:
        return f"Outbox({str(self.storage_dir)!r})"

    # -- start-up ------------------------------------------------------------------------
    def _load_key(self) -> TerminalKey:
        path = self.storage_dir / KEY_FILE
        with self.db.locked():
            stored = self._meta("kek_fingerprint")
            key = TerminalKey.load(path)
            keyed_rows = self.db.query(
                "SELECT (SELECT count(*) FROM submissions WHERE wrapped_key IS NOT NULL)"
                " + (SELECT count(*) FROM evaluations WHERE wrapped_key IS NOT NULL)")[0][0]
            if key is None:
                if keyed_rows:
                    raise KeyMismatch(str(path))
                key = TerminalKey.create(path)
            elif stored and stored != key.fingerprint and keyed_rows:
                raise KeyMismatch(str(path))
            if stored != key.fingerprint:
                with self.db.transaction() as conn:
                    self._set_meta(conn, "kek_fingerprint", key.fingerprint)
            return key

    def _startup(self) -> None:
        """Finish what a crash interrupted: purges, stray files. In-flight rows are
        handed back by the sync worker when it takes the worker lock."""
        with self.db.locked():
            referenced = {r[0] for r in self.db.query("SELECT file_name FROM materials")}
            self.files.sweep(referenced)
            for (sid,) in self.db.query("SELECT id FROM submissions WHERE state='delivered'"):
                self.purge(sid)
            for (eid,) in self.db.query("SELECT id FROM evaluations WHERE state='delivered'"):
                self._purge_evaluation(eid)
            present = set(self.files.names())
            self.missing_files = sum(
                1 for (name,) in self.db.query(
                    "SELECT m.file_name FROM materials m JOIN submissions s ON s.id = m.submission_id"
                    " WHERE s.state IN ('pending','delivering','quarantined')")
                if name not in present)
            if self.missing_files:
                log.warning("%d material file(s) of undelivered applications are missing", self.missing_files)

    def close(self) -> None:
        self.release_worker_lock()
        self.db.close()

    def abandon(self) -> None:
        """Drop everything as a crash would (tests): nothing uncommitted survives."""
        if self._worker_lock_fd is not None:
            os.close(self._worker_lock_fd)
            self._worker_lock_fd = None
        self.db.abandon()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the worker lock ---------------------------------------------------------------------
    def acquire_worker_lock(self) -> bool:
        """Become the one delivering process. In-flight rows of a dead worker are handed
        back to `pending` (they resume; the platform dedupes the repeat)."""
        if self._worker_lock_fd is not None:
            return True
        fd = os.open(self.storage_dir / WORKER_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._worker_lock_fd = fd
        with self.db.transaction() as conn:
            a = conn.execute("UPDATE submissions SET state='pending' WHERE state='delivering'").rowcount
            b = conn.execute("UPDATE evaluations SET state='pending' WHERE state='delivering'").rowcount
        if a or b:
            log.info("resuming %d in-flight application(s) and %d evaluation(s)", a, b)
        return True

    def release_worker_lock(self) -> None:
        if self._worker_lock_fd is not None:
            fcntl.flock(self._worker_lock_fd, fcntl.LOCK_UN)
            os.close(self._worker_lock_fd)
            self._worker_lock_fd = None

    # -- capture -----------------------------------------------------------------------------
    def terminal_id(self) -> str:
        tid = self._terminal_id()
        if not tid:
            raise NotProvisioned()
        return tid

    def enqueue(self, application: NewApplication) -> Receipt:
        """Store an application durably and give it its ids and receipt number.

        Returns only once the material files and the row are on disk (fsynced);
        raises OutboxError (InvalidApplication, NotProvisioned, StorageFull,
        StorageFailure) and then nothing was stored.
        """
        problems = application.problems()
        if problems:
            raise InvalidApplication(*problems[0])
        terminal_id = self.terminal_id()
        now = self.clock.now()
        created_at = rfc3339(now)
        sid = str(uuid.uuid4())
        cipher = RecordCipher.new()

        entries: list[dict[str, Any]] = []
        files: list[tuple[str, bytes]] = []
        refs: list[MaterialRef] = []
        for m in application.materials:
            mid = str(uuid.uuid4())
            data = bytes(m.data)
            entry: dict[str, Any] = {
                "material_id": mid, "code": m.code, "content_type": m.content_type,
                "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            }
            if m.pages is not None:
                entry["pages"] = m.pages
            entries.append(entry)
            name = f"{sid}.{mid}"
            files.append((name, cipher.encrypt(data, f"material|{sid}|{mid}")))
            refs.append(MaterialRef(mid, name, len(data)))

        applicant = dict(application.applicant)
        commitment = dict(application.commitment)
        commitment.setdefault("accepted_at", created_at)
        for entry in entries:
            if entry["code"] == FACE:
                applicant.setdefault("face_material_id", entry["material_id"])
            if entry["code"] == SIGNATURE:
                commitment.setdefault("signature_material_id", entry["material_id"])
        manifest: dict[str, Any] = {
            "terminal_id": terminal_id,
            "receipt_no": "",
            "item_code": application.item_code,
            "created_at": created_at,
            "applicant": applicant,
            "assisted_by": dict(application.assisted_by) if application.assisted_by is not None else None,
            "form": dict(application.form),
            "commitment": commitment,
            "delivery": dict(application.delivery),
            "materials": entries,
            "deferred_materials": list(application.deferred_materials),
        }
        if application.catalog_version is not None:
            manifest["catalog_version"] = application.catalog_version
        try:
            _dumps(manifest)
        except (TypeError, ValueError):
            raise InvalidApplication("form", "values must be JSON (text, numbers, booleans, lists, objects)") from None
        self._check_space(sum(len(b) for _, b in files) + 64 * 1024)

        with self.db.locked():
            self.files.write_all(files)
            crashpoints.hit("enqueue.files_durable")
            try:
                with self.db.transaction() as conn:
                    seq = self._next_receipt_seq(conn, terminal_id, now.date())
                    receipt_no = make_receipt_no(terminal_id, now.date(), seq)
                    manifest["receipt_no"] = receipt_no
                    payload = cipher.encrypt(_dumps(manifest), f"payload|{sid}")
                    conn.execute(
                        "INSERT INTO submissions (id, receipt_no, terminal_id, item_code, catalog_version,"
                        " delivery_method, created_at, created_ts, state, wrapped_key, payload)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                        (sid, receipt_no, terminal_id, application.item_code, application.catalog_version,
                         manifest["delivery"]["method"], created_at, now.timestamp(),
                         cipher.wrapped_by(self._kek, sid), payload),
                    )
                    conn.executemany(
                        "INSERT INTO materials (id, submission_id, ordinal, file_name, size) VALUES (?, ?, ?, ?, ?)",
                        [(r.material_id, sid, i, r.file_name, r.size) for i, r in enumerate(refs)],
                    )
            except crashpoints.SimulatedCrash:
                raise
            except BaseException:
                self.files.unlink([name for name, _ in files])
                raise
            crashpoints.hit("enqueue.committed")
        log.info("application queued: %s %s", sid, receipt_no)
        self._notify()
        return Receipt(sid, receipt_no)

    def _check_space(self, needed: int) -> None:
        try:
            free = shutil.disk_usage(self.storage_dir).free
        except OSError:
            return
        if free < needed + self.min_free_bytes:
            raise StorageFull(f"{free // (1024 * 1024)} MiB free")

    @staticmethod
    def _next_receipt_seq(conn: Any, terminal_id: str, day: dt.date) -> int:
        key = day.strftime("%Y%m%d")
        row = conn.execute("SELECT last FROM receipt_seq WHERE terminal_id=? AND day=?", (terminal_id, key)).fetchone()
        seq = (int(row[0]) if row else 0) + 1
        conn.execute(
            "INSERT INTO receipt_seq (terminal_id, day, last) VALUES (?, ?, ?)"
            " ON CONFLICT (terminal_id, day) DO UPDATE SET last=excluded.last",
            (terminal_id, key, seq),
        )
        return seq

    def ensure_receipt_floor(self, terminal_id: str, day: dt.date, floor: int) -> None:
        """Make the next receipt number of `day` larger than `floor` (after an import, or
        after re-provisioning a known terminal id on a new disk: its old numbers of
        that day may be in residents' hands and on the platform already)."""
        key = day.strftime("%Y%m%d")
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO receipt_seq (terminal_id, day, last) VALUES (?, ?, ?)"
                " ON CONFLICT (terminal_id, day) DO UPDATE SET last=max(last, excluded.last)",
                (terminal_id, key, int(floor)),
            )

    def enqueue_evaluation(
        self,
        rating: int,
        *,
        case_no: str | None = None,
        submission_id: str | None = None,
        reasons: Iterable[str] = (),
        comment: str | None = None,
    ) -> str:
        """Queue a resident's rating (好差评, 5 best … 1 worst); returns the evaluation id.
        An evaluation naming one of our submissions is delivered after it (or after it
        is quarantined)."""
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise InvalidApplication("rating", "expected 1 to 5")
        if comment is not None and len(comment) > 500:
            raise InvalidApplication("comment", "at most 500 characters")
        reasons = [str(r) for r in reasons]
        terminal_id = self.terminal_id()
        now = self.clock.now()
        eid = str(uuid.uuid4())
        body: dict[str, Any] = {"terminal_id": terminal_id, "rating": rating, "created_at": rfc3339(now)}
        if case_no:
            body["case_no"] = case_no
        if submission_id:
            body["submission_id"] = submission_id
        if reasons:
            body["reasons"] = reasons
        if comment:
            body["comment"] = comment
        cipher = RecordCipher.new()
        self._check_space(64 * 1024)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO evaluations (id, submission_id, created_at, created_ts, state, wrapped_key, payload)"
                " VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                (eid, submission_id, body["created_at"], now.timestamp(), cipher.wrapped_by(self._kek, eid),
                 cipher.encrypt(_dumps(body), f"payload|{eid}")),
            )
        self._notify()
        return eid

    # -- delivery (the sync worker's side) ---------------------------------------------------------
    def claim_next(self, kind: Kind, *, after_seq: int = 0, ignore_timers: bool = False) -> tuple[Claim, int] | None:
        """Claim the next due pending row after `after_seq` (capture order); returns the
        claim and the row's seq, or None."""
        now = self.clock.now().timestamp()
        with self.db.transaction() as conn:
            if kind is Kind.APPLICATION:
                row = conn.execute(
                    "SELECT seq, id FROM submissions WHERE state='pending' AND seq > ?"
                    " AND (? OR next_attempt_ts <= ? OR next_attempt_ts > ?) ORDER BY seq LIMIT 1",
                    (after_seq, ignore_timers, now, now + MAX_RETRY_DELAY_S),
                ).fetchone()
            else:
                # An evaluation of one of our own applications waits until that is delivered
                # (or quarantined: a rating must not wait for staff to resolve a refusal).
                row = conn.execute(
                    "SELECT e.seq, e.id FROM evaluations e WHERE e.state='pending' AND e.seq > ?"
                    " AND (? OR e.next_attempt_ts <= ? OR e.next_attempt_ts > ?)"
                    " AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.id = e.submission_id"
                    "   AND s.state IN ('pending','delivering'))"
                    " ORDER BY e.seq LIMIT 1",
                    (after_seq, ignore_timers, now, now + MAX_RETRY_DELAY_S),
                ).fetchone()
            if row is None:
                return None
            seq, rid = int(row[0]), str(row[1])
            if kind is Kind.APPLICATION:
                conn.execute(
                    "UPDATE submissions SET state='delivering', claim=claim+1, attempts=attempts+1 WHERE id=?",
                    (rid,))
                token, attempts = conn.execute("SELECT claim, attempts FROM submissions WHERE id=?", (rid,)).fetchone()
            else:
                conn.execute(
                    "UPDATE evaluations SET state='delivering', claim=claim+1, attempts=attempts+1 WHERE id=?",
                    (rid,))
                token, attempts = conn.execute("SELECT claim, attempts FROM evaluations WHERE id=?", (rid,)).fetchone()
        return Claim(kind, rid, int(token), int(attempts)), seq

    def _cipher(self, kind: Kind, rid: str) -> RecordCipher:
        table_sql = ("SELECT wrapped_key FROM submissions WHERE id=?" if kind is Kind.APPLICATION
                     else "SELECT wrapped_key FROM evaluations WHERE id=?")
        rows = self.db.query(table_sql, (rid,))
        if not rows or rows[0][0] is None:
            raise DecryptionFailed("no key")
        return self._kek.unwrap(bytes(rows[0][0]), rid)

    def payload(self, kind: Kind, rid: str) -> dict[str, Any]:
        """The stored JSON (the Submission manifest or the Evaluation); raises
        DecryptionFailed when it is purged or unreadable."""
        sql = ("SELECT payload FROM submissions WHERE id=?" if kind is Kind.APPLICATION
               else "SELECT payload FROM evaluations WHERE id=?")
        rows = self.db.query(sql, (rid,))
        if not rows or rows[0][0] is None:
            raise DecryptionFailed("no payload")
        value = json.loads(self._cipher(kind, rid).decrypt(bytes(rows[0][0]), f"payload|{rid}"))
        if not isinstance(value, dict):
            raise DecryptionFailed("payload is not an object")
        return value

    def materials(self, submission_id: str) -> list[MaterialRef]:
        return [MaterialRef(str(a), str(b), int(c)) for a, b, c in self.db.query(
            "SELECT id, file_name, size FROM materials WHERE submission_id=? ORDER BY ordinal", (submission_id,))]

    def material_bytes(self, submission_id: str, material_id: str) -> bytes | None:
        """The material's plaintext; None when its file is gone; DecryptionFailed when damaged."""
        rows = self.db.query("SELECT file_name FROM materials WHERE id=? AND submission_id=?",
                             (material_id, submission_id))
        if not rows:
            return None
        blob = self.files.read(str(rows[0][0]))
        if blob is None:
            return None
        return self._cipher(Kind.APPLICATION, submission_id).decrypt(blob, f"material|{submission_id}|{material_id}")

    def release(self, claim: Claim, error: str, delay_s: float) -> None:
        """A transient failure: back to pending, due again after `delay_s`."""
        due = self.clock.now().timestamp() + max(0.0, delay_s)
        sql = ("UPDATE submissions SET state='pending', next_attempt_ts=?, last_error=? "
               "WHERE id=? AND claim=? AND state='delivering'" if claim.kind is Kind.APPLICATION else
               "UPDATE evaluations SET state='pending', next_attempt_ts=?, last_error=? "
               "WHERE id=? AND claim=? AND state='delivering'")
        with self.db.transaction() as conn:
            conn.execute(sql, (due, error[:200], claim.id, claim.token))

    def quarantine(self, claim: Claim, why: Quarantine) -> None:
        """A permanent refusal (or unreadable local data): keep everything, surface it."""
        problem: bytes | None = None
        try:
            cipher = self._cipher(claim.kind, claim.id)
            problem = cipher.encrypt(_dumps({
                "title": why.title, "detail": why.detail,
                "errors": [{"field": e.field, "code": e.code, "message": e.message} for e in why.errors],
            }), f"problem|{claim.id}")
        except DecryptionFailed:
            problem = None
        sql = ("UPDATE submissions SET state='quarantined', quarantine_reason=?, quarantine_status=?, problem=?,"
               " last_error=? WHERE id=? AND claim=? AND state='delivering'" if claim.kind is Kind.APPLICATION else
               "UPDATE evaluations SET state='quarantined', quarantine_reason=?, quarantine_status=?, problem=?,"
               " last_error=? WHERE id=? AND claim=? AND state='delivering'")
        with self.db.transaction() as conn:
            conn.execute(sql, (why.reason, why.http_status, problem, f"quarantined: {why.reason}",
                               claim.id, claim.token))
        log.warning("%s %s quarantined: %s (http %s)", claim.kind.value, claim.id, why.reason, why.http_status)

    def mark_delivered(self, claim: Claim, case_no: str | None = None, received_at: str | None = None) -> bool:
        """The platform has it (a case number for an application). False when the claim
        was superseded (another worker's ack wins; nothing is lost)."""
        now = rfc3339(self.clock.now())
        with self.db.transaction() as conn:
            if claim.kind is Kind.APPLICATION:
                n = conn.execute(
                    "UPDATE submissions SET state='delivered', case_no=?, received_at=?, delivered_at=?,"
                    " last_error=NULL WHERE id=? AND claim=? AND state='delivering'",
                    (case_no, received_at, now, claim.id, claim.token)).rowcount
            else:
                n = conn.execute(
                    "UPDATE evaluations SET state='delivered', delivered_at=?, last_error=NULL"
                    " WHERE id=? AND claim=? AND state='delivering'", (now, claim.id, claim.token)).rowcount
        return bool(n)

    def purge(self, submission_id: str, *, checkpoint: bool = True) -> bool:
        """Destroy a delivered application's personal data: its wrapped key, payload and
        problem in one transaction, then its files, then checkpoint the WAL (TRUNCATE) so
        old page images do not linger in the -wal file (secure_delete zeroes the freed
        pages). The sync worker passes checkpoint=False and checkpoints once per pass."""
        with self.db.locked():
            names = [r[0] for r in self.db.query("SELECT file_name FROM materials WHERE submission_id=?",
                                                 (submission_id,))]
            with self.db.transaction() as conn:
                n = conn.execute(
                    "UPDATE submissions SET state='purged', wrapped_key=NULL, payload=NULL, problem=NULL,"
                    " purged_at=? WHERE id=? AND state='delivered'",
                    (rfc3339(self.clock.now()), submission_id)).rowcount
                if n:
                    conn.execute("DELETE FROM materials WHERE submission_id=?", (submission_id,))
            if not n:
                return False
            crashpoints.hit("purge.committed")
            self.files.unlink(names)
            crashpoints.hit("purge.unlinked")
            if checkpoint:
                self.db.checkpoint_truncate()
        return True

    def purge_evaluation(self, evaluation_id: str, *, checkpoint: bool = True) -> bool:
        with self.db.locked():
            return self._purge_evaluation(evaluation_id, checkpoint=checkpoint)

    def _purge_evaluation(self, evaluation_id: str, *, checkpoint: bool = True) -> bool:
        with self.db.transaction() as conn:
            n = conn.execute(
                "UPDATE evaluations SET state='purged', wrapped_key=NULL, payload=NULL, problem=NULL, purged_at=?"
                " WHERE id=? AND state='delivered'", (rfc3339(self.clock.now()), evaluation_id)).rowcount
        if n and checkpoint:
            self.db.checkpoint_truncate()
        return bool(n)

    def next_due_ts(self) -> float | None:
        """Wall-clock time the earliest pending row is due (None: nothing waits)."""
        now = self.clock.now().timestamp()
        rows = self.db.query(
            "SELECT min(CASE WHEN next_attempt_ts > ? THEN 0 ELSE next_attempt_ts END) FROM ("
            " SELECT next_attempt_ts FROM submissions WHERE state='pending'"
            " UNION ALL SELECT e.next_attempt_ts FROM evaluations e WHERE e.state='pending'"
            "  AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.id = e.submission_id"
            "   AND s.state IN ('pending','delivering')))",
            (now + MAX_RETRY_DELAY_S,))
        value = rows[0][0] if rows else None
        return float(value) if value is not None else None

    def expedite(self) -> int:
        """Make every pending row due now (the platform answered again after an outage)."""
        with self.db.transaction() as conn:
            n = conn.execute("UPDATE submissions SET next_attempt_ts=0 WHERE state='pending' AND next_attempt_ts > 0"
                             ).rowcount
            n += conn.execute("UPDATE evaluations SET next_attempt_ts=0 WHERE state='pending' AND next_attempt_ts > 0"
                              ).rowcount
        return int(n)

    # -- listeners -------------------------------------------------------------------------------
    def add_listener(self, callback: Callable[[], None]) -> None:
        """Called (on the caller's thread) after something new was queued; the sync
        worker registers `wake` here."""
        if callback not in self._listeners:
            self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def notify(self) -> None:
        """Tell the listeners something new is queued."""
        self._notify()

    def _notify(self) -> None:
        for callback in list(self._listeners):
            try:
                callback()
            except Exception as exc:
                log.warning("outbox listener failed: %s", type(exc).__name__)

    # -- shared state (pause after 401, alerts, clock offset) -----------------------------------------
    def _meta(self, key: str) -> str | None:
        rows = self.db.query("SELECT value FROM meta WHERE key=?", (key,))
        return str(rows[0][0]) if rows else None

    @staticmethod
    def _set_meta(conn: Any, key: str, value: str | None) -> None:
        if value is None:
            conn.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                         (key, value))

    def get_meta(self, key: str) -> str | None:
        return self._meta(key)

    def set_meta(self, values: Mapping[str, str | None]) -> None:
        with self.db.transaction() as conn:
            for key, value in values.items():
                self._set_meta(conn, key, value)

    # -- staff -----------------------------------------------------------------------------------
    def status(self) -> QueueStatus:
        counts: dict[str, int] = {}
        oldest: float | None = None
        for state, count, first in self.db.query(
                "SELECT state, count(*), min(created_ts) FROM submissions GROUP BY state"):
            counts[str(state)] = int(count)
            if state in ("pending", "delivering") and first is not None:
                oldest = first if oldest is None else min(oldest, float(first))
        evals = {str(s): int(c) for s, c in self.db.query("SELECT state, count(*) FROM evaluations GROUP BY state")}
        meta = {str(k): str(v) for k, v in self.db.query(
            "SELECT key, value FROM meta WHERE key IN ('auth_paused_until', 'technician_alert', 'last_error',"
            " 'clock_offset_s')")}
        now = self.clock.now().timestamp()
        offset = meta.get("clock_offset_s")
        return QueueStatus(
            pending=counts.get("pending", 0),
            delivering=counts.get("delivering", 0),
            delivered=counts.get("delivered", 0) + counts.get("purged", 0),
            quarantined=counts.get("quarantined", 0),
            oldest_pending_age_s=max(0, int(now - oldest)) if oldest is not None else 0,
            purged=counts.get("purged", 0),
            awaiting_purge=counts.get("delivered", 0),
            evaluations_pending=evals.get("pending", 0) + evals.get("delivering", 0),
            evaluations_delivered=evals.get("delivered", 0) + evals.get("purged", 0),
            evaluations_quarantined=evals.get("quarantined", 0),
            auth_paused="auth_paused_until" in meta,
            technician_alert=meta.get("technician_alert"),
            last_error=meta.get("last_error"),
            clock_offset_s=float(offset) if offset is not None else None,
            missing_files=self.missing_files,
        )

    def _quarantine_of(self, kind: Kind, rid: str, reason: str | None, status: int | None,
                       problem: bytes | None) -> Quarantine | None:
        if reason is None:
            return None
        title = detail = ""
        errors: tuple[FieldError, ...] = ()
        if problem is not None:
            try:
                data = json.loads(self._cipher(kind, rid).decrypt(bytes(problem), f"problem|{rid}"))
                title, detail = str(data.get("title", "")), str(data.get("detail", ""))
                errors = tuple(FieldError(str(e.get("field", "")), str(e.get("code", "")), str(e.get("message", "")))
                               for e in data.get("errors", []) if isinstance(e, dict))
            except (DecryptionFailed, ValueError, AttributeError):
                pass
        return Quarantine(reason, status, title, errors, detail)

    def list(self, states: Iterable[State] | None = None, limit: int = 200) -> builtins.list[ListedItem]:
        """Applications and evaluations, newest first (all states unless given)."""
        wanted = {s.value for s in states} if states is not None else {s.value for s in State}
        out: builtins.list[ListedItem] = []
        for row in self.db.query(
                "SELECT id, state, created_at, attempts, last_error, next_attempt_ts, receipt_no, item_code, case_no,"
                " quarantine_reason, quarantine_status, problem FROM submissions ORDER BY seq DESC LIMIT ?", (limit,)):
            if row[1] not in wanted:
                continue
            out.append(ListedItem(
                Kind.APPLICATION, row[0], State(row[1]), row[2], int(row[3]), row[4], self._due(row[5], row[1]),
                row[6], row[7], row[8], self._quarantine_of(Kind.APPLICATION, row[0], row[9], row[10], row[11])))
        for row in self.db.query(
                "SELECT id, state, created_at, attempts, last_error, next_attempt_ts, quarantine_reason,"
                " quarantine_status, problem FROM evaluations ORDER BY seq DESC LIMIT ?", (limit,)):
            if row[1] not in wanted:
                continue
            out.append(ListedItem(
                Kind.EVALUATION, row[0], State(row[1]), row[2], int(row[3]), row[4], self._due(row[5], row[1]),
                quarantine=self._quarantine_of(Kind.EVALUATION, row[0], row[6], row[7], row[8])))
        out.sort(key=lambda item: item.created_at, reverse=True)
        return out[:limit]

    def _due(self, ts: float | None, state: str) -> str | None:
        if state != "pending" or not ts:
            return None
        return rfc3339(dt.datetime.fromtimestamp(float(ts), tz=self.clock.now().tzinfo))

    def retry(self, item_id: str) -> Kind:
        """Quarantined → pending (staff fixed the cause, e.g. the catalog); due at once."""
        retried: Kind | None = None
        with self.db.transaction() as conn:
            for kind, sql in (
                (Kind.APPLICATION, "UPDATE submissions SET state='pending', next_attempt_ts=0, quarantine_reason=NULL,"
                                   " quarantine_status=NULL, problem=NULL WHERE id=? AND state='quarantined'"),
                (Kind.EVALUATION, "UPDATE evaluations SET state='pending', next_attempt_ts=0, quarantine_reason=NULL,"
                                  " quarantine_status=NULL, problem=NULL WHERE id=? AND state='quarantined'"),
            ):
                if conn.execute(sql, (item_id,)).rowcount:
                    retried = kind
                    break
        if retried is not None:
            self._notify()
            return retried
        known = self.db.query("SELECT state FROM submissions WHERE id=? UNION ALL SELECT state FROM evaluations"
                              " WHERE id=?", (item_id, item_id))
        if known:
            raise OutboxError(f"{item_id} is {known[0][0]}, not quarantined / 该项未被隔离")
        raise UnknownItem(item_id)

    # -- the resident's side ----------------------------------------------------------------------------
    def _row_by_receipt(self, receipt_no: str) -> tuple[Any, ...]:
        try:
            key = parse_receipt_no(receipt_no)
        except ReceiptNumberError:
            key = receipt_no.strip()
        rows = self.db.query(
            "SELECT id, receipt_no, state, item_code, created_at, case_no, received_at, delivered_at, purged_at,"
            " delivery_method, attempts, last_error, quarantine_reason, quarantine_status, problem, terminal_id,"
            " catalog_version FROM submissions WHERE receipt_no=?", (key,))
        if not rows:
            raise UnknownItem(key)
        return rows[0]

    def _manifest_or_none(self, sid: str) -> dict[str, Any] | None:
        try:
            return self.payload(Kind.APPLICATION, sid)
        except (DecryptionFailed, ValueError):
            return None

    def lookup(self, receipt_no: str) -> ApplicationInfo:
        """What this terminal knows about a receipt it issued (UnknownItem otherwise)."""
        r = self._row_by_receipt(receipt_no)
        manifest = self._manifest_or_none(r[0])
        name = manifest.get("applicant", {}).get("name") if manifest else None
        return ApplicationInfo(
            submission_id=r[0], receipt_no=r[1], state=State(r[2]), item_code=r[3], created_at=r[4], case_no=r[5],
            received_at=r[6], delivered_at=r[7], purged_at=r[8], delivery_method=r[9], attempts=int(r[10]),
            last_error=r[11], quarantine=self._quarantine_of(Kind.APPLICATION, r[0], r[12], r[13], r[14]),
            applicant_name_masked=mask_name(name) if isinstance(name, str) else None,
        )

    def receipt_data(self, receipt_no: str) -> ReceiptData:
        """Everything a receipt (re)print needs; the name masked, None once purged."""
        r = self._row_by_receipt(receipt_no)
        manifest = self._manifest_or_none(r[0])
        name = manifest.get("applicant", {}).get("name") if manifest else None
        counts: dict[str, int] = {}
        deferred: tuple[str, ...] = ()
        if manifest:
            for m in manifest.get("materials", []):
                if m.get("code") in (FACE, SIGNATURE):
                    continue
                counts[m["code"]] = counts.get(m["code"], 0) + int(m.get("pages") or 1)
            deferred = tuple(manifest.get("deferred_materials", []))
        return ReceiptData(
            receipt_no=r[1], submission_id=r[0], terminal_id=r[15], item_code=r[3], catalog_version=r[16],
            created_at=r[4], delivery_method=r[9], case_no=r[5], state=State(r[2]),
            materials=tuple(counts.items()), deferred_materials=deferred,
            applicant_name_masked=mask_name(name) if isinstance(name, str) else None,
        )

    # -- moving undelivered work off a broken terminal ------------------------------------------------
    def export_bundle(self, path: Path, passphrase: str) -> int:
        """Write every undelivered application and evaluation to an encrypted bundle;
        returns how many. See offline_queue.bundle for the format."""
        from offline_queue import bundle

        return bundle.export_outbox(self, Path(path), passphrase)

    def import_bundle(self, path: Path, passphrase: str) -> tuple[int, int]:
        """Queue the bundle's items here (same ids and receipt numbers); returns
        (imported, already present)."""
        from offline_queue import bundle

        return bundle.import_into(self, Path(path), passphrase)

    export = export_bundle

    def restore_application(self, row: Mapping[str, Any], manifest: dict[str, Any],
                            files: builtins.list[tuple[str, bytes]]) -> bool:
        """Insert an application exported elsewhere, as pending, under a new key (bundle import)."""
        sid = str(row["id"])
        if self.db.query("SELECT 1 FROM submissions WHERE id=? OR receipt_no=?", (sid, row["receipt_no"])):
            return False
        cipher = RecordCipher.new()
        by_id = {mid: data for mid, data in files}
        encrypted: builtins.list[tuple[str, bytes]] = []
        refs: builtins.list[MaterialRef] = []
        for entry in manifest.get("materials", []):
            mid = str(entry["material_id"])
            if mid not in by_id:
                continue  # the file was already missing on the old terminal: HEAD may still find it complete
            name = f"{sid}.{mid}"
            encrypted.append((name, cipher.encrypt(by_id[mid], f"material|{sid}|{mid}")))
            refs.append(MaterialRef(mid, name, int(entry["size"])))
        self._check_space(sum(len(b) for _, b in encrypted) + 64 * 1024)
        with self.db.locked():
            self.files.write_all(encrypted)
            try:
                with self.db.transaction() as conn:
                    conn.execute(
                        "INSERT INTO submissions (id, receipt_no, terminal_id, item_code, catalog_version,"
                        " delivery_method, created_at, created_ts, state, imported, wrapped_key, payload)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?)",
                        (sid, row["receipt_no"], row["terminal_id"], row["item_code"], row.get("catalog_version"),
                         row["delivery_method"], row["created_at"], float(row["created_ts"]),
                         cipher.wrapped_by(self._kek, sid), cipher.encrypt(_dumps(manifest), f"payload|{sid}")),
                    )
                    conn.executemany(
                        "INSERT INTO materials (id, submission_id, ordinal, file_name, size) VALUES (?, ?, ?, ?, ?)",
                        [(r.material_id, sid, i, r.file_name, r.size) for i, r in enumerate(refs)],
                    )
            except BaseException:
                self.files.unlink([name for name, _ in encrypted])
                raise
        parsed = receipt_parts(str(row["receipt_no"]))
        if parsed is not None:  # this terminal may carry on with the same id: never reuse a number
            self.ensure_receipt_floor(*parsed)
        return True

    def restore_evaluation(self, row: Mapping[str, Any], body: dict[str, Any]) -> bool:
        eid = str(row["id"])
        if self.db.query("SELECT 1 FROM evaluations WHERE id=?", (eid,)):
            return False
        cipher = RecordCipher.new()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO evaluations (id, submission_id, created_at, created_ts, state, imported, wrapped_key,"
                " payload) VALUES (?, ?, ?, ?, 'pending', 1, ?, ?)",
                (eid, row.get("submission_id"), row["created_at"], float(row["created_ts"]),
                 cipher.wrapped_by(self._kek, eid), cipher.encrypt(_dumps(body), f"payload|{eid}")),
            )
        return True
