"""The terminal interface (platform-api.yaml, /v1): requests in, responses out.

No sockets here: `server.py` reads the request and writes the `Response`; this module
decides what the contract says the answer is. Every error is problem+json (RFC 9457)
and never repeats a personal value from the request.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from kiosk.refplatform import validate
from kiosk.refplatform.cases import due_date, mask_name
from kiosk.refplatform.catalog import Catalog
from kiosk.refplatform.clock import rfc3339
from kiosk.refplatform.store import (
    EnrollOutcome,
    NewSubmission,
    PatchOutcome,
    PutOutcome,
    Store,
)

PROBLEM_JSON: Final = "application/problem+json"
JSON: Final = "application/json"
OFFSET_STREAM: Final = "application/offset+octet-stream"
MAX_CHUNK_BYTES: Final = 4 * 1024 * 1024
MAX_JSON_BYTES: Final = 1024 * 1024
_UUID: Final = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TITLES: Final = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
    460: "Checksum Mismatch", 500: "Internal Server Error", 503: "Service Unavailable",
}
REASONS: Final = {460: "Checksum Mismatch"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # percent-decoded path without the query
    headers: dict[str, str]  # lower-case names
    body: bytes = field(default=b"", repr=False)
    client_host: str = "127.0.0.1"
    query: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False


def json_response(status: int, value: Any, *, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, JSON, headers or [])


def problem(status: int, slug: str, detail: str, *, headers: list[tuple[str, str]] | None = None,
            **extra: Any) -> Response:
    """RFC 9457 problem details: type, title, status, detail, and any extension members."""
    document: dict[str, Any] = {"type": f"urn:kiosk-platform:problem:{slug}", "title": _TITLES.get(status, "Error"),
                                "status": status, "detail": detail, **extra}
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, PROBLEM_JSON, headers or [])


def _invalid(errors: list[validate.FieldError]) -> Response:
    return problem(422, "validation", "the request does not fit the schema or the catalog / 申请内容不符合要求",
                   errors=[e.as_json() for e in errors])


class _Reject(Exception):
    """Ends a handler early with a ready response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    handlers: dict[str, Callable[[Request, re.Match[str]], Response]]


class PlatformApi:
    def __init__(self, store: Store, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog
        self._routes = (
            _Route(re.compile(r"^/v1/terminals/enroll$"), {"POST": self._enroll}),
            _Route(re.compile(r"^/v1/catalog$"), {"GET": self._catalog}),
            _Route(re.compile(r"^/v1/submissions/(?P<sid>[^/]+)$"),
                   {"PUT": self._put_submission, "GET": self._get_submission}),
            _Route(re.compile(r"^/v1/submissions/(?P<sid>[^/]+)/materials/(?P<mid>[^/]+)$"),
                   {"HEAD": self._head_material, "PATCH": self._patch_material}),
            _Route(re.compile(r"^/v1/submissions/(?P<sid>[^/]+)/finalize$"), {"POST": self._finalize}),
            _Route(re.compile(r"^/v1/cases/by-receipt/(?P<receipt>[^/]+)$"), {"GET": self._case_by_receipt}),
            _Route(re.compile(r"^/v1/cases/search$"), {"POST": self._search_cases}),
            _Route(re.compile(r"^/v1/evaluations/(?P<eid>[^/]+)$"), {"PUT": self._put_evaluation}),
            _Route(re.compile(r"^/v1/terminals/(?P<tid>[^/]+)/status$"), {"PUT": self._put_status}),
        )

    # -- dispatch -----------------------------------------------------------------------

    @staticmethod
    def body_limit(method: str) -> int:
        return MAX_CHUNK_BYTES if method == "PATCH" else MAX_JSON_BYTES

    @staticmethod
    def too_large(method: str, size: int) -> Response:
        if method == "PATCH":
            return problem(413, "chunk-too-large", f"a chunk is at most {MAX_CHUNK_BYTES} bytes; this one has {size}")
        return problem(413, "body-too-large", f"a request body is at most {MAX_JSON_BYTES} bytes")

    def handle(self, request: Request) -> Response:
        for route in self._routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            handler = route.handlers.get(request.method)
            if handler is None:
                allowed = ", ".join(route.handlers)
                return problem(405, "method-not-allowed", f"use {allowed}", headers=[("Allow", allowed)])
            try:
                return handler(request, match)
            except _Reject as reject:
                return reject.response
        return problem(404, "no-such-resource", "no such resource in this interface")

    # -- shared steps -------------------------------------------------------------------

    def _terminal(self, request: Request) -> str:
        """The authenticated terminal, or a 401 (unknown, revoked or missing token)."""
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        terminal_id = self.store.authenticate(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if terminal_id is None:
            raise _Reject(problem(401, "unauthorized", "the bearer token is missing, unknown or revoked / 终端凭证无效",
                                  headers=[("WWW-Authenticate", 'Bearer realm="kiosk-platform"')]))
        return terminal_id

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        content_type = (request.header("content-type") or JSON).split(";")[0].strip().lower()
        if content_type != JSON and not content_type.endswith("+json"):
            raise _Reject(problem(415, "unsupported-media-type", "send application/json"))
        try:
            value = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _Reject(problem(400, "malformed-json", "the body is not UTF-8 JSON")) from None
        if not isinstance(value, dict):
            raise _Reject(problem(400, "malformed-json", "the body must be a JSON object"))
        return value

    @staticmethod
    def _uuid(value: str, what: str) -> str:
        if not _UUID.match(value):
            raise _Reject(problem(400, "bad-identifier", f"{what} must be a UUID"))
        return value.lower()

    def _own_submission(self, terminal_id: str, submission_id: str) -> None:
        state = self.store.submission_state(submission_id)
        if state is None:
            raise _Reject(problem(404, "unknown-submission", "never created: PUT the submission again"))
        if state.terminal_id != terminal_id:
            raise _Reject(problem(403, "not-your-submission", "this submission belongs to another terminal"))

    # -- enrollment and catalog ---------------------------------------------------------

    def _enroll(self, request: Request, match: re.Match[str]) -> Response:
        body = self._json_body(request)
        errors = validate.enrollment_errors(body)
        if errors:
            return _invalid(errors)
        result = self.store.enroll(code=body["enrollment_code"], hall_code=body["hall_code"],
                                   terminal_name=body["terminal_name"], terminal_id=body.get("terminal_id"),
                                   hardware=body.get("hardware") or {})
        if result.outcome is EnrollOutcome.CODE_UNKNOWN:
            return problem(404, "unknown-enrollment-code", "this enrollment code is unknown or expired / 注册码无效或已过期")
        if result.outcome is EnrollOutcome.CODE_USED:
            return problem(409, "enrollment-code-used", "this enrollment code has been used / 注册码已被使用")
        return json_response(201 if result.outcome is EnrollOutcome.CREATED else 200, result.body)

    def _catalog(self, request: Request, match: re.Match[str]) -> Response:
        self._terminal(request)
        headers = [("ETag", self.catalog.etag), ("Cache-Control", "no-cache")]
        if _etag_matches(request.header("if-none-match"), self.catalog.etag):
            return Response(304, headers=headers)
        return Response(200, self.catalog.body, JSON, headers)

    # -- submissions --------------------------------------------------------------------

    def _put_submission(self, request: Request, match: re.Match[str]) -> Response:
        terminal_id = self._terminal(request)
        submission_id = self._uuid(match["sid"], "submission_id")
        body = self._json_body(request)
        known = self.store.submission_state(submission_id)
        if known is not None and known.terminal_id != terminal_id:
            return problem(403, "not-your-submission", "this submission belongs to another terminal")
        oversized = validate.oversized_materials(body)
        if known is None and oversized:
            return problem(413, "material-too-large",
                           f"a material is at most {validate.MAX_MATERIAL_BYTES} bytes / 材料文件过大",
                           material_ids=oversized)
        errors = [] if known is not None else validate.submission_shape_errors(body)
        if errors:
            return _invalid(errors)
        if known is None and body["terminal_id"] != terminal_id:
            return problem(403, "not-your-terminal", "terminal_id is not the terminal this token belongs to")
        item = self.catalog.item(str(body.get("item_code")))
        if known is None:
            errors = validate.submission_catalog_errors(body, self.catalog)
            if errors:
                return _invalid(errors)
        new = self._new_submission(submission_id, body, item or {})
        outcome, state = self.store.put_submission(new)
        if outcome is PutOutcome.CONFLICT:
            return problem(409, "submission-conflict",
                           "this submission_id is already known with different content / 同一申请编号内容不同")
        if outcome is PutOutcome.RECEIPT_TAKEN:
            return problem(409, "receipt-no-taken", "this receipt_no belongs to another submission / 回执号已被使用")
        assert state is not None
        return json_response(201 if outcome is PutOutcome.CREATED else 200, state.as_json())

    def _new_submission(self, submission_id: str, body: dict[str, Any], item: dict[str, Any]) -> NewSubmission:
        applicant = body.get("applicant") if isinstance(body.get("applicant"), dict) else {}
        assert isinstance(applicant, dict)
        materials = body.get("materials") if isinstance(body.get("materials"), list) else []
        assert isinstance(materials, list)
        name = item.get("name") if isinstance(item.get("name"), dict) else None
        delivery = body.get("delivery") if isinstance(body.get("delivery"), dict) else {}
        assert isinstance(delivery, dict)
        return NewSubmission(
            submission_id=submission_id,
            terminal_id=str(body.get("terminal_id")),
            receipt_no=str(body.get("receipt_no")),
            item_code=str(body.get("item_code")),
            item_name=name or {"zh": str(body.get("item_code"))},
            time_limit_days=int(item.get("time_limit_days") or 0),
            delivery_method=str(delivery.get("method")),
            applicant_key=self.store.applicant_key(str(applicant.get("id_type")), str(applicant.get("id_number"))),
            applicant_name_masked=mask_name(str(applicant.get("name") or "")),
            body=body,
            materials=tuple(m for m in materials if isinstance(m, dict)),
        )

    def _get_submission(self, request: Request, match: re.Match[str]) -> Response:
        terminal_id = self._terminal(request)
        submission_id = self._uuid(match["sid"], "submission_id")
        self._own_submission(terminal_id, submission_id)
        state = self.store.submission_state(submission_id)
        assert state is not None
        return json_response(200, state.as_json())

    def _material(self, request: Request, match: re.Match[str]) -> tuple[str, str]:
        terminal_id = self._terminal(request)
        submission_id = self._uuid(match["sid"], "submission_id")
        self._own_submission(terminal_id, submission_id)
        material_id = match["mid"]
        if not validate.MATERIAL_ID.match(material_id) or self.store.material(submission_id, material_id) is None:
            raise _Reject(problem(404, "unknown-material", "this material is not in the submission's manifest"))
        return submission_id, material_id

    def _head_material(self, request: Request, match: re.Match[str]) -> Response:
        submission_id, material_id = self._material(request, match)
        info = self.store.material(submission_id, material_id)
        assert info is not None
        return Response(200, headers=[("Upload-Offset", str(info.offset)), ("Upload-Length", str(info.size)),
                                      ("Cache-Control", "no-store")])

    def _patch_material(self, request: Request, match: re.Match[str]) -> Response:
        submission_id, material_id = self._material(request, match)
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != OFFSET_STREAM:
            return problem(415, "unsupported-media-type", f"send {OFFSET_STREAM}")
        offset_text = (request.header("upload-offset") or "").strip()
        if not offset_text.isascii() or not offset_text.isdigit():
            return problem(400, "bad-upload-offset", "Upload-Offset must be a non-negative integer")
        chunk_sha256 = _chunk_checksum(request.header("upload-checksum"))
        result = self.store.append_chunk(submission_id, material_id, int(offset_text), request.body, chunk_sha256)
        offset_header = [("Upload-Offset", str(result.offset))]
        if result.outcome is PatchOutcome.APPENDED:
            return Response(204, headers=offset_header)
        if result.outcome is PatchOutcome.OFFSET_MISMATCH:
            return problem(409, "offset-mismatch", f"resume from offset {result.offset}", headers=offset_header,
                           upload_offset=result.offset)
        if result.outcome is PatchOutcome.BEYOND_SIZE:
            return problem(413, "beyond-declared-size", "the chunk goes past the material's declared size",
                           headers=offset_header)
        if result.outcome is PatchOutcome.CHUNK_CHECKSUM:
            return problem(460, "chunk-checksum-mismatch", "the chunk does not match Upload-Checksum; it was "
                           "discarded", headers=offset_header, upload_offset=result.offset)
        if result.outcome is PatchOutcome.FILE_CHECKSUM:
            return problem(460, "file-checksum-mismatch", "the whole file does not match the manifest's sha256; "
                           "upload it again from offset 0", headers=offset_header, upload_offset=result.offset)
        return problem(404, "unknown-material", "this material is not in the submission's manifest")

    def _finalize(self, request: Request, match: re.Match[str]) -> Response:
        terminal_id = self._terminal(request)
        submission_id = self._uuid(match["sid"], "submission_id")
        self._own_submission(terminal_id, submission_id)
        result = self.store.finalize(submission_id, due_date)
        if not result.found:
            return problem(404, "unknown-submission", "never created: PUT the submission again")
        if result.case is None:
            return problem(409, "materials-incomplete", "upload the missing materials, then finalize again",
                           missing=list(result.missing))
        case = result.case
        return json_response(200, {"case_no": case["case_no"], "receipt_no": case["receipt_no"],
                                   "received_at": case["received_at"], "status": case["status"]})

    # -- cases ----------------------------------------------------------------------------

    def _case_by_receipt(self, request: Request, match: re.Match[str]) -> Response:
        self._terminal(request)
        receipt = match["receipt"]
        case = self.store.case_by_receipt(receipt) or self.store.case_by_receipt(_normalise_receipt(receipt))
        if case is None:
            return problem(404, "unknown-receipt", "no case with this receipt number (yet) / 暂无此回执号的办件")
        return json_response(200, case)

    def _search_cases(self, request: Request, match: re.Match[str]) -> Response:
        self._terminal(request)
        body = self._json_body(request)
        errors = validate.search_errors(body)
        if errors:
            return _invalid(errors)
        key = self.store.applicant_key(body["id_type"], body["id_number"])
        return json_response(200, {"cases": self.store.cases_of_applicant(key)})

    # -- evaluations and heartbeats ---------------------------------------------------------

    def _put_evaluation(self, request: Request, match: re.Match[str]) -> Response:
        terminal_id = self._terminal(request)
        evaluation_id = self._uuid(match["eid"], "evaluation_id")
        body = self._json_body(request)
        errors = validate.evaluation_errors(body)
        if errors:
            return _invalid(errors)
        if body["terminal_id"] != terminal_id:
            return problem(403, "not-your-terminal", "terminal_id is not the terminal this token belongs to")
        outcome = self.store.put_evaluation(evaluation_id, terminal_id, body)
        if outcome is PutOutcome.CONFLICT:
            return problem(409, "evaluation-conflict", "this evaluation_id is already known with different content")
        status = 201 if outcome is PutOutcome.CREATED else 200
        return json_response(status, {"evaluation_id": evaluation_id, "recorded": True})

    def _put_status(self, request: Request, match: re.Match[str]) -> Response:
        terminal_id = self._terminal(request)
        if match["tid"] != terminal_id:
            return problem(403, "not-your-terminal", "a terminal may only write its own status")
        body = self._json_body(request)
        errors = validate.terminal_status_errors(body)
        if errors:
            return _invalid(errors)
        self.store.record_status(terminal_id, body)
        return json_response(200, {"server_time": rfc3339(self.store.clock.now()), "catalog_etag": self.catalog.etag})


def _etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 §13.1.2)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    strip = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == strip for candidate in header.split(","))


def _chunk_checksum(header: str | None) -> bytes | None:
    """`Upload-Checksum: sha256 <base64>` as 32 bytes; 400 for another algorithm or bad base64."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise _Reject(problem(400, "unsupported-checksum", "sha256 is the only Upload-Checksum algorithm"))
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise _Reject(problem(400, "bad-checksum", "Upload-Checksum must be sha256 and base64")) from None
    if len(digest) != 32:
        raise _Reject(problem(400, "bad-checksum", "a sha256 checksum has 32 bytes"))
    return digest


def _normalise_receipt(text: str) -> str:
    """Trim, upper-case, full-width to ASCII: a receipt number typed on an IME."""
    chars = [chr(ord(ch) - 0xFEE0) if 0xFF01 <= ord(ch) <= 0xFF5E else ch for ch in text.strip()]
    return "".join(chars).upper().replace(" ", "")
