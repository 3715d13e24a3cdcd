"""kill -9 at every named crash point (offline-sync.md §10 L1, reliability.md A1/A2).

A child process enqueues and delivers against the real reference platform and sends
itself SIGKILL at one crash point; a second child restarts on the same storage dir and
drains. Then: every application whose receipt was handed out is on the platform
exactly once (same content), nothing else is, nothing is left undelivered, no file
lingers, and the database passes its integrity check.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from offline_queue import crashpoints
from offline_queue.outbox import Outbox
from tests.offline_queue.helpers import provision

ROOT = Path(__file__).resolve().parents[2]

# (crash point, which hit of it): the second hit lands in the middle of the work.
CASES = [
    ("enqueue.file_fsynced", 3),
    ("enqueue.files_durable", 2),
    ("enqueue.committed", 2),
    ("put.answered", 2),
    ("patch.answered", 3),
    ("finalize.answered", 2),
    ("deliver.before_ack", 2),
    ("purge.committed", 2),
    ("purge.unlinked", 1),
    ("evaluation.answered", 1),
]


def run_child(storage: Path, count: int, seed: int, crash: str | None) -> int:
    env = dict(os.environ)
    env.pop(crashpoints.ENV, None)
    if crash:
        env[crashpoints.ENV] = crash
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "tests.offline_queue.crash_child", str(storage), str(count), str(seed)],
                          cwd=ROOT, env=env, capture_output=True, timeout=60, check=False)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(proc.stderr.decode(errors="replace")[-2000:])
    return proc.returncode


def test_every_crash_point_is_covered() -> None:
    assert {name for name, _ in CASES} == set(crashpoints.POINTS)


@pytest.mark.slow
@pytest.mark.parametrize(("point", "nth"), CASES)
def test_kill9_loses_and_duplicates_nothing(point: str, nth: int, platform: Any, tmp_path: Path) -> None:
    storage = tmp_path / "terminal"
    provision(storage, platform.url, platform.new_enrollment_code())
    before = platform.count_submissions()

    assert run_child(storage, 3, seed=1, crash=f"{point}@{nth}") == -signal.SIGKILL, "the crash point was not reached"
    assert run_child(storage, 1, seed=50, crash=None) == 0  # restart: recovery, one more application, drain

    acked = [line.split() for line in (tmp_path / "acked.txt").read_text().splitlines()]
    with Outbox(storage) as outbox:
        status = outbox.status()
        rows = outbox.db.query("SELECT id, receipt_no, state FROM submissions")
        files = outbox.files.names()
    # No loss: every receipt handed out names an application the platform finalized.
    for sid, receipt_no in acked:
        case = platform.get_case_by_receipt(receipt_no)
        assert case is not None, f"lost {receipt_no} ({point})"
        assert platform.case_of_submission(sid)["receipt_no"] == receipt_no
    # No duplicates, nothing invented: the platform has exactly the terminal's rows.
    assert platform.count_submissions() - before == len(rows)
    assert len({r[1] for r in rows}) == len(rows)
    assert {sid for sid, _ in acked} <= {r[0] for r in rows}
    # Everything drained and purged; no stray file; the database is sound.
    assert status.pending == status.delivering == status.quarantined == 0, status
    assert {r[2] for r in rows} == {"purged"}
    assert status.evaluations_pending == 0
    assert files == []
    conn = sqlite3.connect(storage / "outbox.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
