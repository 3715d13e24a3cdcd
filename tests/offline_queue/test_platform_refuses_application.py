"""The platform refuses an application for good (422 validation, 409 conflict): it is
quarantined with the platform's reason, kept with its data, shown to staff, and goes
back to the queue only when staff retry it. Nothing is dropped silently."""

from __future__ import annotations

import pytest

from offline_queue import credentials
from offline_queue.client import PlatformClient, SubmissionState
from offline_queue.errors import OutboxError, UnknownItem
from offline_queue.model import Kind, State
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import make_app


def test_validation_error_quarantines_with_the_platform_reasons(outbox: Outbox, worker: SyncWorker) -> None:
    bad = outbox.enqueue(make_app(seed=1, phone="12"))  # not a phone number: the platform answers 422
    good = outbox.enqueue(make_app(seed=2))
    report = worker.run_once(ignore_timers=True)
    assert report.quarantined == 1 and report.delivered == 1
    info = outbox.lookup(bad.receipt_no)
    assert info.state is State.QUARANTINED
    assert info.quarantine is not None
    assert info.quarantine.reason == "validation" and info.quarantine.http_status == 422
    assert {(e.field, e.code) for e in info.quarantine.errors} >= {("form.phone", "format")}
    assert outbox.lookup(good.receipt_no).state is State.PURGED
    listed = outbox.list([State.QUARANTINED])
    assert [i.id for i in listed] == [bad.submission_id]
    # The data is still there: the receipt can be reprinted, staff can export it.
    assert outbox.receipt_data(bad.receipt_no).applicant_name_masked == "张*明"
    # Retrying without fixing anything quarantines it again (and never drops it).
    assert outbox.retry(bad.submission_id) is Kind.APPLICATION
    assert outbox.lookup(bad.receipt_no).state is State.PENDING
    worker.run_once(ignore_timers=True)
    assert outbox.lookup(bad.receipt_no).state is State.QUARANTINED
    assert outbox.status().quarantined == 1


def test_same_id_with_different_content_is_a_conflict(outbox: Outbox, worker: SyncWorker, storage: object,
                                                      platform: object) -> None:
    receipt = outbox.enqueue(make_app(seed=3))
    manifest = outbox.payload(Kind.APPLICATION, receipt.submission_id)
    creds = credentials.load(outbox.storage_dir)
    assert creds is not None
    with PlatformClient(creds.platform_url, creds.token) as client:  # someone else got there first
        tampered = {**manifest, "form": {"phone": "13900000000"}}
        assert isinstance(client.put_submission(receipt.submission_id, tampered), SubmissionState)
    worker.run_once(ignore_timers=True)
    info = outbox.lookup(receipt.receipt_no)
    assert info.state is State.QUARANTINED
    assert info.quarantine is not None and info.quarantine.reason == "conflict" and info.quarantine.http_status == 409


def test_retry_of_unknown_or_healthy_items_is_refused(outbox: Outbox) -> None:
    receipt = outbox.enqueue(make_app(seed=4))
    with pytest.raises(UnknownItem):
        outbox.retry("no-such-id")
    with pytest.raises(OutboxError, match="not quarantined"):
        outbox.retry(receipt.submission_id)
