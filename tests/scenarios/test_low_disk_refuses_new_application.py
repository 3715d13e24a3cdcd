"""The storage partition fills up during a day without network: the kiosk refuses new
applications politely, at their start, while there is still room for the one a
resident is finishing; no application that was begun is ever lost to a full disk; the
technician alert reaches the heartbeat; when the network comes back, delivery and the
nightly purge give the space back and the kiosk takes applications again
(reliability.md §2.4 and A5).

The disk is a fixed-size one around the real storage dir: its free space is its
capacity minus what the storage dir really holds, as both the outbox and the guard
see it through `shutil.disk_usage`."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk.maintenance import DiskGuard, DiskLevel, NightlyJob, heartbeat_extras
from kiosk.strings import t
from offline_queue.clock import FakeClock
from offline_queue.errors import StorageFull
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import CATALOG, make_app, provision

KB = 1024
PAGE = 150 * KB  # each application: 2 pages of 150 KB and a signature, about 300 KB


class SmallDisk:
    """A partition of `capacity` bytes holding only the storage dir."""

    def __init__(self, storage: Path, capacity: int) -> None:
        self.storage = storage
        self.capacity = capacity
        self._real = shutil.disk_usage

    def used(self) -> int:
        total = 0
        for folder, _, files in os.walk(self.storage):
            for name in files:
                try:
                    total += os.stat(os.path.join(folder, name)).st_size
                except FileNotFoundError:
                    continue
        return total

    def __call__(self, path: Any) -> Any:
        if not str(Path(path).resolve()).startswith(str(self.storage.resolve())):
            return self._real(path)
        free = max(0, self.capacity - self.used())
        return SimpleNamespace(total=self.capacity, used=self.capacity - free, free=free)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    from kiosk.refplatform.server import start_in_thread

    running = start_in_thread(tmp_path / "platform", catalog_path=CATALOG)
    try:
        yield running
    finally:
        running.stop()


def test_low_disk_refuses_new_applications_before_it_can_lose_one(
        tmp_path: Path, platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = tmp_path / "storage"
    provision(storage, platform.url, platform.new_enrollment_code())
    clock = FakeClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    outbox = Outbox(storage, clock=clock, min_free_bytes=256 * KB)
    disk = SmallDisk(storage, capacity=0)
    disk.capacity = disk.used() + 6 * 1024 * KB  # 6 MiB free when the hall opens
    monkeypatch.setattr(shutil, "disk_usage", disk)
    guard = DiskGuard(storage, refuse_below_bytes=1024 * KB, alert_below_bytes=3 * 1024 * KB,
                      largest_application_bytes=256 * KB, cache_s=0.0,
                      resume_margin_bytes=64 * KB)
    try:
        # The network is down all day: every application stays on the disk.
        admitted = refused = 0
        message = ""
        for resident in range(40):
            if not guard.admits_new_application():
                refused += 1
                message = t("maintenance.disk_refuse", "zh")
                continue
            admitted += 1
            # The resident takes ten minutes; meanwhile nothing else refuses them.
            clock.advance(600)
            try:
                outbox.enqueue(make_app(seed=resident, page_size=PAGE))
            except StorageFull:  # pragma: no cover - the point of the test
                pytest.fail(f"resident {resident} was admitted and then lost the application to a full disk")
            guard.observe_application(2 * PAGE)
        assert admitted >= 10 and refused >= 5
        assert "其他自助终端或人工窗口" in message and "查询办理进度不受影响" in message
        status = guard.status()
        assert status.level is DiskLevel.FULL and not status.accepting
        assert status.free_bytes > outbox.min_free_bytes + 2 * PAGE  # the last admitted visit had room to spare
        extras = heartbeat_extras(help_requested=False, alerts=guard.alerts())
        assert [a["code"] for a in extras["alerts"]] == ["disk_full"]

        # The network comes back: delivery purges each application's files at once.
        SyncWorker(outbox, clock=clock).run_once(ignore_timers=True)
        assert outbox.status().undelivered == 0 and outbox.status().delivered == admitted
        # That night the job vacuums what the purges left, and checks the disk.
        clock.set_wall(dt.datetime(2026, 11, 24, 2, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))))
        job = NightlyJob(storage, outbox=lambda: outbox, visit_active=lambda: False, clock=clock, disk=guard)
        assert job.tick()
        assert job.last_report is not None and job.last_report.completed
        assert next(step for step in job.last_report.steps if step.name == "vacuum").ok
        assert guard.admits_new_application()
        assert guard.alerts() == []
    finally:
        outbox.close()
