"""Material files beside the database, written so that a crash leaves either nothing or
the whole file under its final name (offline-sync.md §4.2, the ALICE rules):

    temp file (O_EXCL, 0600, same directory) → write → fsync → rename → fsync(directory)

and all of it BEFORE the database row that names the file commits. So a committed row
always names a durable file; a crash in between leaves a temp file or a file no row
names, and `sweep()` removes both at start-up. Purge is the mirror image: the row
change commits first, then the files are unlinked and the directory fsynced.

Names are ids (UUIDs), never anything a resident typed. Contents are ciphertext
(offline_queue.crypto); the plaintext never touches the disk.

A failed fsync is not retried (PostgreSQL's "fsyncgate": the kernel may have dropped
the dirty pages, a second fsync can succeed without writing them): StorageFailure.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from offline_queue import crashpoints
from offline_queue.errors import StorageFailure, StorageFull

log = logging.getLogger(__name__)

TEMP_MARK = ".tmp-"
#: The write syscall's shape (os.write); tests pass one that fails with ENOSPC.
Writer = Callable[[int, memoryview], int]
_FULL = (errno.ENOSPC, errno.EDQUOT)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as exc:
        raise StorageFailure("directory fsync", errno.errorcode.get(exc.errno or 0, "EIO")) from None
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600,
                 write: Writer = os.write, crash_point: str | None = None) -> None:
    """Replace `path` with `data` atomically and durably (including the directory entry)."""
    directory = path.parent
    temp = directory / f".{path.name}{TEMP_MARK}{uuid.uuid4().hex}"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except OSError as exc:
        raise _os_error(exc, "create") from None
    try:
        try:
            view = memoryview(data)
            while view:
                written = write(fd, view)
                view = view[written:]
        except OSError as exc:
            raise _os_error(exc, "write") from None
        try:
            os.fsync(fd)
        except OSError as exc:
            raise StorageFailure("file fsync", errno.errorcode.get(exc.errno or 0, "EIO")) from None
    except BaseException:
        os.close(fd)
        _unlink_quietly(temp)
        raise
    os.close(fd)
    if crash_point:
        crashpoints.hit(crash_point)
    try:
        os.replace(temp, path)
    except OSError as exc:
        _unlink_quietly(temp)
        raise _os_error(exc, "rename") from None


def _os_error(exc: OSError, operation: str) -> Exception:
    if exc.errno in _FULL:
        return StorageFull(operation)
    return StorageFailure(operation, errno.errorcode.get(exc.errno or 0, "EIO"))


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


@dataclass(frozen=True)
class SweepReport:
    temp_removed: int
    orphans_removed: int


class MaterialStore:
    """The spool directory of encrypted material files.

    `write` is the write syscall; tests inject ENOSPC through it when no small tmpfs is
    available.
    """

    def __init__(self, root: Path, *, write: Writer = os.write) -> None:
        self.root = root
        self._write = write
        root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"MaterialStore({str(self.root)!r})"

    def path(self, name: str) -> Path:
        if "/" in name or name.startswith(".") or not name:
            raise ValueError("bad material file name")
        return self.root / name

    def write_all(self, files: Iterable[tuple[str, bytes]]) -> list[str]:
        """Write every file atomically, then fsync the directory once. On failure the
        files written so far are removed again and the error is raised."""
        done: list[str] = []
        try:
            for name, data in files:
                atomic_write(self.path(name), data, write=self._write, crash_point="enqueue.file_fsynced")
                done.append(name)
            fsync_dir(self.root)
        except BaseException as exc:
            if not isinstance(exc, crashpoints.SimulatedCrash):
                self.unlink(done, sync=False)
            raise
        return done

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None when it is gone."""
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def unlink(self, names: Iterable[str], *, sync: bool = True) -> int:
        removed = 0
        for name in names:
            try:
                os.unlink(self.path(name))
                removed += 1
            except FileNotFoundError:
                pass
        if sync and removed:
            fsync_dir(self.root)
        return removed

    def names(self) -> list[str]:
        try:
            return [entry.name for entry in os.scandir(self.root) if entry.is_file(follow_symlinks=False)]
        except FileNotFoundError:
            return []

    def sweep(self, referenced: set[str]) -> SweepReport:
        """Remove temp files and files no row names (call with the writer lock held)."""
        temps = orphans = 0
        doomed: list[str] = []
        for name in self.names():
            if TEMP_MARK in name:
                temps += 1
                doomed.append(name)
            elif name not in referenced:
                orphans += 1
                doomed.append(name)
        for name in doomed:
            _unlink_quietly(self.root / name)
        if doomed:
            fsync_dir(self.root)
            log.info("spool sweep: %d temp file(s), %d orphan file(s) removed", temps, orphans)
        return SweepReport(temps, orphans)
