"""The wall clock jumps by a day (an NTP step after a dead RTC battery, a technician
setting the date by hand): no timeout fires early or never, nothing changes order,
nothing runs twice (reliability.md §7 A7).

Every interval of the kiosk runs on a monotonic clock; the wall clock only dates
records and places the nightly window. These scenarios step the wall clock ±1 day in
the middle of each thing that waits."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.health import READY, DeviceState, Health
from kiosk.maintenance import DeviceSupervisor, NightlyJob
from kiosk.staff import MAX_DELAY_S, TechnicianLock
from kiosk.visit import Delays, Step, VisitMachine
from offline_queue.clock import FakeClock
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import CATALOG, make_app, provision

CST = dt.timezone(dt.timedelta(hours=8))
DAY = 86_400.0


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    from kiosk.refplatform.server import start_in_thread

    running = start_in_thread(tmp_path / "platform", catalog_path=CATALOG)
    try:
        yield running
    finally:
        running.stop()


def test_applications_keep_capture_order_and_unique_receipts_across_jumps(tmp_path: Path, platform: Any) -> None:
    storage = tmp_path / "storage"
    provision(storage, platform.url, platform.new_enrollment_code())
    clock = FakeClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    with Outbox(storage, clock=clock) as outbox:
        ids = []
        receipts = []
        for step_s in (0, -DAY, 2 * DAY, -DAY):  # today, back a day, forward two, back one
            clock.set_wall(clock.now() + dt.timedelta(seconds=step_s))
            receipt = outbox.enqueue(make_app(seed=len(ids)))
            ids.append(receipt.submission_id)
            receipts.append(receipt.receipt_no)
            clock.advance(60)
        assert len(set(receipts)) == 4
        SyncWorker(outbox, clock=clock).run_once(ignore_timers=True)
        puts = [r.path.rsplit("/", 1)[-1] for r in platform.requests()
                if r.method == "PUT" and r.path.startswith("/v1/submissions/")]
        assert [p.lower() for p in puts] == [i.lower() for i in ids]  # capture order, not wall-clock order
        assert outbox.status().delivered == 4


def test_the_idle_timeout_ignores_the_wall_clock() -> None:
    """The visit's clock is monotonic: a wall clock stepped forward a day mid-visit does
    not end it, and one stepped back does not keep it alive past its countdown."""
    mono = [1000.0]
    machine = VisitMachine(Delays(idle_warning_s=120, idle_reset_s=30), lambda: mono[0])
    machine.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("time.time", lambda: 1_800_000_000.0 + DAY)  # anything reading the wall clock
        mono[0] += 119
        machine.tick()
        assert machine.step is Step.HOME and not machine.idle_warning
        mono[0] += 1
        machine.tick()
        assert machine.idle_warning
        patch.setattr("time.time", lambda: 1_800_000_000.0 - DAY)
        mono[0] += 30
        machine.tick()
    assert machine.step is Step.ATTRACT


def test_the_nightly_job_runs_once_per_night_through_jumps(tmp_path: Path) -> None:
    """Three nights, ticking every minute, with the clock stepped back a day at 02:30 on
    the first night and forward a day at noon on the second: the job runs on each real
    night at most once, and never twice within a night's worth of monotonic time."""
    clock = FakeClock(dt.datetime(2026, 11, 23, 1, 0, tzinfo=CST))
    with Outbox(tmp_path, "T0001", clock=clock) as outbox:
        job = NightlyJob(tmp_path, outbox=lambda: outbox, visit_active=lambda: False, clock=clock)
        runs: list[str] = []
        monotonic: list[float] = []
        for minute in range(3 * 24 * 60):
            if job.tick():
                runs.append(clock.now().isoformat())
                monotonic.append(clock.monotonic())
            if minute == 90:  # 02:30 on the first night, after tonight's run
                clock.set_wall(clock.now() - dt.timedelta(days=1))
            if minute == 24 * 60 + 11 * 60:  # midday of the second day
                clock.set_wall(clock.now() + dt.timedelta(days=1))
            clock.advance(60)
    assert len(runs) == 3, runs
    assert all(later - earlier >= 20 * 3600 for earlier, later in itertools.pairwise(monotonic))
    assert runs[0].startswith("2026-11-23T02:00")


def test_a_device_supervisors_window_is_monotonic() -> None:
    mono = [5000.0]
    supervisor = DeviceSupervisor(clock=lambda: mono[0], wall=lambda: dt.datetime(1970, 1, 1, tzinfo=CST))
    fault = Health(DeviceState.OFFLINE, "disconnected")
    for _ in range(3):
        supervisor.observe("printer", READY)
        supervisor.observe("printer", fault)
        mono[0] += 10
    # However the wall clock moves, three faults 20 s apart are within ten minutes.
    supervisor.observe("printer", READY)
    supervisor.observe("printer", fault)
    assert supervisor.is_offline("printer")
    [alert] = supervisor.alerts()
    assert alert.since.startswith("1970-01-01")  # stamped with whatever the wall says, nothing else


def test_a_technician_lockout_neither_vanishes_nor_lasts_a_day(tmp_path: Path) -> None:
    wall = [1_800_000_000.0]
    lock = TechnicianLock(tmp_path, wall=lambda: wall[0])
    lock.set_pin("24681357")
    for _ in range(3):
        lock.try_pin("000000")
    locked = lock.remaining_lock_s()
    assert 0 < locked <= MAX_DELAY_S
    wall[0] -= DAY  # stepped back: still locked, but never for longer than the longest delay
    assert 0 < lock.remaining_lock_s() <= MAX_DELAY_S
    wall[0] += 2 * DAY  # stepped forward: the wait is over, and a wrong PIN locks again
    assert lock.remaining_lock_s() == 0
    assert lock.try_pin("000000").locked_for_s > 0
