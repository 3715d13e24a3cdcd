"""The outbox database: one writer connection, owned by one object, behind one lock.

Why raw `sqlite3` and not sqlite-utils here (offline-sync.md §5): sqlite-utils 4
commits every call on its own and opens deferred `BEGIN`s, and `insert(replace=True)`
is `INSERT OR REPLACE`, which deletes and re-inserts a queue row (resetting its state).
The queue's transitions are small explicit `BEGIN IMMEDIATE … COMMIT` blocks with bound
parameters on this one connection.

Durability (offline-sync.md §9):
* WAL, `synchronous=FULL` (a commit is fsynced before `enqueue` returns: the resident is
  told "saved" and gets a printed receipt), `secure_delete=ON`, `foreign_keys=ON`;
  pragmas are per connection, so they are set at every open, whatever the build's
  defaults are.
* Every write is `BEGIN IMMEDIATE`; if COMMIT fails we ROLLBACK and re-raise, so no
  later "successful" write can land in a transaction that never commits.
* Migrations are ordered, each one transactional together with its `user_version`.
* `PRAGMA quick_check` at start-up; a damaged file raises CorruptDatabase and is left
  in place (its wrapped keys are the only way to read the queued files).

SQLite's WAL-reset bug (sqlite.org/wal.html#walresetbug, versions 3.7.0 – 3.51.2,
fixed in 3.51.3): two or more connections writing or checkpointing the same WAL
database at the same moment can corrupt it. Debian 12 ships 3.40.1, which is affected.
We avoid the trigger instead of depending on the version: in a process, one writer
connection behind a thread lock; across processes (the kiosk and a `kiosk queue …`
command run by a technician) an exclusive `flock` on `<db>.lock` is held around every
write transaction and around close (closing the last connection checkpoints). Readers
use a separate `mode=ro` connection, which can neither write nor checkpoint.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from offline_queue.errors import CorruptDatabase, StorageFailure, StorageFull

log = logging.getLogger(__name__)

#: The first SQLite release without the WAL-reset bug.
WAL_RESET_FIXED = (3, 51, 3)
SQLITE_VERSION = tuple(int(p) for p in sqlite3.sqlite_version.split("."))
#: True on affected SQLite builds; harmless for us while there is one writer at a time.
WAL_RESET_BUG_AFFECTED = SQLITE_VERSION < WAL_RESET_FIXED

Migration = Sequence[str]


class Database:
    """Owner of the single writer connection of one SQLite file.

    `transaction()` gives a `BEGIN IMMEDIATE` block; `locked()` holds the writer lock
    without a transaction, for work that must not interleave with another writer (the
    material files written before their row commits, and the start-up sweep). `query()`
    reads through a separate read-only connection and does not wait for writers.
    """

    def __init__(self, path: Path, migrations: Sequence[Migration], *, full_check: bool = False) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._lock_fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        self._closed = False
        try:
            with self._process_lock():
                self._conn = self._open_writer()
                try:
                    self._check(full_check)
                    self._migrate(migrations)
                except BaseException:
                    self._conn.close()
                    raise
        except BaseException:
            os.close(self._lock_fd)
            raise
        log.debug("outbox db open: sqlite %s, wal-reset bug affected=%s (one writer: not triggered)",
                  sqlite3.sqlite_version, WAL_RESET_BUG_AFFECTED)

    def __repr__(self) -> str:
        return f"Database({self.path.name!r})"

    # -- opening -----------------------------------------------------------------------------
    def _open_writer(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=10)
        except sqlite3.Error as exc:
            raise CorruptDatabase(str(self.path), type(exc).__name__) from None
        try:
            conn.execute("PRAGMA busy_timeout=10000")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise CorruptDatabase(str(self.path), f"journal_mode stays {mode}")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _storage_error(exc, "open", str(self.path)) from None
        return conn

    def _check(self, full: bool) -> None:
        try:
            rows = self._conn.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise _storage_error(exc, "integrity check", str(self.path)) from None
        results = [str(r[0]) for r in rows]
        if results != ["ok"]:
            raise CorruptDatabase(str(self.path), f"integrity check: {len(results)} problem(s)")

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        current = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if current > len(migrations):
            raise CorruptDatabase(str(self.path), f"schema version {current} is newer than this kiosk")
        for version, statements in enumerate(migrations, start=1):
            if version <= current:
                continue
            with self.transaction() as conn:
                for statement in statements:
                    conn.execute(statement)
                # user_version is in the database header: it commits with the migration.
                conn.execute(f"PRAGMA user_version={int(version)}")
            log.info("outbox schema migrated to version %d", version)

    # -- locking -----------------------------------------------------------------------------
    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """Hold the writer (thread lock and the cross-process flock); re-entrant."""
        with self._thread_lock:
            if self._closed:
                raise RuntimeError("database closed")
            if self._depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield self._conn
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """`BEGIN IMMEDIATE … COMMIT`; ROLLBACK on any exception (and on a failed COMMIT)."""
        with self.locked() as conn:
            if conn.in_transaction:
                raise RuntimeError("nested transaction")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise _storage_error(exc, "begin", str(self.path)) from None
            try:
                yield conn
            except BaseException:
                _rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                _rollback(conn)
                raise _storage_error(exc, "commit", str(self.path)) from None

    # -- reading -----------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows from the read-only connection (sees every committed write)."""
        with self._reader_lock:
            if self._closed:
                raise RuntimeError("database closed")
            if self._reader is None:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self._reader = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                                               timeout=10)
                self._reader.execute("PRAGMA busy_timeout=10000")
            try:
                return self._reader.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise _storage_error(exc, "read", str(self.path)) from None

    # -- maintenance -------------------------------------------------------------------------
    def checkpoint_truncate(self) -> bool:
        """Move the WAL into the database and truncate it to zero bytes (after a purge:
        old page images of deleted rows otherwise linger in the -wal file). True when
        the checkpoint completed; a busy reader only delays it to the next purge."""
        with self.locked() as conn:
            try:
                busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.DatabaseError as exc:
                raise _storage_error(exc, "checkpoint", str(self.path)) from None
            return int(busy) == 0

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        with self._thread_lock:
            if self._closed:
                return
            with self.locked():
                self._conn.close()  # the last close checkpoints: under the flock
            self._closed = True
            os.close(self._lock_fd)

    def abandon(self) -> None:
        """Drop the connections as a crash would: an open transaction is rolled back by
        SQLite, nothing is committed (the crash tests' "close without commit")."""
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        # No thread lock: a simulated crash may have left it held by this thread's frame.
        self._closed = True
        self._conn.close()
        os.close(self._lock_fd)


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        log.warning("rollback failed", exc_info=False)


def _storage_error(exc: sqlite3.DatabaseError, operation: str, path: str) -> Exception:
    """Map an SQLite failure to one of our errors (SQLite messages carry no row data)."""
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc).lower()
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return StorageFull("database")
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return CorruptDatabase(path, type(exc).__name__ + ": " + text[:80])
    if code == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
        return StorageFailure(operation, errno.errorcode.get(errno.EIO, "EIO"))
    return exc
