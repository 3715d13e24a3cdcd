"""The happy path end to end against the reference platform."""

from __future__ import annotations

from typing import Any

from offline_queue.client import Case, NotFound
from offline_queue.model import State
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker, platform_client
from tests.offline_queue.helpers import id_number, make_app


def test_applications_and_evaluation_are_delivered_then_purged(outbox: Outbox, worker: SyncWorker, platform: Any) -> None:
    receipts = [outbox.enqueue(make_app(seed=i, pages=i + 1)) for i in range(3)]
    receipts.append(outbox.enqueue(make_app(item="OQ-0002", seed=9)))
    eid = outbox.enqueue_evaluation(5, submission_id=receipts[0].submission_id, reasons=["快"], comment="很好")
    report = worker.run_once(ignore_timers=True)
    assert report.delivered == 4, report
    assert report.evaluations_delivered == 1
    assert platform.count_submissions() == 4
    assert platform.count_cases() == 4
    assert platform.count_evaluations() == 1
    status = outbox.status()
    assert status.pending == 0 and status.delivered == 4 and status.purged == 4
    for r in receipts:
        info = outbox.lookup(r.receipt_no)
        assert info.state is State.PURGED
        assert info.case_no
        assert platform.get_case_by_receipt(r.receipt_no)["case_no"] == info.case_no
    assert outbox.files.names() == []
    assert eid


def test_progress_query_from_the_platform_and_from_the_outbox(outbox: Outbox, worker: SyncWorker) -> None:
    receipt = outbox.enqueue(make_app(seed=1))
    client = platform_client(outbox.storage_dir)
    assert client is not None
    with client:
        assert isinstance(client.case_by_receipt(receipt.receipt_no), NotFound)  # not delivered yet...
        assert outbox.lookup(receipt.receipt_no).state is State.PENDING  # ...but the terminal knows it
        worker.run_once(ignore_timers=True)
        case = client.case_by_receipt(receipt.receipt_no)
        assert isinstance(case, Case) and case.case_no == outbox.lookup(receipt.receipt_no).case_no
        assert case.applicant_name_masked == "张*明"
        found = client.search_cases("resident_id", id_number("11010119900307123"))
        assert [c.case_no for c in found.cases] == [case.case_no]  # type: ignore[union-attr]
