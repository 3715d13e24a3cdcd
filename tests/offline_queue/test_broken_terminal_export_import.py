"""A terminal breaks with undelivered applications on it: staff export them to an
encrypted bundle, a replacement (re-provisioned with the same terminal id) imports
and delivers them, with their original ids and receipt numbers, exactly once. A
damaged, truncated or wrongly unlocked bundle is refused as a whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from offline_queue import credentials
from offline_queue.errors import BadBundle
from offline_queue.model import State
from offline_queue.outbox import Outbox, receipt_parts
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import CANARY_ID, CANARY_NAME, grep_tree, make_app, provision

PASS = "correct horse battery staple"


def seq(receipt_no: str) -> int:
    parts = receipt_parts(receipt_no)
    assert parts is not None
    return parts[2]


def test_export_then_import_on_a_replacement_delivers_everything_once(storage: Path, platform: Any,
                                                                       tmp_path: Path) -> None:
    old = Outbox(storage)
    delivered = old.enqueue(make_app(seed=1))
    w = SyncWorker(old)
    w.run_once(ignore_timers=True)
    w.stop()
    waiting = [old.enqueue(make_app(seed=10 + i, name=CANARY_NAME, id_no=CANARY_ID)) for i in range(3)]
    eid = old.enqueue_evaluation(3, submission_id=waiting[0].submission_id, comment="排队太久")
    bundle = tmp_path / "usb" / "outbox.bundle"
    bundle.parent.mkdir()
    assert old.export_bundle(bundle, PASS) == 4
    old.close()
    assert grep_tree(bundle.parent, [CANARY_NAME, CANARY_ID, "排队太久"]) == []

    # The replacement: a new disk, re-enrolled under the same terminal id.
    tid = credentials.load(storage).terminal_id  # type: ignore[union-attr]
    new_storage = tmp_path / "replacement"
    provision(new_storage, platform.url, platform.new_enrollment_code(), terminal_id=tid)
    with Outbox(new_storage) as new:
        assert new.import_bundle(bundle, PASS) == (4, 0)
        assert new.import_bundle(bundle, PASS) == (0, 4)  # idempotent
        for r in waiting:
            info = new.lookup(r.receipt_no)
            assert info.submission_id == r.submission_id and info.state is State.PENDING
            assert new.receipt_data(r.receipt_no).applicant_name_masked == "金****丙"
        fresh = new.enqueue(make_app(seed=99))  # never reuses an imported receipt number
        assert fresh.receipt_no not in {r.receipt_no for r in waiting}
        assert seq(fresh.receipt_no) > max(seq(r.receipt_no) for r in waiting)
        w = SyncWorker(new)
        report = w.run_once(ignore_timers=True)
        w.stop()
        assert report.delivered == 4 and report.evaluations_delivered == 1
        assert new.status().quarantined == 0
    for r in [delivered, *waiting, fresh]:
        assert platform.case_of_submission(r.submission_id)["receipt_no"] == r.receipt_no
    assert platform.count_submissions() == 5
    assert platform.count_evaluations() == 1
    assert eid


def test_damaged_bundles_are_refused_whole(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "a", "T0001")
    for i in range(2):
        box.enqueue(make_app(seed=i))
    bundle = tmp_path / "b.bundle"
    box.export_bundle(bundle, PASS)
    box.close()
    target = Outbox(tmp_path / "b", "T0002")
    with pytest.raises(BadBundle, match="passphrase"):
        target.import_bundle(bundle, "wrong")
    data = bundle.read_bytes()
    truncated = tmp_path / "t.bundle"
    truncated.write_bytes(data[:-40])
    with pytest.raises(BadBundle, match="truncated"):
        target.import_bundle(truncated, PASS)
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x40
    (tmp_path / "f.bundle").write_bytes(bytes(flipped))
    with pytest.raises(BadBundle):
        target.import_bundle(tmp_path / "f.bundle", PASS)
    (tmp_path / "x.bundle").write_bytes(b"hello")
    with pytest.raises(BadBundle, match="not an outbox bundle"):
        target.import_bundle(tmp_path / "x.bundle", PASS)
    assert target.status().pending == 0  # nothing half-imported
    assert target.files.names() == []
    assert target.import_bundle(bundle, PASS) == (2, 0)
    target.close()


def test_import_under_another_terminal_id_is_surfaced_not_lost(storage: Path, platform: Any, tmp_path: Path) -> None:
    old = Outbox(tmp_path / "old", "OLD-0001")
    receipt = old.enqueue(make_app(seed=5))
    bundle = tmp_path / "o.bundle"
    old.export_bundle(bundle, PASS)
    old.close()
    with Outbox(storage) as box:
        box.import_bundle(bundle, PASS)
        w = SyncWorker(box)
        w.run_once(ignore_timers=True)
        w.stop()
        info = box.lookup(receipt.receipt_no)
        assert info.state is State.QUARANTINED
        assert info.quarantine is not None and info.quarantine.http_status == 403
