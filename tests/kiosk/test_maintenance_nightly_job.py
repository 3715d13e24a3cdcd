"""The nightly job runs once a night inside its window, never during a visit, purges
what a crash left, vacuums, asks the platform about what we delivered, and survives
clock steps and restarts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.maintenance import DiskGuard, MaintenanceWindow, NightlyJob
from offline_queue import credentials
from offline_queue.client import PlatformClient
from offline_queue.clock import FakeClock
from offline_queue.credentials import Credentials
from offline_queue.model import Kind, State
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import CATALOG, make_app, provision

CST = dt.timezone(dt.timedelta(hours=8))


def at(hour: int, minute: int = 0, day: int = 23) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=CST)


class Visit:
    def __init__(self) -> None:
        self.active = False

    def __call__(self) -> bool:
        return self.active


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    from kiosk.refplatform.server import start_in_thread

    running = start_in_thread(tmp_path / "platform", catalog_path=CATALOG)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(1, 50))


@pytest.fixture
def outbox(tmp_path: Path, platform: Any, clock: FakeClock) -> Iterator[Outbox]:
    storage = tmp_path / "storage"
    provision(storage, platform.url, platform.new_enrollment_code())
    box = Outbox(storage, clock=clock)
    try:
        yield box
    finally:
        box.close()


def job_for(outbox: Outbox, clock: FakeClock, visit: Visit, **kwargs: Any) -> NightlyJob:
    return NightlyJob(outbox.storage_dir, outbox=lambda: outbox, visit_active=visit, clock=clock, **kwargs)


def deliver(outbox: Outbox, clock: FakeClock, n: int) -> list[str]:
    ids = [outbox.enqueue(make_app(seed=i)).submission_id for i in range(n)]
    SyncWorker(outbox, clock=clock).run_once(ignore_timers=True)
    return ids


def test_runs_once_a_night_inside_its_window(outbox: Outbox, clock: FakeClock) -> None:
    visit = Visit()
    job = job_for(outbox, clock, visit)
    assert not job.due()  # 01:50
    clock.advance(15 * 60)  # 02:05
    assert job.due() and job.tick()
    report = job.last_report
    assert report is not None and report.completed and report.night == "2026-11-23"
    assert [s.name for s in report.steps] == ["disk", "purge", "vacuum", "reconcile", "disk", "memory"]
    assert not job.due() and not job.tick()
    clock.advance(24 * 3600)  # the next night
    assert job.due()


def test_never_during_a_visit_and_resumes_when_it_ends(outbox: Outbox, clock: FakeClock) -> None:
    visit = Visit()
    clock.set_wall(at(2, 30))
    job = job_for(outbox, clock, visit)
    visit.active = True
    assert not job.due() and not job.tick()
    visit.active = False
    steps_seen: list[str] = []

    def visit_begins_during_the_purge() -> bool:
        steps_seen.append("check")
        return len(steps_seen) > 2  # before disk and purge: idle; then a resident walks up

    job = job_for(outbox, clock, visit_begins_during_the_purge)  # type: ignore[arg-type]
    report = job.run()
    assert report.interrupted and not report.completed
    assert job.last_night is None  # not recorded as done: the next tick carries on
    job = job_for(outbox, clock, visit)
    assert job.due() and job.tick() and job.last_night == "2026-11-23"


def test_purges_what_a_crash_left_between_ack_and_purge(outbox: Outbox, clock: FakeClock) -> None:
    receipt = outbox.enqueue(make_app(seed=3))
    claimed = outbox.claim_next(Kind.APPLICATION)
    assert claimed is not None
    outbox.mark_delivered(claimed[0], "C-1", "2026-11-23T01:50:00+08:00")  # the crash: no purge
    assert outbox.status().awaiting_purge == 1
    clock.set_wall(at(2, 1))
    job = job_for(outbox, clock, Visit(), client_factory=lambda c: _client_answering(404))
    job.tick()
    assert job.last_report is not None and job.last_report.purged == 1
    [item] = outbox.list([State.PURGED])
    assert item.id == receipt.submission_id
    assert outbox.material_bytes(receipt.submission_id, "x") is None


def test_reconcile_finds_delivered_applications_on_the_platform(outbox: Outbox, clock: FakeClock) -> None:
    deliver(outbox, clock, 2)
    clock.set_wall(at(2, 1))
    job = job_for(outbox, clock, Visit())
    job.tick()
    report = job.last_report
    assert report is not None and report.reconciled == 2 and report.mismatches == []
    assert job.alerts() == []


def _client_answering(status: int) -> PlatformClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"type": "about:blank", "title": "x", "status": status},
                              headers={"content-type": "application/problem+json"})

    return PlatformClient("http://platform.invalid", "t" * 40, transport=httpx.MockTransport(handler))


def test_a_platform_that_forgot_a_delivered_application_raises_an_alert(outbox: Outbox, clock: FakeClock) -> None:
    deliver(outbox, clock, 1)
    clock.set_wall(at(2, 1))
    job = job_for(outbox, clock, Visit(), client_factory=lambda creds: _client_answering(404))
    job.tick()
    report = job.last_report
    assert report is not None and len(report.mismatches) == 1
    [alert] = job.alerts()
    assert alert.code == "reconcile_missing" and "1 delivered application" in alert.message


def test_an_unreachable_platform_does_not_fail_the_night(outbox: Outbox, clock: FakeClock) -> None:
    deliver(outbox, clock, 1)
    clock.set_wall(at(2, 1))

    def down(creds: Credentials) -> PlatformClient:
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        return PlatformClient(creds.platform_url, creds.token, transport=httpx.MockTransport(handler))

    job = job_for(outbox, clock, Visit(), client_factory=down)
    job.tick()
    report = job.last_report
    assert report is not None and report.completed
    reconcile = next(s for s in report.steps if s.name == "reconcile")
    assert not reconcile.ok and "unreachable" in reconcile.detail
    assert job.alerts() == []


def test_clock_steps_neither_repeat_it_nor_block_it(outbox: Outbox, clock: FakeClock) -> None:
    clock.set_wall(at(2, 1))
    job = job_for(outbox, clock, Visit())
    assert job.tick()
    clock.set_wall(at(2, 30, day=22))  # NTP steps the clock back a day, into the window again
    assert not job.due()  # monotonic: it ran minutes ago
    clock.advance(13 * 3600)
    clock.set_wall(at(2, 30, day=24))
    assert job.due()  # the next real night runs
    clock.set_wall(dt.datetime(1970, 1, 1, 8, 0, tzinfo=CST))  # an RTC that lost its battery
    assert not job.due()


def test_done_survives_a_restart(outbox: Outbox, clock: FakeClock) -> None:
    clock.set_wall(at(2, 1))
    assert job_for(outbox, clock, Visit()).tick()
    again = job_for(outbox, clock, Visit())
    assert again.last_night == "2026-11-23" and not again.due()


def test_a_low_disk_is_reported_by_the_nightly_check(outbox: Outbox, clock: FakeClock) -> None:
    from types import SimpleNamespace

    disk = DiskGuard(outbox.storage_dir, usage=lambda p: SimpleNamespace(free=300 * 1024 * 1024))
    clock.set_wall(at(2, 1))
    job = job_for(outbox, clock, Visit(), disk=disk)
    job.tick()
    report = job.last_report
    assert report is not None and report.free_bytes == 300 * 1024 * 1024
    assert not report.steps[0].ok and "low" in report.steps[0].detail


def test_without_credentials_reconcile_is_skipped(tmp_path: Path, clock: FakeClock) -> None:
    with Outbox(tmp_path, "T0001", clock=clock) as box:
        clock.set_wall(at(2, 1))
        job = NightlyJob(tmp_path, outbox=lambda: box, visit_active=lambda: False, clock=clock)
        job.tick()
        report = job.last_report
    assert report is not None and report.completed
    assert next(s for s in report.steps if s.name == "reconcile").detail == "not provisioned"
    assert credentials.load(tmp_path) is None


def test_a_window_across_midnight_belongs_to_the_evening_it_began() -> None:
    window = MaintenanceWindow(dt.time(23, 30), dt.time(1, 30))
    assert window.contains(at(0, 30)) and window.contains(at(23, 45)) and not window.contains(at(2, 0))
    assert window.night_of(at(0, 30, day=24)) == dt.date(2026, 11, 23)
    assert window.night_of(at(23, 45)) == dt.date(2026, 11, 23)


def test_the_running_guard(outbox: Outbox, clock: FakeClock) -> None:
    clock.set_wall(at(2, 1))
    started: list[Any] = []
    job = job_for(outbox, clock, Visit())
    assert job.tick(lambda work, done: started.append((work, done)))
    assert job.running and not job.tick(lambda work, done: started.append((work, done)))
    work, done = started[0]
    done(work(), None)
    assert not job.running and len(started) == 1


def test_the_technician_runs_it_during_their_session(outbox: Outbox, clock: FakeClock) -> None:
    in_session = Visit()
    in_session.active = True  # the technician screen counts as a visit
    job = job_for(outbox, clock, in_session)
    assert job.run().interrupted
    report = job.run(technician=True)
    assert report.completed and not report.interrupted
