"""A provisioned terminal against a real reference platform on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import Config, DeviceConfig
from kiosk.refplatform.server import RunningPlatform, start_in_thread
from kiosk.terminal import Terminal
from offline_queue.credentials import Credentials, save


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningPlatform]:
    running = start_in_thread(tmp_path / "platform")
    yield running
    running.stop()


@pytest.fixture
def provisioned(tmp_path: Path, platform: RunningPlatform) -> Config:
    """Config with every device simulated (camera optional) and credentials stored."""
    terminal_id, token = platform.enroll(hall_code="460100-HALL-01", terminal_name="test")
    storage = tmp_path / "storage"
    save(storage, Credentials(terminal_id=terminal_id, token=token, platform_url=platform.url,
                              hall="460100-HALL-01", name="test"))
    devices = dict(Config().devices)
    devices["camera"] = DeviceConfig("camera", required=False)
    return Config(platform_url=platform.url, storage_dir=storage, devices=devices)


@pytest.fixture
def terminal(provisioned: Config) -> Iterator[Terminal]:
    """A started terminal on the provisioned config; sync is run by the test (`run_once`)."""
    term = Terminal(provisioned, start_sync=False)
    term.start()
    yield term
    term.stop()
