"""The disk fills up (reliability.md A5/A6): a new application is refused with a clear
error, nothing half-written stays behind, every application queued before is intact,
and capture works again without a restart once space is freed."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_queue.errors import StorageFull
from offline_queue.files import TEMP_MARK
from offline_queue.model import State
from offline_queue.outbox import Outbox
from tests.offline_queue.helpers import make_app


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (root only); skipped where mounting is not allowed."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (the injected-ENOSPC test covers the rest)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount_point)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


def assert_sound(box: Outbox, receipts: list[object]) -> None:
    for r in receipts:
        assert box.lookup(r.receipt_no).state is State.PENDING  # type: ignore[attr-defined]
        assert box.material_bytes(r.submission_id, box.materials(r.submission_id)[0].material_id)  # type: ignore[attr-defined]
    referenced = {m.file_name for r in receipts for m in box.materials(r.submission_id)}  # type: ignore[attr-defined]
    assert set(box.files.names()) == referenced
    assert not [n for n in os.listdir(box.files.root) if TEMP_MARK in n]
    conn = sqlite3.connect(box.storage_dir / "outbox.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_real_full_disk_refuses_cleanly_and_recovers(small_disk: Path) -> None:
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * 512 * 1024)
    # The watermark switched off: the writes themselves must hit ENOSPC and cope.
    box = Outbox(small_disk / "storage", "T0001", min_free_bytes=-(1 << 40))
    receipts = []
    with pytest.raises(StorageFull, match="storage full"):
        for i in range(40):
            receipts.append(box.enqueue(make_app(seed=i, pages=1, page_size=300_000)))
    assert 3 <= len(receipts) < 40
    assert_sound(box, receipts)
    ballast.unlink()
    receipts.append(box.enqueue(make_app(seed=99, pages=1, page_size=200_000)))  # no restart needed
    assert_sound(box, receipts)
    box.close()
    with Outbox(small_disk / "storage", "T0001", min_free_bytes=0) as again:
        assert again.status().pending == len(receipts)


def test_enospc_in_the_middle_of_the_files_leaves_nothing_behind(tmp_path: Path) -> None:
    calls = 0
    fail = False

    def write(fd: int, data: memoryview) -> int:
        nonlocal calls
        calls += 1
        if fail and calls >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(fd, data)

    box = Outbox(tmp_path / "storage", "T0001", write=write)
    kept = box.enqueue(make_app(seed=1, pages=3))
    fail = True
    calls = 0
    with pytest.raises(StorageFull):
        box.enqueue(make_app(seed=2, pages=3))
    assert box.status().pending == 1
    assert_sound(box, [kept])
    fail = False
    again = box.enqueue(make_app(seed=3, pages=3))
    assert_sound(box, [kept, again])
    box.close()


def test_low_watermark_refuses_before_writing(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "storage", "T0001", min_free_bytes=1 << 62)  # "less than that is free"
    with pytest.raises(StorageFull, match="MiB free"):
        box.enqueue(make_app(seed=1))
    assert box.files.names() == []
    assert box.status().pending == 0
    box.close()
