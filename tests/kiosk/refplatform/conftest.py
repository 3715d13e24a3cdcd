"""A reference platform on loopback per test, serving the built-in fallback catalog (so
these tests do not change when the sample catalog does), and enrolled terminals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.refplatform.catalog import FALLBACK_CATALOG
from kiosk.refplatform.server import RunningPlatform, start_in_thread
from tests.kiosk.refplatform.builders import Terminal, loopback_client


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningPlatform]:
    running = start_in_thread(tmp_path / "platform", catalog_path=FALLBACK_CATALOG)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def anonymous(platform: RunningPlatform) -> Iterator[httpx.Client]:
    with loopback_client(platform.url) as client:
        yield client


def _enroll(platform: RunningPlatform, anonymous: httpx.Client, name: str) -> Terminal:
    response = anonymous.post("/v1/terminals/enroll", json={
        "enrollment_code": platform.new_enrollment_code(), "hall_code": "460100-HALL-01", "terminal_name": name})
    assert response.status_code == 201, response.text
    body = response.json()
    client = loopback_client(platform.url, headers={"Authorization": f"Bearer {body['token']}"})
    return Terminal(body["terminal_id"], body["token"], client)


@pytest.fixture
def terminal(platform: RunningPlatform, anonymous: httpx.Client) -> Iterator[Terminal]:
    enrolled = _enroll(platform, anonymous, "一楼自助区 1 号机")
    try:
        yield enrolled
    finally:
        enrolled.client.close()


@pytest.fixture
def other_terminal(platform: RunningPlatform, anonymous: httpx.Client) -> Iterator[Terminal]:
    enrolled = _enroll(platform, anonymous, "二楼自助区 2 号机")
    try:
        yield enrolled
    finally:
        enrolled.client.close()
