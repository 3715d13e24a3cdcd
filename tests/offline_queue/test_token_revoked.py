"""The platform revokes the terminal's token (401): delivery pauses, a technician alert
goes up, the terminal asks again no more often than every 5 minutes, and resumes by
itself once an operator restores the token or the terminal is re-provisioned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offline_queue import credentials
from offline_queue.client import PlatformClient
from offline_queue.clock import FakeClock
from offline_queue.model import State
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.faultproxy import FaultProxy
from tests.offline_queue.helpers import FAST_TIMEOUT, make_app, provision


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


def platform_requests(platform: Any) -> int:
    return len(platform.requests())


def test_revoked_token_pauses_delivery_for_five_minutes_then_resumes(
        box: Outbox, clock: FakeClock, platform: Any, storage: Path) -> None:
    creds = credentials.load(storage)
    assert creds is not None
    receipt = box.enqueue(make_app(seed=1))
    platform.revoke_tokens(creds.terminal_id)
    worker = SyncWorker(box, clock=clock)
    report = worker.run_once()
    assert report.auth_paused
    status = box.status()
    assert status.auth_paused and status.technician_alert and "401" in status.technician_alert
    assert box.lookup(receipt.receipt_no).state is State.PENDING  # kept, not quarantined

    seen = platform_requests(platform)
    for _ in range(4):  # four minutes of passes: not a single request
        clock.advance(60)
        assert worker.run_once().auth_paused
    assert platform_requests(platform) == seen

    clock.advance(61)  # past five minutes: one probe, still revoked, paused again
    assert worker.run_once().auth_paused
    assert platform_requests(platform) == seen + 1

    platform.restore_tokens(creds.terminal_id)
    clock.advance(120)
    assert worker.run_once().auth_paused  # the pause still runs its five minutes
    clock.advance(200)
    report = worker.run_once()
    assert report.delivered == 1
    status = box.status()
    assert not status.auth_paused and status.technician_alert is None
    worker.stop()


def test_reprovisioning_lifts_the_pause_at_once_and_keeps_the_terminal_id(
        box: Outbox, clock: FakeClock, platform: Any, storage: Path) -> None:
    old = credentials.load(storage)
    assert old is not None
    receipt = box.enqueue(make_app(seed=2))
    platform.revoke_tokens(old.terminal_id)
    worker = SyncWorker(box, clock=clock)
    assert worker.run_once().auth_paused
    new = provision(storage, platform.url, platform.new_enrollment_code(), terminal_id=old.terminal_id)
    assert new.terminal_id == old.terminal_id and new.token != old.token
    assert worker.run_once().delivered == 1  # new token: no need to wait out the pause
    assert platform.case_of_submission(receipt.submission_id) is not None
    worker.stop()


def test_sync_once_ignores_the_pause(box: Outbox, clock: FakeClock, platform: Any, storage: Path) -> None:
    creds = credentials.load(storage)
    assert creds is not None
    box.enqueue(make_app(seed=3))
    platform.revoke_tokens(creds.terminal_id)
    worker = SyncWorker(box, clock=clock)
    worker.run_once()
    platform.restore_tokens(creds.terminal_id)
    assert worker.run_once(ignore_timers=True).delivered == 1
    worker.stop()


def test_a_401_window_from_the_network_pauses_then_heals(storage: Path, clock: FakeClock, platform: Any) -> None:
    """A gateway answering 401 for a while (not the platform revoking anything)."""
    proxy = FaultProxy(platform.url)
    box = Outbox(storage, clock=clock)
    try:
        receipt = box.enqueue(make_app(seed=4))
        worker = SyncWorker(box, clock=clock, client_factory=lambda c: PlatformClient(
            proxy.url, c.token, timeout=FAST_TIMEOUT, clock=clock))
        proxy.add("unauthorized", path_prefix="/", times=2)
        assert worker.run_once().auth_paused
        clock.advance(299)
        assert worker.run_once().auth_paused and proxy.received == 1
        clock.advance(2)
        assert worker.run_once().auth_paused and proxy.received == 2  # the one probe, still 401
        clock.advance(301)
        assert worker.run_once().delivered == 1
        assert box.lookup(receipt.receipt_no).state is State.PURGED
        assert box.status().technician_alert is None
        worker.stop()
    finally:
        box.close()
        proxy.stop()
