"""Every answer the platform (or something pretending to be it) can give, classified by
the contract's rules: transient, permanent, instruction, or 401 — at the HTTP boundary,
with httpx's own MockTransport standing in for the network."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from offline_queue.client import (
    Case,
    CaseRef,
    CatalogDocument,
    ChecksumMismatch,
    Enrolled,
    HeartbeatAck,
    MissingMaterials,
    NotFound,
    NotModified,
    OffsetMismatch,
    PlatformClient,
    Recorded,
    Rejected,
    SubmissionState,
    Transient,
    Unauthorized,
    UploadOffset,
    parse_retry_after,
)
from offline_queue.clock import FakeClock

SID = "0b5a3e2c-7a1d-4e8b-9c55-2f3f4a5b6c7d"
PROBLEM = "application/problem+json"


def client(handler: Callable[[httpx.Request], httpx.Response], clock: FakeClock | None = None) -> PlatformClient:
    return PlatformClient("http://platform.test", "t" * 40, transport=httpx.MockTransport(handler), clock=clock)


def answer(status: int, body: Any = None, ctype: str = "application/json", **headers: str) -> Callable[..., Any]:
    content = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"content-type": ctype, **{k.replace("_", "-"): v for k, v in headers.items()}} if content else dict(
        (k.replace("_", "-"), v) for k, v in headers.items())
    return lambda request: httpx.Response(status, content=content, headers=hdrs)


STATE = {"submission_id": SID, "state": "awaiting_materials", "missing": ["m1"]}


@pytest.mark.parametrize(("response", "expected"), [
    (answer(201, STATE), SubmissionState),
    (answer(200, {**STATE, "state": "finalized", "missing": [], "case_no": "C1"}), SubmissionState),
    (answer(200, b"<html>Wi-Fi login</html>", "text/html"), Transient),  # captive portal
    (answer(200, {"hello": "world"}), Transient),  # JSON, but not the document
    (answer(200, {**STATE, "submission_id": "someone-else"}), Transient),
    (answer(204), Transient),  # a 2xx the operation does not document
    (answer(302, None, location="http://portal/login"), Transient),
    (answer(409, {"title": "Conflict", "status": 409}, PROBLEM), Rejected),
    (answer(422, {"title": "Invalid", "errors": [{"field": "form.phone", "code": "format", "message": "x"}]},
            PROBLEM), Rejected),
    (answer(422, b"<html>proxy error</html>", "text/html"), Transient),
    (answer(403, {"title": "Forbidden"}, PROBLEM), Rejected),
    (answer(413, {"title": "Too large"}, PROBLEM), Rejected),
    (answer(401, {"title": "Unauthorized"}, PROBLEM), Unauthorized),
    (answer(500), Transient), (answer(502), Transient), (answer(504), Transient), (answer(408), Transient),
    (answer(425), Transient), (answer(418, {"title": "teapot"}, PROBLEM), Transient),
])
def test_put_submission_answers(response: Callable[..., Any], expected: type) -> None:
    with client(response) as c:
        assert isinstance(c.put_submission(SID, {"x": 1}), expected)


def test_validation_errors_are_kept_with_the_rejection() -> None:
    body = {"title": "Invalid", "status": 422, "detail": "…", "errors": [
        {"field": "form.phone", "code": "format", "message": "not a phone number"}]}
    with client(answer(422, body, PROBLEM)) as c:
        result = c.put_submission(SID, {})
    assert isinstance(result, Rejected) and result.status == 422
    assert [(e.field, e.code) for e in result.problem.errors] == [("form.phone", "format")]


def test_network_errors_and_timeouts_are_transient() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with client(refused) as c:
        assert "ConnectError" in c.heartbeat("T0001", {}).reason  # type: ignore[union-attr]
    with client(slow) as c:
        assert "timeout" in c.finalize(SID).reason  # type: ignore[union-attr]


def test_retry_after_seconds_and_http_date() -> None:
    with client(answer(503, {"title": "busy"}, PROBLEM, retry_after="42")) as c:
        result = c.put_submission(SID, {})
    assert isinstance(result, Transient) and result.retry_after_s == 42
    server_now = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)
    later = email.utils.format_datetime(server_now + dt.timedelta(seconds=90), usegmt=True)
    date = email.utils.format_datetime(server_now, usegmt=True)
    with client(answer(429, {"title": "slow down"}, PROBLEM, retry_after=later, date=date)) as c:
        result = c.put_submission(SID, {})
    assert isinstance(result, Transient) and result.retry_after_s == 90
    assert parse_retry_after("soon", server_now) is None
    assert parse_retry_after("999999", server_now) == 3600  # capped


def test_clock_offset_is_measured_from_the_date_header() -> None:
    clock = FakeClock(dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC))
    date = email.utils.format_datetime(dt.datetime(2026, 11, 23, 12, 2, tzinfo=dt.UTC), usegmt=True)
    with client(answer(200, {"server_time": "x"}, date=date), clock) as c:
        assert isinstance(c.heartbeat("T0001", {}), HeartbeatAck)
        assert c.clock_offset_s == 120


def test_resumable_upload_answers() -> None:
    with client(answer(200, None, upload_offset="10", upload_length="20")) as c:
        assert c.head_material(SID, "m1") == UploadOffset(10, 20)
    with client(answer(200)) as c:  # a HEAD without Upload-Offset is not the platform
        assert isinstance(c.head_material(SID, "m1"), Transient)
    with client(answer(404)) as c:
        assert isinstance(c.head_material(SID, "m1"), NotFound)
    with client(answer(204, None, upload_offset="8")) as c:
        assert c.patch_material(SID, "m1", 0, b"12345678") == UploadOffset(8)
    with client(answer(409, {"title": "offset"}, PROBLEM, upload_offset="4")) as c:
        assert c.patch_material(SID, "m1", 0, b"x") == OffsetMismatch(4)
    with client(answer(460, {"title": "checksum"}, PROBLEM, upload_offset="0")) as c:
        assert c.patch_material(SID, "m1", 0, b"x") == ChecksumMismatch(0)
    with client(answer(460, {"title": "checksum"}, PROBLEM)) as c:
        assert isinstance(c.patch_material(SID, "m1", 0, b"x"), Transient)
    with client(answer(204)) as c:
        assert isinstance(c.patch_material(SID, "m1", 0, b"x"), Transient)


def test_patch_sends_offset_and_sha256_checksum() -> None:
    seen: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        return httpx.Response(204, headers={"Upload-Offset": "3"})

    with client(handler) as c:
        c.patch_material(SID, "m1", 0, b"abc")
    assert seen["upload-offset"] == "0"
    assert seen["upload-checksum"] == "sha256 ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    assert seen["content-type"] == "application/offset+octet-stream"
    assert seen["authorization"] == "Bearer " + "t" * 40


def test_finalize_answers() -> None:
    ref = {"case_no": "C1", "receipt_no": "R1", "received_at": "2026-11-23T10:00:00+08:00", "status": "received"}
    with client(answer(200, ref)) as c:
        assert c.finalize(SID) == CaseRef("C1", "R1", "2026-11-23T10:00:00+08:00", "received")
    with client(answer(409, {"title": "incomplete", "missing": ["m1", "m2"]}, PROBLEM)) as c:
        assert c.finalize(SID) == MissingMaterials(("m1", "m2"))
    with client(answer(409, {"title": "incomplete"}, PROBLEM)) as c:
        assert isinstance(c.finalize(SID), Transient)
    with client(answer(404)) as c:
        assert isinstance(c.finalize(SID), NotFound)
    with client(answer(200, {"case_no": "C1"})) as c:
        assert isinstance(c.finalize(SID), Transient)


def test_enrollment_answers() -> None:
    good = {"terminal_id": "T-0001", "token": "x" * 40}
    with client(answer(201, good)) as c:
        assert c.enroll("ABCDEFGH", "H", "N") == Enrolled("T-0001", "x" * 40)
    with client(answer(409, {"title": "used"}, PROBLEM)) as c:
        assert isinstance(c.enroll("ABCDEFGH", "H", "N"), Rejected)
    with client(answer(404, {"title": "unknown"}, PROBLEM)) as c:
        assert isinstance(c.enroll("ABCDEFGH", "H", "N"), Rejected)
    with client(answer(201, {"terminal_id": "lower-case", "token": "short"})) as c:
        assert isinstance(c.enroll("ABCDEFGH", "H", "N"), Transient)


def test_catalog_evaluation_and_case_answers() -> None:
    with client(answer(200, {"version": "1", "items": []}, etag='"abc"')) as c:
        doc = c.fetch_catalog()
        assert isinstance(doc, CatalogDocument) and doc.etag == '"abc"'
    with client(answer(304)) as c:
        assert isinstance(c.fetch_catalog('"abc"'), NotModified)
    with client(answer(200, {"version": 1})) as c:
        assert isinstance(c.fetch_catalog(), Transient)
    with client(answer(201)) as c:
        assert c.put_evaluation(SID, {}) == Recorded(True)
    with client(answer(200, b"<html/>", "text/html")) as c:
        assert isinstance(c.put_evaluation(SID, {}), Transient)
    case = {"case_no": "C1", "receipt_no": "R1", "status": "accepted", "applicant_name_masked": "张*明",
            "item_name": {"zh": "事项"}, "history": [{"at": "x", "status": "received"}]}
    with client(answer(200, case)) as c:
        found = c.case_by_receipt("R1")
        assert isinstance(found, Case) and found.status == "accepted" and found.item_name == {"zh": "事项"}
        assert "张*明" not in repr(found)
    with client(answer(404, {"title": "unknown"}, PROBLEM)) as c:
        assert isinstance(c.case_by_receipt("R1"), NotFound)
    with client(answer(200, {"cases": [case, {"nonsense": True}]})) as c:
        result = c.search_cases("resident_id", "11010119900307123X")
        assert len(result.cases) == 1  # type: ignore[union-attr]
