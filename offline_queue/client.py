"""The platform's HTTP interface (shared/platform-api.yaml) as typed results.

Expected outcomes are values, not exceptions (STYLE.md principle 4). Every answer is
classified by the contract's rules:

* transient (retry with backoff): 408, 425, 429, 460, 500, 502, 503, 504, network
  errors and timeouts, and ANY answer that is not the documented one — a status the
  operation does not document, a body that is not the documented JSON (a captive
  portal's 200 HTML page, a redirect to a login page), a HEAD without Upload-Offset,
  an error status without problem details;
* permanent (`Rejected`, keep the data, surface it): 400, 403, 404 where not an
  instruction, 410, 413, 415, 422, and 409 on PUT and on enroll;
* instructions: 409 on PATCH (`OffsetMismatch`: resume from Upload-Offset), 460 on
  PATCH (`ChecksumMismatch`: continue from the returned offset), 409 on finalize
  (`MissingMaterials`), 404 where the contract says "PUT it again" (`NotFound`);
* 401 → `Unauthorized` (the caller pauses delivery and alerts a technician).

`Retry-After` is read as seconds or as an HTTP-date. Every response's `Date` header
updates `clock_offset_s` (platform time minus ours). Nothing personal is logged: not
bodies, not id numbers, not names.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import functools
import hashlib
import json
import logging
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from offline_queue import crashpoints
from offline_queue.clock import Clock, SystemClock
from offline_queue.model import FieldError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
TRANSIENT_STATUS = frozenset({408, 425, 429, 460, 500, 502, 503, 504})
PERMANENT_STATUS = frozenset({400, 403, 404, 410, 413, 415, 422})
MAX_CHUNK = 4 * 1024 * 1024  # platform-api.yaml: chunks are at most 4 MiB
_TERMINAL_ID = re.compile(r"^[A-Z0-9-]{4,32}$")
_SUBMISSION_STATES = ("awaiting_materials", "complete", "finalized")
_MAX_RETRY_AFTER_S = 3600.0


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """RFC 9457 problem details (detail and messages may echo values: not in reprs)."""

    status: int
    type: str = ""
    title: str = ""
    detail: str = field(default="", repr=False)
    errors: tuple[FieldError, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transient:
    reason: str
    status: int | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class Unauthorized:
    pass


@dataclass(frozen=True)
class Rejected:
    problem: Problem

    @property
    def status(self) -> int:
        return self.problem.status


@dataclass(frozen=True)
class NotFound:
    pass


@dataclass(frozen=True)
class SubmissionState:
    submission_id: str
    state: str  # awaiting_materials | complete | finalized
    missing: tuple[str, ...]
    case_no: str | None
    created: bool  # 201 (first time) rather than 200 (already known)


@dataclass(frozen=True)
class UploadOffset:
    offset: int
    length: int | None = None


@dataclass(frozen=True)
class OffsetMismatch:
    offset: int


@dataclass(frozen=True)
class ChecksumMismatch:
    offset: int


@dataclass(frozen=True)
class CaseRef:
    case_no: str
    receipt_no: str
    received_at: str
    status: str | None = None


@dataclass(frozen=True)
class MissingMaterials:
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Enrolled:
    terminal_id: str
    token: str = field(repr=False)
    platform_time: str | None = None


@dataclass(frozen=True)
class CatalogDocument:
    data: dict[str, Any] = field(repr=False)
    body: bytes = field(repr=False)
    etag: str | None = None

    @property
    def version(self) -> str:
        return str(self.data.get("version", ""))


@dataclass(frozen=True)
class NotModified:
    pass


@dataclass(frozen=True)
class HeartbeatAck:
    server_time: str | None
    catalog_etag: str | None


@dataclass(frozen=True)
class Recorded:
    created: bool


@dataclass(frozen=True)
class Case:
    """A case as the platform shows it to a terminal (the applicant's name masked)."""

    case_no: str
    receipt_no: str | None
    item_code: str | None
    status: str | None
    item_name: Mapping[str, str] = field(default_factory=dict)
    status_text: Mapping[str, str] = field(default_factory=dict)
    due_date: str | None = None
    tracking_no: str | None = None
    evaluated: bool | None = None
    history: tuple[Mapping[str, Any], ...] = ()
    applicant_name_masked: str | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Cases:
    cases: tuple[Case, ...]


Failure = Transient | Unauthorized | Rejected


# -- parsing helpers ----------------------------------------------------------------------------
def parse_retry_after(value: str | None, reference: dt.datetime) -> float | None:
    """Seconds to wait: `Retry-After` as delta-seconds or as an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), _MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return min(max(0.0, (when - reference).total_seconds()), _MAX_RETRY_AFTER_S)


def _json_object(resp: httpx.Response) -> dict[str, Any] | None:
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (ctype == "application/json" or ctype.endswith("+json")):
        return None
    try:
        value = json.loads(resp.content)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _problem(resp: httpx.Response) -> Problem | None:
    data = _json_object(resp)
    if data is None:
        return None
    errors = tuple(
        FieldError(str(e.get("field", "")), str(e.get("code", "")), str(e.get("message", "")))
        for e in data.get("errors", []) or [] if isinstance(e, dict))
    missing = tuple(str(m) for m in data.get("missing", []) or [] if isinstance(m, str))
    return Problem(status=resp.status_code, type=str(data.get("type", "")), title=str(data.get("title", "")),
                   detail=str(data.get("detail", "")), errors=errors, missing=missing)


def _int_header(resp: httpx.Response, name: str) -> int | None:
    value = resp.headers.get(name)
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _text(value: object) -> Mapping[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}
    return {}


def parse_case(data: Mapping[str, Any]) -> Case | None:
    case_no = data.get("case_no")
    if not isinstance(case_no, str) or not case_no:
        return None
    history = tuple(h for h in data.get("history", []) or [] if isinstance(h, dict))
    evaluated = data.get("evaluated")
    return Case(
        case_no=case_no, receipt_no=_opt_str(data.get("receipt_no")), item_code=_opt_str(data.get("item_code")),
        status=_opt_str(data.get("status")), item_name=_text(data.get("item_name")),
        status_text=_text(data.get("status_text")), due_date=_opt_str(data.get("due_date")),
        tracking_no=_opt_str(data.get("tracking_no")),
        evaluated=evaluated if isinstance(evaluated, bool) else None, history=history,
        applicant_name_masked=_opt_str(data.get("applicant_name_masked")), raw=dict(data),
    )


# -- the client ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client (loading the CA store costs ~30 ms)."""
    return ssl.create_default_context()


class PlatformClient:
    """One platform, one token. Thread-safe for separate calls (httpx.Client)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
        user_agent: str = "kiosk-terminal/0.1",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._clock = clock or SystemClock()
        self.clock_offset_s: float | None = None
        self._http = httpx.Client(
            base_url=self.base_url, transport=transport, timeout=timeout, follow_redirects=False,
            verify=_tls_context(),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"PlatformClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, json_body: object = None, content: bytes | None = None,
                 headers: Mapping[str, str] | None = None, auth: bool = True,
                 crash_point: str | None = None) -> httpx.Response | Transient:
        hdrs = dict(headers or {})
        if auth and self._token:
            hdrs["Authorization"] = f"Bearer {self._token}"
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            resp = self._http.request(method, path, content=content, headers=hdrs)
        except httpx.TimeoutException as exc:
            return Transient(f"timeout ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            return Transient(f"network ({type(exc).__name__})")
        except OSError as exc:  # a socket error httpx did not wrap
            return Transient(f"network ({type(exc).__name__})")
        if crash_point:
            crashpoints.hit(crash_point)
        self._measure_clock(resp)
        return resp

    def _measure_clock(self, resp: httpx.Response) -> None:
        date = resp.headers.get("date")
        if not date:
            return
        try:
            when = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        self.clock_offset_s = round((when - self._clock.now()).total_seconds(), 1)

    def _reference_time(self, resp: httpx.Response) -> dt.datetime:
        """The platform's clock at the answer (its Date header), else ours: a Retry-After
        HTTP-date means "wait this long" on the platform's clock."""
        date = resp.headers.get("date")
        if date:
            try:
                when = email.utils.parsedate_to_datetime(date)
                return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
            except (TypeError, ValueError):
                pass
        return self._clock.now()

    def _classify(self, resp: httpx.Response) -> Failure:
        """The common rules, for an answer the operation did not handle itself."""
        status = resp.status_code
        if status == 401:
            return Unauthorized()
        if status in TRANSIENT_STATUS:
            return Transient(f"http {status}", status,
                             parse_retry_after(resp.headers.get("retry-after"), self._reference_time(resp)))
        if status in PERMANENT_STATUS:
            problem = _problem(resp)
            if problem is None:  # e.g. a proxy's HTML error page: not the platform speaking
                return Transient(f"http {status} without problem details", status)
            return Rejected(problem)
        return Transient(f"undocumented answer (http {status})", status)

    @staticmethod
    def _nonsense(resp: httpx.Response, what: str) -> Transient:
        ctype = resp.headers.get("content-type", "?").split(";")[0]
        return Transient(f"undocumented answer (http {resp.status_code} {ctype}: {what})", resp.status_code)

    # -- enrollment and catalog -----------------------------------------------------------------
    def enroll(self, code: str, hall: str, name: str, terminal_id: str | None = None,
               hardware: Mapping[str, Any] | None = None) -> Enrolled | Failure:
        body: dict[str, Any] = {"enrollment_code": code, "hall_code": hall, "terminal_name": name}
        if terminal_id:
            body["terminal_id"] = terminal_id
        if hardware:
            body["hardware"] = dict(hardware)
        resp = self._request("POST", "/v1/terminals/enroll", json_body=body, auth=False)
        if isinstance(resp, Transient):
            return resp
        if resp.status_code in (200, 201):
            data = _json_object(resp)
            if data is None:
                return self._nonsense(resp, "not JSON")
            tid, token = data.get("terminal_id"), data.get("token")
            if not isinstance(tid, str) or not _TERMINAL_ID.match(tid) or not isinstance(token, str) or len(token) < 32:
                return self._nonsense(resp, "no terminal_id/token")
            return Enrolled(tid, token, _opt_str(data.get("platform_time")))
        if resp.status_code == 409:
            return Rejected(_problem(resp) or Problem(409, title="enrollment code already used"))
        return self._classify(resp)

    def fetch_catalog(self, etag: str | None = None) -> CatalogDocument | NotModified | Failure:
        headers = {"If-None-Match": etag} if etag else {}
        resp = self._request("GET", "/v1/catalog", headers=headers)
        if isinstance(resp, Transient):
            return resp
        if resp.status_code == 304 and etag:
            return NotModified()
        if resp.status_code == 200:
            data = _json_object(resp)
            if data is None or not isinstance(data.get("version"), str) or not isinstance(data.get("items"), list):
                return self._nonsense(resp, "not a catalog")
            return CatalogDocument(data, resp.content, resp.headers.get("etag"))
        return self._classify(resp)

    def heartbeat(self, terminal_id: str, status: Mapping[str, Any]) -> HeartbeatAck | Failure:
        resp = self._request("PUT", f"/v1/terminals/{quote(terminal_id, safe='')}/status", json_body=dict(status))
        if isinstance(resp, Transient):
            return resp
        if resp.status_code == 200:
            data = _json_object(resp)
            if data is None:
                return self._nonsense(resp, "not JSON")
            return HeartbeatAck(_opt_str(data.get("server_time")), _opt_str(data.get("catalog_etag")))
        return self._classify(resp)

    # -- delivering a submission ----------------------------------------------------------------------
    def put_submission(self, submission_id: str, manifest: Mapping[str, Any]) -> SubmissionState | Failure:
        resp = self._request("PUT", f"/v1/submissions/{quote(submission_id, safe='')}", json_body=dict(manifest),
                             crash_point="put.answered")
        if isinstance(resp, Transient):
            return resp
        if resp.status_code in (200, 201):
            state = self._submission_state(resp, submission_id)
            return state if state is not None else self._nonsense(resp, "not a SubmissionState")
        if resp.status_code == 409:
            return Rejected(_problem(resp) or Problem(409, title="same id, different content"))
        return self._classify(resp)

    def get_submission(self, submission_id: str) -> SubmissionState | NotFound | Failure:
        resp = self._request("GET", f"/v1/submissions/{quote(submission_id, safe='')}")
        if isinstance(resp, Transient):
            return resp
        if resp.status_code == 200:
            state = self._submission_state(resp, submission_id)
            return state if state is not None else self._nonsense(resp, "not a SubmissionState")
        if resp.status_code == 404:
            return NotFound()
        return self._classify(resp)

    @staticmethod
    def _submission_state(resp: httpx.Response, submission_id: str) -> SubmissionState | None:
        data = _json_object(resp)
        if data is None:
            return None
        state = data.get("state")
        sid = data.get("submission_id", submission_id)
        missing = data.get("missing", []) or []
        if state not in _SUBMISSION_STATES or sid != submission_id or not isinstance(missing, list):
            return None
        case_no = data.get("case_no")
        return SubmissionState(submission_id, str(state), tuple(str(m) for m in missing),
                               case_no if isinstance(case_no, str) and case_no else None, resp.status_code == 201)

    def head_material(self, submission_id: str, material_id: str) -> UploadOffset | NotFound | Failure:
        resp = self._request("HEAD", self._material_path(submission_id, material_id))
        if isinstance(resp, Transient):
            return resp
        if resp.status_code == 200:
            offset = _int_header(resp, "upload-offset")
            if offset is None:
                return self._nonsense(resp, "HEAD without Upload-Offset")
            return UploadOffset(offset, _int_header(resp, "upload-length"))
        if resp.status_code == 404:
            return NotFound()
        return self._classify(resp)

    def patch_material(self, submission_id: str, material_id: str, offset: int,
                       chunk: bytes) -> UploadOffset | OffsetMismatch | ChecksumMismatch | NotFound | Failure:
        if len(chunk) > MAX_CHUNK:
            raise ValueError("chunk larger than 4 MiB")
        digest = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
        resp = self._request(
            "PATCH", self._material_path(submission_id, material_id), content=chunk,
            headers={"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset),
                     "Upload-Checksum": f"sha256 {digest}"},
            crash_point="patch.answered",
        )
        if isinstance(resp, Transient):
            return resp
        new_offset = _int_header(resp, "upload-offset")
        if resp.status_code == 204:
            if new_offset is None:
                return self._nonsense(resp, "PATCH answer without Upload-Offset")
            return UploadOffset(new_offset)
        if resp.status_code == 409 and new_offset is not None:
            return OffsetMismatch(new_offset)
        if resp.status_code == 460 and new_offset is not None:
            return ChecksumMismatch(new_offset)
        if resp.status_code == 404:
            return NotFound()
        if resp.status_code == 409:
            return self._nonsense(resp, "409 without Upload-Offset")
        return self._classify(resp)

    @staticmethod
    def _material_path(submission_id: str, material_id: str) -> str:
        return f"/v1/submissions/{quote(submission_id, safe='')}/materials/{quote(material_id, safe='')}"

    def finalize(self, submission_id: str) -> CaseRef | MissingMaterials | NotFound | Failure:
        resp = self._request("POST", f"/v1/submissions/{quote(submission_id, safe='')}/finalize",
                             crash_point="finalize.answered")
        if isinstance(resp, Transient):
            return resp
        if resp.status_code == 200:
            data = _json_object(resp)
            if data is None:
                return self._nonsense(resp, "not JSON")
            case_no, receipt_no, received_at = data.get("case_no"), data.get("receipt_no"), data.get("received_at")
            if not all(isinstance(v, str) and v for v in (case_no, receipt_no, received_at)):
                return self._nonsense(resp, "not a CaseRef")
            return CaseRef(str(case_no), str(receipt_no), str(received_at), _opt_str(data.get("status")))
        if resp.status_code == 409:
            problem = _problem(resp)
            if problem is None or not problem.missing:
                return self._nonsense(resp, "409 without missing materials")
            return MissingMaterials(problem.missing)
        if resp.status_code == 404:
            return NotFound()
        return self._classify(resp)

    # -- evaluations and progress queries ----------------------------------------------------------
    def put_evaluation(self, evaluation_id: str, body: Mapping[str, Any]) -> Recorded | Failure:
        resp = self._request("PUT", f"/v1/evaluations/{quote(evaluation_id, safe='')}", json_body=dict(body),
                             crash_point="evaluation.answered")
        if isinstance(resp, Transient):
            return resp
        if resp.status_code in (200, 201):
            # No schema is documented; an HTML page (a portal) is still not the platform.
            if resp.content.strip() and _json_object(resp) is None:
                return self._nonsense(resp, "not JSON")
            return Recorded(resp.status_code == 201)
        if resp.status_code == 409:
            return Rejected(_problem(resp) or Problem(409, title="same id, different content"))
        return self._classify(resp)

    def case_by_receipt(self, receipt_no: str) -> Case | NotFound | Failure:
        """Progress of a case from a receipt (404: unknown, maybe not delivered yet)."""
        resp = self._request("GET", f"/v1/cases/by-receipt/{quote(receipt_no, safe='')}")
        if isinstance(resp, Transient):
            return resp
        if resp.status_code == 200:
            data = _json_object(resp)
            case = parse_case(data) if data is not None else None
            return case if case is not None else self._nonsense(resp, "not a Case")
        if resp.status_code == 404:
            return NotFound()
        return self._classify(resp)

    def search_cases(self, id_type: str, id_number: str) -> Cases | Failure:
        """All cases of the person whose card was just read (newest first)."""
        resp = self._request("POST", "/v1/cases/search", json_body={"id_type": id_type, "id_number": id_number})
        if isinstance(resp, Transient):
            return resp
        if resp.status_code == 200:
            data = _json_object(resp)
            raw = data.get("cases") if data is not None else None
            if not isinstance(raw, list):
                return self._nonsense(resp, "not a case list")
            cases = [parse_case(c) for c in raw if isinstance(c, dict)]
            return Cases(tuple(c for c in cases if c is not None))
        return self._classify(resp)
