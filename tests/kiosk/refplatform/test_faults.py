"""Injected faults behave as documented, so the kiosk's fault tests can trust them."""

from __future__ import annotations

import time

import httpx
import pytest

from kiosk.refplatform.faults import Fault, FaultKind
from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import Terminal, new_id, put, renewal


def test_answer_lost_after_commit_leaves_the_submission_stored(terminal: Terminal,
                                                               platform: RunningPlatform) -> None:
    platform.inject(Fault(FaultKind.DROP_AFTER, method="PUT", path_prefix="/v1/submissions/"))
    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    with pytest.raises(httpx.TransportError):
        put(terminal, submission_id, body)
    assert platform.count_submissions() == 1
    assert put(terminal, submission_id, body).status_code == 200  # the retry learns it is known
    assert [r.status for r in platform.requests() if r.method == "PUT"] == [None, 200]


def test_connection_dropped_before_processing_stores_nothing(terminal: Terminal, platform: RunningPlatform) -> None:
    platform.inject(Fault(FaultKind.DROP_BEFORE, method="PUT"))
    with pytest.raises(httpx.TransportError):
        put(terminal, new_id(), renewal(terminal.terminal_id))
    assert platform.count_submissions() == 0


def test_refusal_carries_retry_after_and_does_nothing(terminal: Terminal, platform: RunningPlatform) -> None:
    platform.inject(Fault(FaultKind.REFUSE, status=503, retry_after="120", times=2))
    for _ in range(2):
        response = put(terminal, new_id(), renewal(terminal.terminal_id))
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "120"
        assert response.headers["content-type"] == "application/problem+json"
        assert "Date" in response.headers
    assert platform.count_submissions() == 0
    assert platform.pending_faults() == 0
    assert put(terminal, new_id(), renewal(terminal.terminal_id)).status_code == 201


def test_error_after_commit_answers_500_but_stores(terminal: Terminal, platform: RunningPlatform) -> None:
    platform.inject(Fault(FaultKind.STATUS_AFTER, status=500))
    assert put(terminal, new_id(), renewal(terminal.terminal_id)).status_code == 500
    assert platform.count_submissions() == 1


def test_captive_portal_answers_200_html(terminal: Terminal, platform: RunningPlatform) -> None:
    platform.inject(Fault(FaultKind.CAPTIVE_PORTAL))
    response = put(terminal, new_id(), renewal(terminal.terminal_id))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert platform.count_submissions() == 0
    head = terminal.client.head(f"/v1/submissions/{new_id()}/materials/m1")
    assert head.status_code == 404  # the fault fired once only


def test_delay_then_normal_answer(terminal: Terminal, platform: RunningPlatform) -> None:
    platform.inject(Fault(FaultKind.DELAY, delay_s=0.3, method="GET"))
    started = time.monotonic()
    assert terminal.client.get("/v1/catalog").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_hanging_request_ends_when_the_platform_stops(terminal: Terminal, platform: RunningPlatform) -> None:
    platform.inject(Fault(FaultKind.DELAY, delay_s=60, method="GET"))
    with pytest.raises(httpx.ReadTimeout):
        terminal.client.get("/v1/catalog", timeout=0.3)
    started = time.monotonic()
    platform.stop()
    assert time.monotonic() - started < 5


def test_fault_matches_method_and_path_only(terminal: Terminal, platform: RunningPlatform) -> None:
    platform.inject(Fault(FaultKind.REFUSE, method="POST", path_prefix="/v1/cases/search", status=429))
    assert terminal.client.get("/v1/catalog").status_code == 200
    assert terminal.client.post("/v1/cases/search", json={"id_type": "resident_id", "id_number": "x"}
                                ).status_code == 429
    platform.inject(Fault(FaultKind.REFUSE, times=5))
    platform.clear_faults()
    assert terminal.client.get("/v1/catalog").status_code == 200


def test_fault_needs_at_least_one_time(platform: RunningPlatform) -> None:
    with pytest.raises(ValueError):
        platform.inject(Fault(FaultKind.REFUSE, times=0))
