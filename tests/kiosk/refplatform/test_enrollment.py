"""Enrollment codes: a lost answer, a reused code, a stranger's guess, a leaked token."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from kiosk.refplatform.server import RunningPlatform


def enroll(client: httpx.Client, code: str, **extra: str) -> httpx.Response:
    return client.post("/v1/terminals/enroll",
                       json={"enrollment_code": code, "hall_code": "460100-HALL-01", "terminal_name": "1 号机",
                             **extra})


def test_enrollment_answers_201_with_an_id_and_a_long_token(platform: RunningPlatform,
                                                            anonymous: httpx.Client) -> None:
    code = platform.new_enrollment_code()
    assert len(code.replace("-", "")) >= 6
    response = enroll(anonymous, code, hardware={"id_reader": "SS628-100"})  # type: ignore[arg-type]
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"[A-Z0-9-]{4,32}", body["terminal_id"])
    assert len(body["token"]) >= 32
    assert "platform_time" in body
    catalog = anonymous.get("/v1/catalog", headers={"Authorization": f"Bearer {body['token']}"})
    assert catalog.status_code == 200


def test_lost_answer_repeated_within_10_minutes_gets_the_same_credentials(platform: RunningPlatform,
                                                                          anonymous: httpx.Client) -> None:
    code = platform.new_enrollment_code()
    first = enroll(anonymous, code)
    platform.shift_clock(dt.timedelta(minutes=9))
    again = enroll(anonymous, code)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


def test_same_request_after_10_minutes_is_409(platform: RunningPlatform, anonymous: httpx.Client) -> None:
    code = platform.new_enrollment_code()
    assert enroll(anonymous, code).status_code == 201
    platform.shift_clock(dt.timedelta(minutes=10, seconds=1))
    response = enroll(anonymous, code)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "token" not in response.text


def test_used_code_with_another_hall_or_name_is_409(platform: RunningPlatform, anonymous: httpx.Client) -> None:
    code = platform.new_enrollment_code()
    assert enroll(anonymous, code).status_code == 201
    other_name = anonymous.post("/v1/terminals/enroll", json={
        "enrollment_code": code, "hall_code": "460100-HALL-01", "terminal_name": "另一台"})
    assert other_name.status_code == 409
    other_hall = anonymous.post("/v1/terminals/enroll", json={
        "enrollment_code": code, "hall_code": "460200-HALL-09", "terminal_name": "1 号机"})
    assert other_hall.status_code == 409


def test_unknown_code_is_404(anonymous: httpx.Client) -> None:
    response = enroll(anonymous, "ZZZZZ-ZZZZZ")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_expired_code_is_404(platform: RunningPlatform, anonymous: httpx.Client) -> None:
    code = platform.new_enrollment_code(ttl=dt.timedelta(hours=1))
    platform.shift_clock(dt.timedelta(hours=1, seconds=1))
    assert enroll(anonymous, code).status_code == 404


def test_code_typed_in_lower_case_without_the_dash_works(platform: RunningPlatform,
                                                         anonymous: httpx.Client) -> None:
    code = platform.new_enrollment_code()
    assert enroll(anonymous, code.replace("-", "").lower()).status_code == 201


def test_reenrollment_keeps_the_id_and_revokes_the_old_token(platform: RunningPlatform,
                                                             anonymous: httpx.Client) -> None:
    first = enroll(anonymous, platform.new_enrollment_code()).json()
    second = enroll(anonymous, platform.new_enrollment_code(), terminal_id=first["terminal_id"])
    assert second.status_code == 201
    assert second.json()["terminal_id"] == first["terminal_id"]
    assert second.json()["token"] != first["token"]
    old = anonymous.get("/v1/catalog", headers={"Authorization": f"Bearer {first['token']}"})
    assert old.status_code == 401
    new = anonymous.get("/v1/catalog", headers={"Authorization": f"Bearer {second.json()['token']}"})
    assert new.status_code == 200


def test_reenrollment_of_an_id_the_platform_lost_adopts_it(platform: RunningPlatform,
                                                           anonymous: httpx.Client) -> None:
    response = enroll(anonymous, platform.new_enrollment_code(), terminal_id="T9001")
    assert response.status_code == 201
    assert response.json()["terminal_id"] == "T9001"


def test_malformed_terminal_id_or_short_code_is_422(platform: RunningPlatform, anonymous: httpx.Client) -> None:
    response = enroll(anonymous, platform.new_enrollment_code(), terminal_id="t-1")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "terminal_id"
    assert enroll(anonymous, "ABC12").status_code == 422
    too_long_name = anonymous.post("/v1/terminals/enroll", json={
        "enrollment_code": platform.new_enrollment_code(), "hall_code": "H", "terminal_name": "名" * 81})
    assert too_long_name.status_code == 422


def test_terminals_get_distinct_ids(platform: RunningPlatform, anonymous: httpx.Client) -> None:
    ids = {enroll(anonymous, platform.new_enrollment_code()).json()["terminal_id"] for _ in range(3)}
    assert len(ids) == 3
