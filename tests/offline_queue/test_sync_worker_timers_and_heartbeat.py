"""The sync worker's life: a background thread woken by new applications, stoppable,
one per storage dir; capped exponential backoff with jitter when the platform is
unreachable (no hammering, no giving up); a heartbeat with device and queue health
every 60 s; a catalog refresh when the heartbeat says the catalog changed; a wall
clock stepped backwards never parks an application."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offline_queue import catalog_cache, credentials
from offline_queue.client import PlatformClient
from offline_queue.clock import FakeClock
from offline_queue.errors import OutboxError
from offline_queue.model import State
from offline_queue.outbox import Outbox
from offline_queue.sync import Backoff, SyncReport, SyncTimers, SyncWorker
from tests.offline_queue.faultproxy import FaultProxy
from tests.offline_queue.helpers import FAST_TIMEOUT, make_app


def test_backoff_is_capped_jittered_and_never_zero() -> None:
    backoff = Backoff(base_s=30, cap_s=900)
    rng = random.Random(1)
    for attempt in range(1, 40):
        ceiling = min(900, 30 * 2 ** (attempt - 1))
        delays = [backoff.delay(attempt, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jitter: a hall's terminals do not retry in lockstep


def test_worker_thread_delivers_when_woken_and_stops(outbox: Outbox, platform: Any) -> None:
    delivered = threading.Event()

    def on_pass(report: SyncReport) -> None:
        if report.delivered:
            delivered.set()

    worker = SyncWorker(outbox, on_pass=on_pass)
    worker.start()  # registers itself: an enqueue wakes it
    try:
        assert worker.running
        with Outbox(outbox.storage_dir) as second, pytest.raises(OutboxError, match="another process"):
            SyncWorker(second).start()  # one delivering worker per storage dir
        receipt = outbox.enqueue(make_app(seed=1))
        assert delivered.wait(10), "the worker did not deliver after being woken"
    finally:
        worker.stop()
    assert not worker.running
    assert platform.case_of_submission(receipt.submission_id) is not None
    assert outbox.acquire_worker_lock()  # released by stop()
    outbox.release_worker_lock()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def proxy(platform: Any) -> Iterator[FaultProxy]:
    p = FaultProxy(platform.url)
    try:
        yield p
    finally:
        p.stop()


def test_unreachable_platform_backs_off_instead_of_hammering(storage: Path, clock: FakeClock, proxy: FaultProxy,
                                                             platform: Any) -> None:
    box = Outbox(storage, clock=clock)
    receipts = [box.enqueue(make_app(seed=i, item="OQ-0002")) for i in range(5)]
    worker = SyncWorker(box, clock=clock, rng=random.Random(3),
                        timers=SyncTimers(backoff=Backoff(base_s=30, cap_s=900)),
                        client_factory=lambda c: PlatformClient(proxy.url, c.token, timeout=FAST_TIMEOUT, clock=clock))
    proxy.add("drop_before", path_prefix="/", times=10_000)
    attempts = []
    for _minute in range(60):  # an hour offline, a pass every minute
        before = proxy.received
        worker.run_once()
        attempts.append(proxy.received - before)
        clock.advance(60)
    # One heartbeat a minute probes the link; the rows are not tried one by one each minute.
    assert max(attempts[1:]) == 1 and sum(attempts) <= 62, str(attempts)
    assert box.status().pending == 5 and box.status().quarantined == 0  # never given up, never dropped
    proxy.clear()
    # The next heartbeat succeeds and expedites the rows: no waiting out the backoff.
    clock.advance(60)
    assert worker.run_once().delivered == 5
    assert all(platform.case_of_submission(r.submission_id) for r in receipts)
    worker.stop()
    box.close()


def test_clock_stepped_back_does_not_park_an_application(storage: Path, clock: FakeClock, proxy: FaultProxy) -> None:
    box = Outbox(storage, clock=clock)
    receipt = box.enqueue(make_app(seed=7))
    worker = SyncWorker(box, clock=clock,
                        client_factory=lambda c: PlatformClient(proxy.url, c.token, timeout=FAST_TIMEOUT, clock=clock))
    proxy.add("status", method="PUT", path_prefix="/v1/submissions/", status=503, retry_after="600")
    worker.run_once()
    clock.set_wall(clock.now() - dt.timedelta(days=2))  # RTC reset: the retry time is now two days ahead
    clock.advance(601)  # the Retry-After has passed on the monotonic clock
    worker.run_once()
    assert box.lookup(receipt.receipt_no).state is State.PURGED
    worker.stop()
    box.close()


def test_heartbeat_reports_devices_and_queue_and_refreshes_the_catalog(outbox: Outbox, storage: Path,
                                                                      platform: Any) -> None:
    outbox.enqueue(make_app(seed=1, phone="12"))  # will be quarantined
    outbox.enqueue(make_app(seed=2))
    refreshed = threading.Event()
    devices = [{"kind": "printer", "model": "SIM-58", "state": "degraded", "detail": "paper near end"},
               {"kind": "id_reader", "state": "ok"}]
    worker = SyncWorker(outbox, device_health=lambda: devices, app_version="9.9.9", on_catalog_updated=refreshed.set)
    catalog_cache.etag_path(storage).write_text('"stale"')
    worker.run_once(ignore_timers=True)
    creds = credentials.load(storage)
    assert creds is not None
    status = platform.terminal(creds.terminal_id)["last_status"]
    if isinstance(status, str):
        status = json.loads(status)
    assert status["app_version"] == "9.9.9"
    assert status["devices"][0] == devices[0]
    assert status["queue"]["pending"] == 2  # sent before this pass delivered anything
    assert refreshed.is_set()
    assert catalog_cache.read_etag(storage) == platform.catalog_etag
    worker.run_once(ignore_timers=True)
    status = platform.terminal(creds.terminal_id)["last_status"]
    if isinstance(status, str):
        status = json.loads(status)
    assert status["queue"] == {"pending": 0, "failed": 1, "oldest_pending_age_s": 0}
    worker.stop()


def test_a_failing_device_callback_does_not_stop_the_heartbeat(outbox: Outbox) -> None:
    def broken() -> list[dict[str, str]]:
        raise RuntimeError("driver bug")

    worker = SyncWorker(outbox, device_health=broken)
    assert worker.run_once(ignore_timers=True).heartbeat is True
    worker.stop()


def test_heartbeat_is_not_sent_more_often_than_its_interval(outbox: Outbox, platform: Any) -> None:
    clock = FakeClock()
    worker = SyncWorker(outbox, clock=clock)
    assert worker.run_once().heartbeat is True
    clock.advance(30)
    assert worker.run_once().heartbeat is None
    clock.advance(31)
    assert worker.run_once().heartbeat is True
    worker.stop()
