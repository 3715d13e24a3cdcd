"""Canary personal data (a name, an ID number, a phone number, text inside a scanned
page, an evaluation comment) must never be readable anywhere under the storage dir —
database, WAL, spool files — after capture, during delivery, after purge, nor in the
logs (reliability.md E1/E2, offline-sync.md §10 invariant I4)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from offline_queue import crashpoints
from offline_queue.model import NewApplication, NewMaterial
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import CANARY_ID, CANARY_NAME, CANARY_PHONE, fake_jpeg, grep_tree, make_app

IMAGE_CANARY = "CANARY-PAGE-7f3e9b"
COMMENT_CANARY = "金丝雀评价内容"
ADDRESS_CANARY = "金丝雀路十八号"
NEEDLES = [CANARY_NAME, CANARY_ID, CANARY_PHONE, IMAGE_CANARY, COMMENT_CANARY, ADDRESS_CANARY]


def canary_app() -> NewApplication:
    base = make_app(seed=11, name=CANARY_NAME, id_no=CANARY_ID, phone=CANARY_PHONE)
    page = fake_jpeg(40_000, 5) + IMAGE_CANARY.encode() + fake_jpeg(1000, 6)
    return NewApplication(
        item_code=base.item_code,
        applicant={**base.applicant, "address": ADDRESS_CANARY},
        delivery={"method": "express", "recipient": CANARY_NAME, "phone": CANARY_PHONE, "address": ADDRESS_CANARY},
        form=base.form,
        commitment=base.commitment,
        materials=[NewMaterial("photo", "image/jpeg", page, 1), *base.materials[1:]],
        deferred_materials=base.deferred_materials,
        catalog_version=base.catalog_version,
    )


def test_canary_is_never_found_in_storage_or_logs(outbox: Outbox, worker: SyncWorker, storage: Path, platform: Any,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = outbox.enqueue(canary_app())
    outbox.enqueue_evaluation(1, submission_id=receipt.submission_id, comment=COMMENT_CANARY)
    assert grep_tree(storage, NEEDLES) == [], "after capture"

    seen_during: dict[str, list[str]] = {}

    def grep_at(point: str) -> None:
        if point in ("patch.answered", "finalize.answered", "deliver.before_ack", "purge.committed",
                     "evaluation.answered"):
            seen_during[point] = grep_tree(storage, NEEDLES)

    with crashpoints.hooked(grep_at):
        report = worker.run_once(ignore_timers=True)
    assert report.delivered == 1 and report.evaluations_delivered == 1
    assert set(seen_during) >= {"patch.answered", "finalize.answered", "deliver.before_ack", "purge.committed"}
    assert all(hits == [] for hits in seen_during.values()), seen_during
    assert grep_tree(storage, NEEDLES) == [], "after purge"

    # The platform did receive the real data (the canary is not just missing everywhere).
    assert platform.submission_body(receipt.submission_id)["applicant"]["id_number"] == CANARY_ID
    # What stays locally is a record without personal data.
    info = outbox.lookup(receipt.receipt_no)
    assert info.case_no and info.applicant_name_masked is None
    assert outbox.db.query("SELECT payload, wrapped_key FROM submissions") == [(None, None)]
    assert outbox.db.query("SELECT payload, wrapped_key FROM evaluations") == [(None, None)]
    assert outbox.db.query("SELECT count(*) FROM materials") == [(0,)]

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [n for n in NEEDLES if n in logged]


def test_reprs_carry_no_personal_data(outbox: Outbox) -> None:
    app = canary_app()
    receipt = outbox.enqueue(app)
    texts = [repr(app), repr(outbox.lookup(receipt.receipt_no)), repr(outbox.receipt_data(receipt.receipt_no)),
             repr(outbox.list())]
    for text in texts:
        assert not [n for n in NEEDLES if n in text], text
