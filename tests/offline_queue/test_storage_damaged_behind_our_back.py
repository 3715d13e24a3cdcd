"""Storage damaged behind the kiosk's back: a corrupted database, a database that is
not one, a deleted or altered material file, a lost terminal key. Every case ends in
a clear state (an error naming the problem, or a quarantined application with its
reason), never in silent loss and never in a traceback on the command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from offline_queue import crashpoints
from offline_queue.crypto import KEY_FILE
from offline_queue.errors import CorruptDatabase, KeyMismatch
from offline_queue.model import State
from offline_queue.outbox import DB_FILE, Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import make_app


def fill_db(storage: Path, n: int = 30) -> None:
    with Outbox(storage, "T0001") as box:
        for i in range(n):
            box.enqueue(make_app(item="OQ-0002", seed=i))
        box.db.checkpoint_truncate()


def write_config(tmp_path: Path, storage: Path) -> Path:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[storage]\ndir = "{storage}"\n', encoding="utf-8")
    return cfg


def test_corrupted_pages_are_reported_and_the_file_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "storage"
    fill_db(storage)
    db = storage / DB_FILE
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(page, len(data), page):  # every page but the header page
        data[offset + 8 : offset + 200] = os.urandom(192)
    db.write_bytes(bytes(data))
    with pytest.raises(CorruptDatabase, match="damaged"):
        Outbox(storage, "T0001")
    assert db.read_bytes() == bytes(data)  # left in place for a technician, never replaced

    code = main(["--config", str(write_config(tmp_path, storage)), "queue", "status"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "damaged" in err and "Traceback" not in err


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    storage.mkdir()
    (storage / DB_FILE).write_bytes(b"this is not sqlite" * 500)
    with pytest.raises(CorruptDatabase):
        Outbox(storage, "T0001")


def test_lost_or_swapped_terminal_key_is_refused_not_replaced(tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    fill_db(storage, 2)
    key = storage / KEY_FILE
    original = key.read_bytes()
    key.unlink()
    with pytest.raises(KeyMismatch):
        Outbox(storage, "T0001")
    assert not key.exists()  # not silently regenerated while wrapped keys need the old one
    key.write_bytes(os.urandom(32))
    with pytest.raises(KeyMismatch):
        Outbox(storage, "T0001")
    key.write_bytes(original)
    with Outbox(storage, "T0001") as box:
        assert box.status().pending == 2


def test_deleted_material_file_quarantines_the_application(outbox: Outbox, worker: SyncWorker) -> None:
    doomed = outbox.enqueue(make_app(seed=1))
    fine = outbox.enqueue(make_app(seed=2))
    os.unlink(outbox.files.path(outbox.materials(doomed.submission_id)[0].file_name))
    storage = outbox.storage_dir
    with Outbox(storage) as reopened:
        assert reopened.status().missing_files == 1
        w = SyncWorker(reopened)
        report = w.run_once(ignore_timers=True)
        w.stop()
        assert report.delivered == 1 and report.quarantined == 1
        info = reopened.lookup(doomed.receipt_no)
        assert info.state is State.QUARANTINED
        assert info.quarantine is not None and info.quarantine.reason == "material_missing"
        assert reopened.lookup(fine.receipt_no).state is State.PURGED


def test_altered_material_file_quarantines_the_application(outbox: Outbox, worker: SyncWorker) -> None:
    receipt = outbox.enqueue(make_app(seed=3))
    path = outbox.files.path(outbox.materials(receipt.submission_id)[0].file_name)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    worker.run_once(ignore_timers=True)
    info = outbox.lookup(receipt.receipt_no)
    assert info.state is State.QUARANTINED
    assert info.quarantine is not None and info.quarantine.reason == "material_corrupt"


def test_file_deleted_after_the_platform_has_it_still_delivers(outbox: Outbox, platform: Any) -> None:
    receipt = outbox.enqueue(make_app(seed=4))
    worker = SyncWorker(outbox)
    with pytest.raises(crashpoints.SimulatedCrash), crashpoints.hooked(crashpoints.crash_at("finalize.answered")):
        worker.run_once(ignore_timers=True)
    for m in outbox.materials(receipt.submission_id):  # every byte is on the platform already
        os.unlink(outbox.files.path(m.file_name))
    storage = outbox.storage_dir
    outbox.abandon()
    with Outbox(storage) as box:
        w = SyncWorker(box)
        assert w.run_once(ignore_timers=True).delivered == 1
        w.stop()
        assert box.lookup(receipt.receipt_no).case_no == platform.case_of_submission(receipt.submission_id)["case_no"]
