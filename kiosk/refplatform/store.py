"""The reference platform's state: one SQLite database (WAL) and a directory of files.

Idempotency lives in the schema, not in check-then-insert code: the primary keys and
unique constraints on ``submissions.submission_id``, ``submissions.receipt_no``,
``materials(submission_id, material_id)``, ``cases.submission_id`` and
``evaluations.evaluation_id`` decide what is new; an insert that hits one of them is
answered by comparing the canonical JSON's SHA-256 with the stored one.
Submission rows are never deleted: a purge drops the body and the files but keeps the
id, the receipt number and the content hash (offline-sync.md §1.2: Central's purge
forgets instance ids, so a stale client could create a duplicate).

Every write is one ``BEGIN IMMEDIATE`` transaction; connections come from a small
pool so the server's threads never share one. SQL takes bound parameters only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Final

from kiosk.refplatform.canonical import canonical_json, content_sha256
from kiosk.refplatform.cases import STATUS_TEXT, STATUSES
from kiosk.refplatform.clock import CHINA_TZ, PlatformClock, rfc3339

ENROLL_REPLAY_WINDOW: Final = dt.timedelta(minutes=10)
DEFAULT_CODE_TTL: Final = dt.timedelta(hours=24)
_CODE_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY,
    hall_code TEXT NOT NULL,
    terminal_name TEXT NOT NULL,
    hardware TEXT NOT NULL DEFAULT '{}',
    enrolled_at TEXT NOT NULL,
    last_status TEXT,
    last_status_at TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token_sha256 TEXT PRIMARY KEY,
    terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id),
    issued_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_reason TEXT
);
CREATE INDEX IF NOT EXISTS tokens_terminal ON tokens(terminal_id);
CREATE TABLE IF NOT EXISTS enrollment_codes (
    code_sha256 TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    request_sha256 TEXT,
    response TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    submission_id TEXT PRIMARY KEY,
    receipt_no TEXT NOT NULL UNIQUE,
    terminal_id TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    body TEXT,
    item_code TEXT NOT NULL,
    item_name TEXT NOT NULL,
    time_limit_days INTEGER NOT NULL,
    delivery_method TEXT NOT NULL,
    applicant_key TEXT NOT NULL,
    applicant_name_masked TEXT NOT NULL,
    received_at TEXT NOT NULL,
    purged_at TEXT
);
CREATE INDEX IF NOT EXISTS submissions_applicant ON submissions(applicant_key);
CREATE TABLE IF NOT EXISTS materials (
    submission_id TEXT NOT NULL REFERENCES submissions(submission_id),
    material_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 1),
    sha256 TEXT NOT NULL,
    upload_offset INTEGER NOT NULL DEFAULT 0 CHECK (upload_offset >= 0 AND upload_offset <= size),
    complete INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (submission_id, material_id)
);
CREATE TABLE IF NOT EXISTS cases (
    case_no TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL UNIQUE REFERENCES submissions(submission_id),
    receipt_no TEXT NOT NULL UNIQUE,
    received_at TEXT NOT NULL,
    due_date TEXT NOT NULL,
    status TEXT NOT NULL,
    tracking_no TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS case_history (
    case_no TEXT NOT NULL REFERENCES cases(case_no),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_no, seq)
);
CREATE TABLE IF NOT EXISTS evaluations (
    evaluation_id TEXT PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    body TEXT NOT NULL,
    case_no TEXT,
    submission_id TEXT,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evaluations_case ON evaluations(case_no);
CREATE INDEX IF NOT EXISTS evaluations_submission ON evaluations(submission_id);
CREATE VIEW IF NOT EXISTS case_view AS
    SELECT c.case_no, c.receipt_no, c.received_at, c.due_date, c.status, c.tracking_no, c.submission_id,
           s.item_code, s.item_name, s.applicant_name_masked, s.applicant_key, s.terminal_id, s.delivery_method,
           EXISTS (SELECT 1 FROM evaluations e
                   WHERE e.case_no = c.case_no OR e.submission_id = c.submission_id) AS evaluated
    FROM cases c JOIN submissions s ON s.submission_id = c.submission_id;
"""


class PutOutcome(Enum):
    CREATED = "created"
    SAME = "same"  # the same id with the same content
    CONFLICT = "conflict"  # the same id with other content
    RECEIPT_TAKEN = "receipt_taken"  # the receipt_no belongs to another submission


class EnrollOutcome(Enum):
    CREATED = "created"
    REPLAYED = "replayed"  # the same request within the replay window
    CODE_USED = "code_used"
    CODE_UNKNOWN = "code_unknown"  # or expired


class PatchOutcome(Enum):
    APPENDED = "appended"
    NOT_FOUND = "not_found"
    OFFSET_MISMATCH = "offset_mismatch"
    BEYOND_SIZE = "beyond_size"
    CHUNK_CHECKSUM = "chunk_checksum"  # offset unchanged
    FILE_CHECKSUM = "file_checksum"  # whole-file mismatch: offset back to 0


@dataclass(frozen=True)
class SubmissionState:
    submission_id: str
    receipt_no: str
    terminal_id: str
    missing: tuple[str, ...]
    case_no: str | None

    @property
    def state(self) -> str:
        if self.case_no is not None:
            return "finalized"
        return "awaiting_materials" if self.missing else "complete"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"submission_id": self.submission_id, "state": self.state,
                               "missing": list(self.missing), "receipt_no": self.receipt_no}
        if self.case_no is not None:
            out["case_no"] = self.case_no
        return out


@dataclass(frozen=True)
class NewSubmission:
    """What `put_submission` stores: the canonical body and the columns derived from it."""

    submission_id: str
    terminal_id: str
    receipt_no: str
    item_code: str
    item_name: dict[str, str]
    time_limit_days: int
    delivery_method: str
    applicant_key: str = field(repr=False)
    applicant_name_masked: str = field(repr=False)
    body: dict[str, Any] = field(repr=False)
    materials: tuple[dict[str, Any], ...] = field(repr=False)


@dataclass(frozen=True)
class PatchResult:
    outcome: PatchOutcome
    offset: int


@dataclass(frozen=True)
class EnrollResult:
    outcome: EnrollOutcome
    body: dict[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FinalizeResult:
    """`case` is None when the submission was never created; `missing` when incomplete."""

    case: dict[str, Any] | None
    missing: tuple[str, ...] = ()
    found: bool = True


@dataclass(frozen=True)
class MaterialInfo:
    submission_id: str
    material_id: str
    code: str
    content_type: str
    size: int
    sha256: str
    offset: int
    complete: bool


class _Pool:
    """SQLite connections handed to one thread at a time."""

    def __init__(self, path: Path, *, durable: bool) -> None:
        self._path = path
        self._durable = durable
        self._free: list[sqlite3.Connection] = []
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=10.0)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit survives power loss. OFF: it survives the process being killed
        # (SQLite hands every commit to the OS), which is all an embedded platform in a test
        # needs, without a single fsync.
        conn.execute("PRAGMA synchronous=FULL" if self._durable else "PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA secure_delete=ON")  # a purge overwrites the personal data it drops
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the platform store is closed")
            conn = self._free.pop() if self._free else None
        if conn is None:
            conn = self._open()
            with self._lock:
                self._all.append(conn)
        try:
            yield conn
        finally:
            with self._lock:
                if self._closed:
                    conn.close()
                else:
                    self._free.append(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            free, self._free = self._free, []
            self._all = []
        for conn in free:
            conn.close()


def _ts(moment: dt.datetime) -> str:
    """Stored timestamps: +08:00, microseconds, so they sort as text."""
    return moment.astimezone(CHINA_TZ).isoformat(timespec="microseconds")


def _out(stored: str) -> str:
    return rfc3339(dt.datetime.fromisoformat(stored))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Store:
    def __init__(self, data_dir: Path, clock: PlatformClock | None = None, *, durable: bool = True) -> None:
        self.data_dir = data_dir
        self.durable = durable
        self.clock = clock or PlatformClock()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.files_dir = data_dir / "materials"
        self.files_dir.mkdir(exist_ok=True)
        self._pool = _Pool(data_dir / "platform.db", durable=durable)
        # Striped: a bounded set of locks, one per (submission, material) hash bucket.
        self._material_locks = tuple(threading.Lock() for _ in range(64))
        with self._pool.connection() as conn:
            conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")  # one transaction: one fsync
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('applicant_key_secret', ?)",
                         (secrets.token_hex(32),))
            row = conn.execute("SELECT value FROM meta WHERE key = 'applicant_key_secret'").fetchone()
        self._applicant_secret = bytes.fromhex(row["value"])

    def close(self) -> None:
        self._pool.close()

    # -- transactions -------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._pool.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._pool.connection() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _now(self) -> str:
        return _ts(self.clock.now())

    # -- enrollment and tokens ----------------------------------------------------------

    def new_enrollment_code(self, ttl: dt.timedelta = DEFAULT_CODE_TTL) -> str:
        """A fresh one-time code, 10 characters shown as XXXXX-XXXXX (dashes optional)."""
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        now = self.clock.now()
        with self._write() as conn:
            conn.execute("INSERT INTO enrollment_codes (code_sha256, created_at, expires_at) VALUES (?, ?, ?)",
                         (_sha(raw), _ts(now), _ts(now + ttl)))
        return f"{raw[:5]}-{raw[5:]}"

    def enroll(self, *, code: str, hall_code: str, terminal_name: str, terminal_id: str | None,
               hardware: dict[str, Any]) -> EnrollResult:
        code_hash = _sha(normalise_code(code))
        request_hash = content_sha256({"code": normalise_code(code), "hall_code": hall_code,
                                       "terminal_name": terminal_name, "terminal_id": terminal_id})
        now = self.clock.now()
        with self._write() as conn:
            conn.execute("UPDATE enrollment_codes SET response = NULL WHERE used_at IS NOT NULL AND used_at < ?",
                         (_ts(now - ENROLL_REPLAY_WINDOW),))
            row = conn.execute("SELECT expires_at, used_at, request_sha256, response FROM enrollment_codes "
                               "WHERE code_sha256 = ?", (code_hash,)).fetchone()
            if row is None:
                return EnrollResult(EnrollOutcome.CODE_UNKNOWN)
            if row["used_at"] is not None:
                if row["request_sha256"] == request_hash and row["response"] is not None:
                    return EnrollResult(EnrollOutcome.REPLAYED, json.loads(row["response"]))
                return EnrollResult(EnrollOutcome.CODE_USED)
            if _ts(now) > row["expires_at"]:
                return EnrollResult(EnrollOutcome.CODE_UNKNOWN)
            hardware_json = canonical_json(hardware)
            if terminal_id is not None:
                known = conn.execute("SELECT 1 FROM terminals WHERE terminal_id = ?", (terminal_id,)).fetchone()
                if known:
                    conn.execute("UPDATE terminals SET hall_code = ?, terminal_name = ?, hardware = ? "
                                 "WHERE terminal_id = ?", (hall_code, terminal_name, hardware_json, terminal_id))
                    conn.execute("UPDATE tokens SET revoked_at = ?, revoked_reason = 'reenrolled' "
                                 "WHERE terminal_id = ? AND revoked_at IS NULL", (_ts(now), terminal_id))
                else:
                    conn.execute("INSERT INTO terminals (terminal_id, hall_code, terminal_name, hardware, "
                                 "enrolled_at) VALUES (?, ?, ?, ?, ?)",
                                 (terminal_id, hall_code, terminal_name, hardware_json, _ts(now)))
            else:
                terminal_id = self._insert_new_terminal(conn, hall_code, terminal_name, hardware_json, now)
            token = secrets.token_urlsafe(32)
            conn.execute("INSERT INTO tokens (token_sha256, terminal_id, issued_at) VALUES (?, ?, ?)",
                         (_sha(token), terminal_id, _ts(now)))
            body = {"terminal_id": terminal_id, "token": token, "platform_time": rfc3339(now)}
            conn.execute("UPDATE enrollment_codes SET used_at = ?, request_sha256 = ?, response = ? "
                         "WHERE code_sha256 = ? AND used_at IS NULL",
                         (_ts(now), request_hash, json.dumps(body), code_hash))
        return EnrollResult(EnrollOutcome.CREATED, body)

    @staticmethod
    def _insert_new_terminal(conn: sqlite3.Connection, hall_code: str, terminal_name: str,
                             hardware_json: str, now: dt.datetime) -> str:
        number = conn.execute("SELECT COUNT(*) FROM terminals").fetchone()[0] + 1
        while True:
            candidate = f"T{number:04d}"
            try:
                conn.execute("INSERT INTO terminals (terminal_id, hall_code, terminal_name, hardware, enrolled_at) "
                             "VALUES (?, ?, ?, ?, ?)", (candidate, hall_code, terminal_name, hardware_json, _ts(now)))
            except sqlite3.IntegrityError:
                number += 1
                continue
            return candidate

    def authenticate(self, token: str) -> str | None:
        """The terminal a bearer token belongs to, or None (unknown or revoked)."""
        with self._read() as conn:
            row = conn.execute("SELECT terminal_id FROM tokens WHERE token_sha256 = ? AND revoked_at IS NULL",
                               (_sha(token),)).fetchone()
        return None if row is None else str(row["terminal_id"])

    def revoke_tokens(self, terminal_id: str) -> int:
        with self._write() as conn:
            return conn.execute("UPDATE tokens SET revoked_at = ?, revoked_reason = 'operator' "
                                "WHERE terminal_id = ? AND revoked_at IS NULL", (self._now(), terminal_id)).rowcount

    def restore_tokens(self, terminal_id: str) -> int:
        """Undo an operator's revocation (not a re-enrollment's)."""
        with self._write() as conn:
            return conn.execute("UPDATE tokens SET revoked_at = NULL, revoked_reason = NULL "
                                "WHERE terminal_id = ? AND revoked_reason = 'operator'", (terminal_id,)).rowcount

    # -- submissions --------------------------------------------------------------------

    def applicant_key(self, id_type: str, id_number: str) -> str:
        """An HMAC of the ID, so searching by ID needs no plaintext index of ID numbers."""
        message = f"{id_type}:{id_number.strip().upper()}".encode()
        return hmac.new(self._applicant_secret, message, hashlib.sha256).hexdigest()

    def put_submission(self, new: NewSubmission) -> tuple[PutOutcome, SubmissionState | None]:
        canonical = canonical_json(new.body)
        digest = _sha(canonical)
        with self._write() as conn:
            try:
                conn.execute(
                    "INSERT INTO submissions (submission_id, receipt_no, terminal_id, content_sha256, body, "
                    "item_code, item_name, time_limit_days, delivery_method, applicant_key, "
                    "applicant_name_masked, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (new.submission_id, new.receipt_no, new.terminal_id, digest, canonical, new.item_code,
                     json.dumps(new.item_name, ensure_ascii=False), new.time_limit_days, new.delivery_method,
                     new.applicant_key, new.applicant_name_masked, self._now()))
            except sqlite3.IntegrityError:
                row = conn.execute("SELECT content_sha256 FROM submissions WHERE submission_id = ?",
                                   (new.submission_id,)).fetchone()
                if row is None:
                    return PutOutcome.RECEIPT_TAKEN, None
                if row["content_sha256"] != digest:
                    return PutOutcome.CONFLICT, None
                return PutOutcome.SAME, self._state(conn, new.submission_id)
            for position, material in enumerate(new.materials):
                conn.execute("INSERT INTO materials (submission_id, material_id, position, code, content_type, "
                             "size, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (new.submission_id, material["material_id"], position, material["code"],
                              material["content_type"], material["size"], material["sha256"]))
            return PutOutcome.CREATED, self._state(conn, new.submission_id)

    @staticmethod
    def _state(conn: sqlite3.Connection, submission_id: str) -> SubmissionState | None:
        row = conn.execute("SELECT s.receipt_no, s.terminal_id, c.case_no FROM submissions s "
                           "LEFT JOIN cases c ON c.submission_id = s.submission_id WHERE s.submission_id = ?",
                           (submission_id,)).fetchone()
        if row is None:
            return None
        missing = tuple(r["material_id"] for r in conn.execute(
            "SELECT material_id FROM materials WHERE submission_id = ? AND complete = 0 ORDER BY position",
            (submission_id,)))
        return SubmissionState(submission_id, row["receipt_no"], row["terminal_id"], missing, row["case_no"])

    def submission_state(self, submission_id: str) -> SubmissionState | None:
        with self._read() as conn:
            return self._state(conn, submission_id)

    def submission_body(self, submission_id: str) -> dict[str, Any] | None:
        """The stored manifest (None when unknown or purged). For tests and staff only."""
        with self._read() as conn:
            row = conn.execute("SELECT body FROM submissions WHERE submission_id = ?", (submission_id,)).fetchone()
        if row is None or row["body"] is None:
            return None
        body: dict[str, Any] = json.loads(row["body"])
        return body

    def count_submissions(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])

    def purge_submission(self, submission_id: str) -> bool:
        """Forget the personal data and files; keep the id, receipt number and content hash."""
        with self._write() as conn:
            changed = conn.execute("UPDATE submissions SET body = NULL, purged_at = ? "
                                   "WHERE submission_id = ? AND purged_at IS NULL",
                                   (self._now(), submission_id)).rowcount
        shutil.rmtree(self.files_dir / submission_id, ignore_errors=True)
        return changed == 1

    # -- materials ----------------------------------------------------------------------

    def material(self, submission_id: str, material_id: str) -> MaterialInfo | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM materials WHERE submission_id = ? AND material_id = ?",
                               (submission_id, material_id)).fetchone()
        return None if row is None else self._material_info(row)

    def materials(self, submission_id: str) -> list[MaterialInfo]:
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM materials WHERE submission_id = ? ORDER BY position",
                                (submission_id,)).fetchall()
        return [self._material_info(r) for r in rows]

    @staticmethod
    def _material_info(row: sqlite3.Row) -> MaterialInfo:
        return MaterialInfo(row["submission_id"], row["material_id"], row["code"], row["content_type"],
                            row["size"], row["sha256"], row["upload_offset"], bool(row["complete"]))

    def material_path(self, submission_id: str, material_id: str) -> Path:
        return self.files_dir / submission_id / material_id

    def _material_lock(self, submission_id: str, material_id: str) -> threading.Lock:
        return self._material_locks[hash((submission_id, material_id)) % len(self._material_locks)]

    def append_chunk(self, submission_id: str, material_id: str, offset: int, chunk: bytes,
                     chunk_sha256: bytes | None) -> PatchResult:
        """tus-core PATCH: append `chunk` at `offset` (platform-api.yaml, materials PATCH)."""
        with self._material_lock(submission_id, material_id):
            info = self.material(submission_id, material_id)
            if info is None:
                return PatchResult(PatchOutcome.NOT_FOUND, 0)
            if offset != info.offset:
                return PatchResult(PatchOutcome.OFFSET_MISMATCH, info.offset)
            if info.offset + len(chunk) > info.size:
                return PatchResult(PatchOutcome.BEYOND_SIZE, info.offset)
            if chunk_sha256 is not None and hashlib.sha256(chunk).digest() != chunk_sha256:
                return PatchResult(PatchOutcome.CHUNK_CHECKSUM, info.offset)
            if not chunk:
                return PatchResult(PatchOutcome.APPENDED, info.offset)
            path = self.material_path(submission_id, material_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            new_offset = info.offset + len(chunk)
            # Bytes past the recorded offset (a crash between write and commit) are dropped.
            with open(path, "r+b" if path.exists() else "w+b") as handle:
                handle.truncate(info.offset)
                handle.seek(info.offset)
                handle.write(chunk)
                handle.flush()
                if self.durable:
                    os.fsync(handle.fileno())
            if new_offset < info.size:
                self._set_offset(submission_id, material_id, new_offset, complete=False)
                return PatchResult(PatchOutcome.APPENDED, new_offset)
            if _file_sha256(path) != info.sha256:
                with open(path, "r+b") as handle:
                    handle.truncate(0)
                self._set_offset(submission_id, material_id, 0, complete=False)
                return PatchResult(PatchOutcome.FILE_CHECKSUM, 0)
            self._set_offset(submission_id, material_id, new_offset, complete=True)
            return PatchResult(PatchOutcome.APPENDED, new_offset)

    def _set_offset(self, submission_id: str, material_id: str, offset: int, *, complete: bool) -> None:
        with self._write() as conn:
            conn.execute("UPDATE materials SET upload_offset = ?, complete = ? "
                         "WHERE submission_id = ? AND material_id = ?",
                         (offset, int(complete), submission_id, material_id))

    # -- cases --------------------------------------------------------------------------

    def finalize(self, submission_id: str, due: Callable[[dt.date, int], dt.date]) -> FinalizeResult:
        now = self.clock.now()
        with self._write() as conn:
            state = self._state(conn, submission_id)
            if state is None:
                return FinalizeResult(None, found=False)
            if state.missing:
                return FinalizeResult(None, missing=state.missing)
            if state.case_no is None:
                row = conn.execute("SELECT receipt_no, time_limit_days FROM submissions WHERE submission_id = ?",
                                   (submission_id,)).fetchone()
                prefix = f"C{now:%Y%m%d}"
                last = conn.execute("SELECT case_no FROM cases WHERE case_no LIKE ? ORDER BY case_no DESC LIMIT 1",
                                    (prefix + "%",)).fetchone()
                number = int(last["case_no"][len(prefix):]) + 1 if last else 1
                case_no = f"{prefix}{number:06d}"
                # The UNIQUE submission_id of `cases` is what makes finalize answer one case.
                created = conn.execute(
                    "INSERT INTO cases (case_no, submission_id, receipt_no, received_at, due_date, status, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, 'received', ?) ON CONFLICT (submission_id) DO NOTHING",
                    (case_no, submission_id, row["receipt_no"], _ts(now),
                     due(now.date(), row["time_limit_days"]).isoformat(), _ts(now))).rowcount
                if created:
                    conn.execute("INSERT INTO case_history (case_no, seq, at, status, note) "
                                 "VALUES (?, 1, ?, 'received', '')", (case_no, _ts(now)))
            found = conn.execute("SELECT * FROM case_view WHERE submission_id = ?", (submission_id,)).fetchone()
            case = self._case_json(conn, found)
        return FinalizeResult(case)

    @staticmethod
    def _case_json(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
        history = [{"at": _out(h["at"]), "status": h["status"], "note": h["note"]} for h in conn.execute(
            "SELECT at, status, note FROM case_history WHERE case_no = ? ORDER BY seq", (row["case_no"],))]
        case: dict[str, Any] = {
            "case_no": row["case_no"],
            "receipt_no": row["receipt_no"],
            "item_code": row["item_code"],
            "item_name": json.loads(row["item_name"]),
            "applicant_name_masked": row["applicant_name_masked"],
            "status": row["status"],
            "status_text": STATUS_TEXT[row["status"]],
            "due_date": row["due_date"],
            "received_at": _out(row["received_at"]),
            "history": history,
            "evaluated": bool(row["evaluated"]),
        }
        if row["tracking_no"]:
            case["tracking_no"] = row["tracking_no"]
        return case

    def case_by_receipt(self, receipt_no: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM case_view WHERE receipt_no = ?", (receipt_no,)).fetchone()
            return None if row is None else self._case_json(conn, row)

    def case_by_no(self, case_no: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM case_view WHERE case_no = ?", (case_no,)).fetchone()
            return None if row is None else self._case_json(conn, row)

    def case_of_submission(self, submission_id: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM case_view WHERE submission_id = ?", (submission_id,)).fetchone()
            return None if row is None else self._case_json(conn, row)

    def cases_of_applicant(self, applicant_key: str) -> list[dict[str, Any]]:
        """Newest first."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM case_view WHERE applicant_key = ? "
                                "ORDER BY received_at DESC, case_no DESC", (applicant_key,)).fetchall()
            return [self._case_json(conn, r) for r in rows]

    def count_cases(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0])

    def list_cases(self, *, status: str | None = None, query: str | None = None,
                   limit: int = 200) -> list[dict[str, Any]]:
        """Newest first, for the console: case, receipt, item, masked name, status, due date, terminal."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM case_view WHERE (? IS NULL OR status = ?) "
                                "AND (? IS NULL OR case_no = ? OR receipt_no = ?) "
                                "ORDER BY received_at DESC, case_no DESC LIMIT ?",
                                (status, status, query, query, query, limit)).fetchall()
            out = []
            for row in rows:
                case = self._case_json(conn, row)
                case["terminal_id"] = row["terminal_id"]
                case["delivery_method"] = row["delivery_method"]
                case["submission_id"] = row["submission_id"]
                out.append(case)
            return out

    def change_case_status(self, case_no: str, status: str, note: str = "", tracking_no: str | None = None) -> None:
        """Move a case to `status` (staff console, tests). Raises ValueError when it cannot."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        tracking = (tracking_no or "").strip() or None
        with self._write() as conn:
            row = conn.execute("SELECT c.tracking_no, s.delivery_method FROM cases c JOIN submissions s "
                               "ON s.submission_id = c.submission_id WHERE c.case_no = ?", (case_no,)).fetchone()
            if row is None:
                raise ValueError("no such case")
            if status == "delivering" and row["delivery_method"] == "express" and not (tracking or row["tracking_no"]):
                raise ValueError("a mailed case needs its tracking number / 邮寄须填写运单号")
            now = self._now()
            conn.execute("UPDATE cases SET status = ?, tracking_no = COALESCE(?, tracking_no), updated_at = ? "
                         "WHERE case_no = ?", (status, tracking, now, case_no))
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM case_history WHERE case_no = ?",
                               (case_no,)).fetchone()[0]
            conn.execute("INSERT INTO case_history (case_no, seq, at, status, note) VALUES (?, ?, ?, ?, ?)",
                         (case_no, seq, now, status, note.strip()))

    # -- evaluations and heartbeats -----------------------------------------------------

    def put_evaluation(self, evaluation_id: str, terminal_id: str, body: dict[str, Any]) -> PutOutcome:
        canonical = canonical_json(body)
        digest = _sha(canonical)
        with self._write() as conn:
            try:
                conn.execute("INSERT INTO evaluations (evaluation_id, terminal_id, content_sha256, body, case_no, "
                             "submission_id, rating, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (evaluation_id, terminal_id, digest, canonical, body.get("case_no"),
                              body.get("submission_id"), body["rating"], self._now()))
            except sqlite3.IntegrityError:
                row = conn.execute("SELECT content_sha256 FROM evaluations WHERE evaluation_id = ?",
                                   (evaluation_id,)).fetchone()
                return PutOutcome.SAME if row is not None and row["content_sha256"] == digest else PutOutcome.CONFLICT
        return PutOutcome.CREATED

    def count_evaluations(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])

    def record_status(self, terminal_id: str, status: dict[str, Any]) -> None:
        with self._write() as conn:
            conn.execute("UPDATE terminals SET last_status = ?, last_status_at = ? WHERE terminal_id = ?",
                         (canonical_json(status), self._now(), terminal_id))

    def terminals(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT t.*, (SELECT COUNT(*) FROM tokens k WHERE k.terminal_id = t.terminal_id "
                "AND k.revoked_at IS NULL) AS live_tokens, (SELECT COUNT(*) FROM tokens k "
                "WHERE k.terminal_id = t.terminal_id AND k.revoked_reason = 'operator') AS operator_revoked "
                "FROM terminals t ORDER BY t.terminal_id").fetchall()
        return [{
            "terminal_id": r["terminal_id"],
            "hall_code": r["hall_code"],
            "terminal_name": r["terminal_name"],
            "enrolled_at": _out(r["enrolled_at"]),
            "last_status": json.loads(r["last_status"]) if r["last_status"] else None,
            "last_status_at": _out(r["last_status_at"]) if r["last_status_at"] else None,
            "token_live": r["live_tokens"] > 0,
            "operator_revoked": r["operator_revoked"] > 0,
        } for r in rows]

    def terminal(self, terminal_id: str) -> dict[str, Any] | None:
        return next((t for t in self.terminals() if t["terminal_id"] == terminal_id), None)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
