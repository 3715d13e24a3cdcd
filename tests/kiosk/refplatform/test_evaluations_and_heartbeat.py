"""好差评 and heartbeats: repeated, out of range, too long, for another terminal."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import Terminal, deliver, new_id, renewal

PHOTO = b"photo" * 100


def evaluation(terminal: Terminal, **changes: Any) -> dict[str, Any]:
    return {"terminal_id": terminal.terminal_id, "rating": 5, "reasons": ["办事效率高"], "comment": "很方便",
            "created_at": "2026-11-23T10:05:00+08:00", **changes}


def test_repeated_evaluation_is_201_then_200_and_other_content_409(terminal: Terminal,
                                                                   platform: RunningPlatform) -> None:
    evaluation_id = new_id()
    body = evaluation(terminal)
    first = terminal.client.put(f"/v1/evaluations/{evaluation_id}", json=body)
    again = terminal.client.put(f"/v1/evaluations/{evaluation_id}", json=dict(reversed(list(body.items()))))
    other = terminal.client.put(f"/v1/evaluations/{evaluation_id}", json=evaluation(terminal, rating=4))
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert other.headers["content-type"] == "application/problem+json"
    assert platform.count_evaluations() == 1


@pytest.mark.parametrize("rating", [0, 6, -1, 3.5, "5", True, None])
def test_rating_outside_1_to_5_is_422(terminal: Terminal, rating: object) -> None:
    response = terminal.client.put(f"/v1/evaluations/{new_id()}", json=evaluation(terminal, rating=rating))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "rating"


def test_comment_over_500_characters_is_422(terminal: Terminal) -> None:
    assert terminal.client.put(f"/v1/evaluations/{new_id()}",
                               json=evaluation(terminal, comment="好" * 500)).status_code == 201
    response = terminal.client.put(f"/v1/evaluations/{new_id()}", json=evaluation(terminal, comment="好" * 501))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "comment"


def test_evaluation_id_that_is_not_a_uuid_is_400(terminal: Terminal) -> None:
    assert terminal.client.put("/v1/evaluations/42", json=evaluation(terminal)).status_code == 400


def test_evaluation_in_another_terminals_name_is_403(terminal: Terminal, other_terminal: Terminal) -> None:
    response = terminal.client.put(f"/v1/evaluations/{new_id()}", json=evaluation(other_terminal))
    assert response.status_code == 403


def test_evaluated_case_shows_as_evaluated(terminal: Terminal) -> None:
    ref = deliver(terminal, renewal(terminal.terminal_id, files={"photo-1": PHOTO}), {"photo-1": PHOTO})
    terminal.client.put(f"/v1/evaluations/{new_id()}", json=evaluation(terminal, case_no=ref["case_no"]))
    assert terminal.client.get(f"/v1/cases/by-receipt/{ref['receipt_no']}").json()["evaluated"] is True


def heartbeat(**changes: Any) -> dict[str, Any]:
    return {"at": "2026-11-23T10:00:00+08:00", "app_version": "0.1.0", "uptime_s": 3600,
            "catalog_etag": '"old"', "disk_free_bytes": 10_000_000_000,
            "devices": [{"kind": "printer", "model": "SNBC BTP-U60", "state": "degraded",
                         "detail": "paper near end"},
                        {"kind": "id_reader", "state": "ok"}],
            "queue": {"pending": 3, "failed": 1, "oldest_pending_age_s": 420}, **changes}


def test_heartbeat_is_stored_and_answers_server_time_and_catalog_etag(terminal: Terminal,
                                                                      platform: RunningPlatform) -> None:
    response = terminal.client.put(f"/v1/terminals/{terminal.terminal_id}/status", json=heartbeat())
    assert response.status_code == 200
    answer = response.json()
    assert answer["catalog_etag"] == platform.catalog_etag
    assert answer["catalog_etag"] == terminal.client.get("/v1/catalog").headers["ETag"]
    assert answer["server_time"].endswith("+08:00")
    stored = platform.terminal(terminal.terminal_id)
    assert stored is not None
    assert stored["last_status"]["queue"]["pending"] == 3
    assert stored["last_status_at"] is not None
    terminal.client.put(f"/v1/terminals/{terminal.terminal_id}/status",
                        json=heartbeat(queue={"pending": 0, "failed": 0}))
    stored = platform.terminal(terminal.terminal_id)
    assert stored is not None and stored["last_status"]["queue"]["pending"] == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"at": "yesterday"}, "at"),
    ({"devices": [{"kind": "fax", "state": "ok"}]}, "devices[0].kind"),
    ({"devices": [{"kind": "camera", "state": "broken"}]}, "devices[0].state"),
    ({"queue": {"pending": "three"}}, "queue.pending"),
    ({"app_version": None}, "app_version"),
])
def test_malformed_heartbeat_is_422(terminal: Terminal, change: dict[str, Any], field: str) -> None:
    response = terminal.client.put(f"/v1/terminals/{terminal.terminal_id}/status", json=heartbeat(**change))
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
