"""A fault-injecting HTTP proxy in front of the reference platform (offline-sync.md §10, L4).

It forwards requests unchanged unless a rule matches; rules fire in the order added,
each `times` times:

* ``drop_before``    read the request, close the connection; the platform never sees it
* ``commit_then_drop`` forward (the platform commits), then close without answering
* ``status_after``   forward (the platform commits), then answer `status` (e.g. 500)
* ``status``         answer `status` (with Retry-After if given) without forwarding
* ``stall``          wait `stall_s` (bounded), then close without answering
* ``partial_upload`` forward the headers and only `fraction` of the body, then cut both sides
* ``captive_portal`` answer 200 text/html, like a hotel Wi-Fi login page
* ``unauthorized``   answer 401 problem+json without forwarding (a revoked-token window)
* ``nonsense``       answer 200 application/json that is not the documented document
* ``corrupt_body``   forward with one byte of the body flipped (a bad NIC, a meddling box)

`log` records (method, path, action or None, status answered or None) once a request
is done; `received` counts requests as they arrive.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

MAX_STALL_S = 3.0
_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


@dataclass
class Rule:
    action: str
    method: str | None = None
    path_prefix: str = "/v1/"
    times: int = 1
    status: int = 503
    retry_after: str | None = None
    stall_s: float = 1.0
    fraction: float = 0.5
    hits: int = field(default=0, init=False)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)


class FaultProxy:
    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self.log: list[tuple[str, str, str | None, int | None]] = []
        self.received = 0  # requests read so far (counted before any fault acts)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_PUT = do_POST = do_PATCH = do_HEAD = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, action: str, **kwargs: Any) -> Rule:
        rule = Rule(action, **kwargs)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(r.times - r.hits for r in self._rules)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def actions(self) -> list[str]:
        return [a for _, _, a, _ in self.log if a]

    # -- serving ----------------------------------------------------------------------------
    def _take(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    if rule.hits >= rule.times:
                        self._rules.remove(rule)
                    return rule
        return None

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        method, path = h.command, h.path
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self._lock:
            self.received += 1
        rule = self._take(method, path)
        action = rule.action if rule else None
        status: int | None = None
        try:
            if rule is None:
                status = self._forward(h, method, path, body)
            elif action == "drop_before":
                self._drop(h)
            elif action == "commit_then_drop":
                self._upstream(method, path, h.headers, body)
                self._drop(h)
            elif action == "status_after":
                self._upstream(method, path, h.headers, body)
                status = rule.status
                self._answer(h, rule.status, b'{"title":"boom"}', "application/problem+json", rule.retry_after)
            elif action == "status":
                status = rule.status
                body_out = json.dumps({"type": "about:blank", "title": "busy", "status": rule.status}).encode()
                self._answer(h, rule.status, body_out, "application/problem+json", rule.retry_after)
            elif action == "stall":
                time.sleep(min(rule.stall_s, MAX_STALL_S))
                self._drop(h)
            elif action == "partial_upload":
                self._partial(method, path, h.headers, body, rule.fraction)
                self._drop(h)
            elif action == "captive_portal":
                status = 200
                page = "<html><body><h1>欢迎使用大厅 Wi-Fi</h1><form>登录</form></body></html>".encode()
                self._answer(h, 200, page, "text/html; charset=utf-8")
            elif action == "unauthorized":
                status = 401
                self._answer(h, 401, b'{"title":"Unauthorized","status":401}', "application/problem+json")
            elif action == "nonsense":
                status = 200
                self._answer(h, 200, b'{"hello":"world","items":42}', "application/json")
            elif action == "corrupt_body":
                flipped = bytearray(body)
                if flipped:
                    flipped[len(flipped) // 2] ^= 0xFF
                status = self._forward(h, method, path, bytes(flipped))
            else:
                raise ValueError(f"unknown fault action {action!r}")
        finally:
            with self._lock:
                self.log.append((method, path, action, status))

    def _upstream(self, method: str, path: str, headers: Any, body: bytes) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        out = {k: v for k, v in headers.items() if k.lower() not in _HOP and k.lower() != "content-length"}
        out["Content-Length"] = str(len(body))
        conn.request(method, path, body=body, headers=out)
        resp = conn.getresponse()
        resp.read()  # the platform has answered, i.e. committed
        conn.close()
        return resp

    def _forward(self, h: BaseHTTPRequestHandler, method: str, path: str, body: bytes) -> int:
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        out = {k: v for k, v in h.headers.items() if k.lower() not in _HOP and k.lower() != "content-length"}
        out["Content-Length"] = str(len(body))
        conn.request(method, path, body=body, headers=out)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        h.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in _HOP and k.lower() != "content-length":
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if method != "HEAD":
            h.wfile.write(data)
        return resp.status

    def _partial(self, method: str, path: str, headers: Any, body: bytes, fraction: float) -> None:
        sock = socket.create_connection(self.upstream, timeout=10)
        try:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.upstream[0]}:{self.upstream[1]}"]
            lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in _HOP and k.lower() != "host"]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            sock.sendall(body[: int(len(body) * fraction)])
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(2.0)
            with contextlib.suppress(OSError):
                sock.recv(65536)  # let the platform notice the short body before we hang up
        finally:
            sock.close()

    @staticmethod
    def _answer(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, retry_after: str | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            h.send_header("Retry-After", retry_after)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    @staticmethod
    def _drop(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)
