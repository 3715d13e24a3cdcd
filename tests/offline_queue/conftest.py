"""Fixtures of the outbox tests: the real reference platform on loopback, a
provisioned storage dir, an outbox, a sync worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import CATALOG, provision


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    server = pytest.importorskip("kiosk.refplatform.server")
    running = server.start_in_thread(tmp_path / "platform", catalog_path=CATALOG)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def storage(tmp_path: Path, platform: Any) -> Path:
    """A storage dir provisioned against the platform (credentials and catalog stored)."""
    directory = tmp_path / "storage"
    provision(directory, platform.url, platform.new_enrollment_code())
    return directory


@pytest.fixture
def outbox(storage: Path) -> Iterator[Outbox]:
    box = Outbox(storage)
    try:
        yield box
    finally:
        box.close()


@pytest.fixture
def worker(outbox: Outbox) -> Iterator[SyncWorker]:
    w = SyncWorker(outbox)
    try:
        yield w
    finally:
        w.stop()
