"""The reference platform's HTTP server (stdlib `http.server`, one thread per connection).

Embedding it (the kiosk's tests)::

    platform = start_in_thread(tmp_path / "platform")
    code = platform.new_enrollment_code()
    ...  # the kiosk talks to platform.url
    platform.stop()

`RunningPlatform` also reads and changes state for tests (counts, cases, statuses,
purges, token revocation), injects faults (`Fault`) and shifts the platform's clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import os
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from kiosk.refplatform.api import REASONS, PlatformApi, Request, Response, problem
from kiosk.refplatform.catalog import Catalog, load_catalog
from kiosk.refplatform.clock import PlatformClock
from kiosk.refplatform.console import Console
from kiosk.refplatform.faults import Fault, FaultKind, FaultPlan
from kiosk.refplatform.store import MaterialInfo, Store, SubmissionState

log = logging.getLogger("kiosk.refplatform")

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765
_DRAIN_MAX: Final = 64 * 1024 * 1024 + 1024  # read and discard an oversized body up to this, then answer
_CONSOLE_BODY_MAX: Final = 64 * 1024
_CAPTIVE_PORTAL: Final = ("<!DOCTYPE html><html><head><title>Wi-Fi 认证</title></head><body>"
                          "<h1>请登录以访问互联网 / Please sign in to use the Wi-Fi</h1></body></html>").encode()


@dataclass(frozen=True)
class RequestRecord:
    """One request the platform saw (for tests asserting what a terminal did)."""

    method: str
    path: str
    status: int | None  # None when the connection was dropped without an answer
    fault: str | None


class Platform:
    """Everything one running platform holds: store, catalog, interface, console, faults."""

    def __init__(self, data_dir: Path, catalog_path: Path | None = None, *, console_password: str | None = None,
                 console_open: bool = False, durable: bool = True) -> None:
        self.clock = PlatformClock()
        self.catalog: Catalog = load_catalog(catalog_path)
        self.store = Store(data_dir, self.clock, durable=durable)
        self.api = PlatformApi(self.store, self.catalog)
        self.console = Console(self.store, self.catalog, password=console_password, open_to_all=console_open)
        self.faults = FaultPlan()
        self.stopping = threading.Event()
        self.requests: deque[RequestRecord] = deque(maxlen=10_000)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins the handler threads

    def __init__(self, address: tuple[str, int], platform: Platform) -> None:
        self.platform = platform
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close kept-alive connections so a stopped platform answers nothing more."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kiosk-refplatform/1.0"
    sys_version = ""
    # Headers and body leave in separate writes; with Nagle's algorithm the body waits
    # for the client's delayed ACK (40 ms on Linux) on every kept-alive request.
    disable_nagle_algorithm = True
    # An idle kept-alive connection (or a client that stalls mid-request) frees its
    # thread after this many seconds without a byte.
    timeout = 300

    @property
    def platform(self) -> Platform:
        return cast(_Server, self.server).platform

    # One entry for every method; routes decide what is allowed (405 with Allow).
    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header from the platform's clock (which tests may shift)."""
        moment = self.platform.clock.now().timestamp() if timestamp is None else timestamp
        return email.utils.formatdate(moment, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors http.server raises itself (bad request line, unknown method): problem+json too."""
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # HTTP/0.9 answers have no status line; nobody speaks it
        response = problem(code, "http", message or explain or "the request could not be read")
        self._write(response, head=self.command == "HEAD" if hasattr(self, "command") else False)

    # -- the request ----------------------------------------------------------------------

    def _serve(self) -> None:
        platform = self.platform
        split = urlsplit(self.path)
        path = unquote(split.path)
        method = self.command
        is_api = path == "/v1" or path.startswith("/v1/")
        limit = platform.api.body_limit(method) if is_api else _CONSOLE_BODY_MAX
        body, declared = self._read_body(limit)
        if body is None and declared is None:
            return  # an unreadable body: already answered 400
        fault = platform.faults.take(method, path) if is_api else None
        record_fault = fault.kind.value if fault else None
        if fault is not None and fault.kind is FaultKind.DELAY:
            platform.stopping.wait(fault.delay_s)
            fault = None
        if fault is not None and fault.kind in (FaultKind.REFUSE, FaultKind.DROP_BEFORE, FaultKind.CAPTIVE_PORTAL):
            self._before_fault(fault, method, path, record_fault)
            return
        if body is None:
            response = platform.api.too_large(method, declared or 0) if is_api else problem(
                413, "body-too-large", "the form is too large")
        else:
            request = Request(method=method, path=path, body=body, client_host=self.client_address[0],
                              headers={k.lower(): v for k, v in self.headers.items()},
                              query=dict(parse_qsl(split.query)))
            response = self._dispatch(request, is_api)
        if fault is not None and fault.kind is FaultKind.DROP_AFTER:
            self.close_connection = True
            platform.requests.append(RequestRecord(method, path, None, record_fault))
            return
        if fault is not None and fault.kind is FaultKind.STATUS_AFTER:
            response = problem(fault.status, "injected", "injected failure after the platform committed",
                               headers=_retry_after(fault))
        platform.requests.append(RequestRecord(method, path, response.status, record_fault))
        self._write(response, head=method == "HEAD")

    def _before_fault(self, fault: Fault, method: str, path: str, record_fault: str | None) -> None:
        platform = self.platform
        if fault.kind is FaultKind.DROP_BEFORE:
            self.close_connection = True
            platform.requests.append(RequestRecord(method, path, None, record_fault))
            return
        if fault.kind is FaultKind.CAPTIVE_PORTAL:
            response = Response(200, _CAPTIVE_PORTAL, "text/html; charset=utf-8")
        else:
            response = problem(fault.status, "injected", "injected failure; nothing was done",
                               headers=_retry_after(fault))
        platform.requests.append(RequestRecord(method, path, response.status, record_fault))
        self._write(response, head=method == "HEAD")

    def _dispatch(self, request: Request, is_api: bool) -> Response:
        try:
            if is_api:
                return self.platform.api.handle(request)
            return self.platform.console.handle(request)
        except Exception as exc:
            # The type only: an exception's message may carry a resident's data.
            log.error("internal error handling %s %s (%s)", request.method, request.path, type(exc).__name__)
            log.debug("internal error", exc_info=True)
            return problem(500, "internal", "the platform failed to handle this request")

    def _read_body(self, limit: int) -> tuple[bytes | None, int | None]:
        """(body, None), or (None, declared size) when it exceeds `limit`.

        An oversized body is read and discarded (up to 64 MiB) so the client reads
        our 413 instead of a reset; beyond that the connection is closed after it.
        (None, None) means the body could not be read and a 400 has been sent.
        """
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(limit)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b"", None
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError(length_text)
        except ValueError:
            self._write(problem(400, "bad-content-length", "Content-Length is not a number"), head=False,
                        close=True)
            return None, None
        if length <= limit:
            return self.rfile.read(length), None
        if length <= _DRAIN_MAX:
            remaining = length
            while remaining > 0:
                block = self.rfile.read(min(remaining, 1 << 20))
                if not block:
                    break
                remaining -= len(block)
        else:
            self.close_connection = True
        return None, length

    def _read_chunked(self, limit: int) -> tuple[bytes | None, int | None]:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self._write(problem(400, "bad-chunk", "malformed chunked encoding"), head=False, close=True)
                return None, None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            data = self.rfile.read(size)
            self.rfile.readline(16)
            total += size
            if total <= limit:
                parts.append(data)
            elif total > _DRAIN_MAX:
                self.close_connection = True
                return None, total
        return (b"".join(parts), None) if total <= limit else (None, total)

    def _write(self, response: Response, *, head: bool, close: bool = False) -> None:
        if close or response.close:
            self.close_connection = True
        try:
            self.send_response(response.status, REASONS.get(response.status))
            for name, value in response.headers:
                self.send_header(name, value)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            if response.status not in (204, 304):
                self.send_header("Content-Length", str(0 if head else len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if response.body and not head and response.status not in (204, 304):
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _retry_after(fault: Fault) -> list[tuple[str, str]]:
    return [("Retry-After", fault.retry_after)] if fault.retry_after else []


class RunningPlatform:
    """A platform serving in a background thread. Use as a context manager or call stop()."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.platform = server.platform
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}"
        self.console_url = f"{self.url}/console"
        self.data_dir = self.platform.store.data_dir
        self._stopped = False

    def __enter__(self) -> RunningPlatform:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving, close every open connection, wait for the handlers, close the database."""
        if self._stopped:
            return
        self._stopped = True
        self.platform.stopping.set()
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        self._thread.join()
        self.platform.store.close()

    # -- enrollment -------------------------------------------------------------------------

    def new_enrollment_code(self, ttl: dt.timedelta = dt.timedelta(hours=24)) -> str:
        return self.platform.store.new_enrollment_code(ttl)

    def enroll(self, hall_code: str = "TEST-HALL-01", terminal_name: str = "测试终端") -> tuple[str, str]:
        """Enroll a terminal without HTTP: (terminal_id, token)."""
        result = self.platform.store.enroll(code=self.new_enrollment_code(), hall_code=hall_code,
                                            terminal_name=terminal_name, terminal_id=None, hardware={})
        assert result.body is not None
        return str(result.body["terminal_id"]), str(result.body["token"])

    def revoke_tokens(self, terminal_id: str) -> int:
        """As an operator would: the terminal's requests get 401 until restore_tokens()."""
        return self.platform.store.revoke_tokens(terminal_id)

    def restore_tokens(self, terminal_id: str) -> int:
        return self.platform.store.restore_tokens(terminal_id)

    # -- state for tests --------------------------------------------------------------------

    def count_submissions(self) -> int:
        return self.platform.store.count_submissions()

    def count_cases(self) -> int:
        return self.platform.store.count_cases()

    def count_evaluations(self) -> int:
        return self.platform.store.count_evaluations()

    def submission_state(self, submission_id: str) -> SubmissionState | None:
        return self.platform.store.submission_state(submission_id.lower())

    def submission_body(self, submission_id: str) -> dict[str, Any] | None:
        return self.platform.store.submission_body(submission_id.lower())

    def materials(self, submission_id: str) -> list[MaterialInfo]:
        return self.platform.store.materials(submission_id.lower())

    def material_bytes(self, submission_id: str, material_id: str) -> bytes | None:
        path = self.platform.store.material_path(submission_id.lower(), material_id)
        return path.read_bytes() if path.is_file() else None

    def get_case(self, case_no: str) -> dict[str, Any] | None:
        return self.platform.store.case_by_no(case_no)

    def get_case_by_receipt(self, receipt_no: str) -> dict[str, Any] | None:
        return self.platform.store.case_by_receipt(receipt_no)

    def case_of_submission(self, submission_id: str) -> dict[str, Any] | None:
        return self.platform.store.case_of_submission(submission_id.lower())

    def set_case_status(self, case_no: str, status: str, note: str = "", tracking_no: str | None = None) -> None:
        self.platform.store.change_case_status(case_no, status, note, tracking_no)

    def purge_submission(self, submission_id: str) -> bool:
        """Drop the body and files, keep the id (as the platform does after retention)."""
        return self.platform.store.purge_submission(submission_id.lower())

    def terminal(self, terminal_id: str) -> dict[str, Any] | None:
        """hall_code, terminal_name, last_status (the last heartbeat body), last_status_at, ..."""
        return self.platform.store.terminal(terminal_id)

    @property
    def catalog_etag(self) -> str:
        return self.platform.catalog.etag

    # -- faults, clock, request log ------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        return self.platform.faults.add(fault)

    def clear_faults(self) -> None:
        self.platform.faults.clear()

    def pending_faults(self) -> int:
        return self.platform.faults.pending()

    def shift_clock(self, delta: dt.timedelta) -> None:
        self.platform.clock.shift(delta)

    def requests(self) -> list[RequestRecord]:
        return list(self.platform.requests)


def build_server(data_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 catalog_path: Path | None = None, *, console_password: str | None = None,
                 console_open: bool = False, durable: bool = True) -> _Server:
    platform = Platform(data_dir, catalog_path, console_password=console_password, console_open=console_open,
                        durable=durable)
    try:
        return _Server((host, port), platform)
    except BaseException:
        platform.store.close()
        raise


def start_in_thread(data_dir: Path, host: str = DEFAULT_HOST, port: int = 0, catalog_path: Path | None = None,
                    *, console_password: str | None = None, durable: bool = False) -> RunningPlatform:
    """A platform on `host:port` (0: any free port) serving from a daemon thread.

    Not `durable` by default: every commit is handed to the OS at once (SQLite WAL,
    synchronous=OFF), so it survives the process being killed, not a power cut, and
    tests run without fsyncs. `kiosk platform serve` is durable (synchronous=FULL,
    material files fsynced).
    """
    server = build_server(data_dir, host, port, catalog_path, console_password=console_password, durable=durable)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              name=f"refplatform-{server.server_address[1]}", daemon=True)
    thread.start()
    return RunningPlatform(server, thread)


def default_data_dir() -> Path:
    """$XDG_DATA_HOME/kiosk-platform (~/.local/share/kiosk-platform)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kiosk-platform"


def serve_until_stopped(server: _Server, stop: threading.Event,
                        announce: Callable[[str], None] = lambda line: None) -> None:
    """Serve until `stop` is set or Ctrl-C, then close every connection and the database."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="refplatform", daemon=True)
    thread.start()
    running = RunningPlatform(server, thread)
    announce(f"reference platform: {running.url}  (catalog {running.platform.catalog.version}, "
             f"data {running.data_dir})")
    announce(f"staff console / 工作人员控制台: {running.console_url}")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        announce("reference platform stopped / 已停止")
