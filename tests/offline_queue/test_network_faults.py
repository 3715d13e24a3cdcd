"""What networks and platforms really do, through a fault proxy in front of the real
reference platform (offline-sync.md §10 L4, reliability.md A4): every case ends with
exactly one case on the platform per application and nothing quarantined."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offline_queue.client import PlatformClient
from offline_queue.clock import FakeClock
from offline_queue.model import NewMaterial, State
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.faultproxy import FaultProxy
from tests.offline_queue.helpers import FAST_TIMEOUT, fake_jpeg, make_app


@pytest.fixture
def proxy(platform: Any) -> Iterator[FaultProxy]:
    p = FaultProxy(platform.url)
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def box(storage: Path, clock: FakeClock) -> Iterator[Outbox]:
    b = Outbox(storage, clock=clock)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def sync(box: Outbox, proxy: FaultProxy, clock: FakeClock) -> Iterator[SyncWorker]:
    w = SyncWorker(box, clock=clock,
                   client_factory=lambda c: PlatformClient(proxy.url, c.token, timeout=FAST_TIMEOUT, clock=clock))
    try:
        yield w
    finally:
        w.stop()


def drain(sync: SyncWorker, passes: int = 8) -> None:
    for _ in range(passes):
        sync.run_once(ignore_timers=True)
        status = sync.outbox.status()
        if not status.undelivered:
            return
    raise AssertionError(f"not drained: {sync.outbox.status()}")


def assert_exactly_once(box: Outbox, platform: Any, receipts: list[Any]) -> None:
    for r in receipts:
        info = box.lookup(r.receipt_no)
        assert info.state is State.PURGED, info
        case = platform.case_of_submission(r.submission_id)
        assert case is not None and case["case_no"] == info.case_no
    assert platform.count_submissions() == len(receipts)
    assert platform.count_cases() == len(receipts)
    assert box.status().quarantined == 0


def test_connection_dropped_before_and_after_the_platform_committed(
        box: Outbox, sync: SyncWorker, proxy: FaultProxy, platform: Any) -> None:
    receipts = [box.enqueue(make_app(seed=i)) for i in range(2)]
    proxy.add("drop_before", method="PUT", path_prefix="/v1/submissions/")
    proxy.add("commit_then_drop", method="PUT", path_prefix="/v1/submissions/")
    proxy.add("commit_then_drop", method="PATCH")
    proxy.add("status_after", method="POST", status=500)  # finalize committed, then 500
    proxy.add("commit_then_drop", method="POST")  # finalize committed again, answer lost
    drain(sync)
    assert proxy.pending() == 0
    assert_exactly_once(box, platform, receipts)


def test_503_retry_after_seconds_is_honoured(box: Outbox, sync: SyncWorker, proxy: FaultProxy, clock: FakeClock,
                                             platform: Any) -> None:
    receipt = box.enqueue(make_app(seed=1))
    proxy.add("status", method="PUT", path_prefix="/v1/submissions/", status=503, retry_after="120")
    report = sync.run_once()
    assert report.deferred == 1
    puts = sum(1 for m, p, _, _ in proxy.log if m == "PUT" and p.startswith("/v1/submissions/"))
    clock.advance(100)
    sync.run_once()
    assert sum(1 for m, p, _, _ in proxy.log if m == "PUT" and p.startswith("/v1/submissions/")) == puts
    assert box.status().pending == 1
    clock.advance(200)
    report = sync.run_once()
    assert report.delivered == 1
    assert_exactly_once(box, platform, [receipt])


def test_429_retry_after_http_date_is_honoured(box: Outbox, sync: SyncWorker, proxy: FaultProxy, clock: FakeClock,
                                               platform: Any) -> None:
    receipt = box.enqueue(make_app(item="OQ-0002", seed=2))
    # An HTTP-date is read against the answer's own Date header (the platform's clock),
    # so a terminal whose clock is off still waits what the platform asked.
    when = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=600), usegmt=True)
    proxy.add("status", method="PUT", path_prefix="/v1/submissions/", status=429, retry_after=when)
    assert sync.run_once().deferred == 1
    clock.advance(400)
    assert sync.run_once().delivered == 0
    clock.advance(1000)
    assert sync.run_once().delivered == 1
    assert_exactly_once(box, platform, [receipt])


def test_stalled_platform_times_out_and_delivery_resumes(box: Outbox, sync: SyncWorker, proxy: FaultProxy,
                                                         platform: Any) -> None:
    receipt = box.enqueue(make_app(seed=3))
    proxy.add("stall", method="PATCH", stall_s=1.5)  # longer than the client's 1 s read timeout
    report = sync.run_once(ignore_timers=True)
    assert report.deferred == 1
    assert "timeout" in (box.status().last_error or "")
    drain(sync)
    assert_exactly_once(box, platform, [receipt])


def test_upload_cut_midway_resumes_from_the_platform_offset(box: Outbox, sync: SyncWorker, proxy: FaultProxy,
                                                            platform: Any) -> None:
    big = fake_jpeg(9 * 1024 * 1024 + 123, seed=7)  # three chunks of at most 4 MiB
    app = make_app(seed=4, pages=1)
    app = type(app)(**{**app.__dict__, "materials": [NewMaterial("photo", "image/jpeg", big, 1),
                                                      *app.materials[1:]]})
    receipt = box.enqueue(app)
    proxy.add("partial_upload", method="PATCH", fraction=0.4)
    proxy.add("commit_then_drop", method="PATCH")
    drain(sync)
    assert_exactly_once(box, platform, [receipt])
    body = platform.submission_body(receipt.submission_id)
    photo = next(m for m in body["materials"] if m["code"] == "photo")
    assert platform.material_bytes(receipt.submission_id, photo["material_id"]) == big
    patches = [p for m, p, _, _ in proxy.log if m == "PATCH"]
    assert len(patches) >= 4


def test_captive_portal_200_html_is_not_a_delivery(box: Outbox, sync: SyncWorker, proxy: FaultProxy,
                                                   platform: Any) -> None:
    receipt = box.enqueue(make_app(seed=5))
    proxy.add("captive_portal", path_prefix="/", times=50)
    for _ in range(3):
        sync.run_once(ignore_timers=True)
    assert box.lookup(receipt.receipt_no).state is State.PENDING
    assert "undocumented" in (box.status().last_error or "")
    proxy.clear()
    drain(sync)
    assert_exactly_once(box, platform, [receipt])


@pytest.mark.parametrize("method", ["PUT", "HEAD", "PATCH", "POST"])
def test_platform_answering_nonsense_is_transient(method: str, box: Outbox, sync: SyncWorker, proxy: FaultProxy,
                                                  platform: Any) -> None:
    receipt = box.enqueue(make_app(seed=6))
    if method == "HEAD":  # HEAD is asked only when resuming: lose the first PUT's answer
        proxy.add("commit_then_drop", method="PUT", path_prefix="/v1/submissions/")
    proxy.add("nonsense", method=method, path_prefix="/v1/submissions/", times=2)
    drain(sync)
    assert proxy.pending() == 0
    assert_exactly_once(box, platform, [receipt])


def test_corrupted_chunk_is_sent_again(box: Outbox, sync: SyncWorker, proxy: FaultProxy, platform: Any) -> None:
    receipt = box.enqueue(make_app(seed=8))
    proxy.add("corrupt_body", method="PATCH", times=2)
    drain(sync)
    assert [s for m, _, a, s in proxy.log if a == "corrupt_body"] == [460, 460]
    assert_exactly_once(box, platform, [receipt])


def test_evaluation_answer_lost_is_not_recorded_twice(box: Outbox, sync: SyncWorker, proxy: FaultProxy,
                                                      platform: Any) -> None:
    receipt = box.enqueue(make_app(item="OQ-0002", seed=9))
    eid = box.enqueue_evaluation(2, submission_id=receipt.submission_id, reasons=["等待时间长"])
    proxy.add("commit_then_drop", method="PUT", path_prefix="/v1/evaluations/")
    proxy.add("status_after", method="PUT", path_prefix="/v1/evaluations/", status=502)
    drain(sync)
    assert platform.count_evaluations() == 1
    assert box.status().evaluations_delivered == 1
    assert eid
