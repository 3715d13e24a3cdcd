"""The staff web console: plain HTML forms, Chinese with English, no JavaScript.

Who may use it: by default only browsers on this machine (loopback); with a console
password, anyone who knows it (HTTP Basic, user name ignored). Every value shown is
HTML-escaped; state-changing forms carry a per-process token and are POST only; the
Content-Security-Policy forbids scripts altogether, so a resident's name or a
terminal's heartbeat cannot run code in a staff browser.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import html
import re
import secrets
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import parse_qsl, quote

from kiosk.refplatform.api import Request, Response
from kiosk.refplatform.cases import STATUS_TEXT, STATUSES
from kiosk.refplatform.catalog import Catalog
from kiosk.refplatform.store import Store

_SECURITY_HEADERS: Final = [
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]
# Statuses staff move a case to (received is where finalize puts it).
STAFF_STATUSES: Final = tuple(s for s in STATUSES if s != "received")
_STALE_HEARTBEAT: Final = dt.timedelta(minutes=3)
_STYLE: Final = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#1d2733}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #c8d0d8;padding:.3em .6em;text-align:left}
th{background:#eef2f6}nav a{margin-right:1.2em}.muted{color:#6b7785}.warn{color:#b00020}
form.inline{display:inline}.code{font-family:monospace;font-size:1.6em;letter-spacing:.1em}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _is_loopback(host: str) -> bool:
    return host == "::1" or host.startswith("127.") or host.startswith("::ffff:127.")


class Console:
    def __init__(self, store: Store, catalog: Catalog, *, password: str | None = None,
                 open_to_all: bool = False) -> None:
        self.store = store
        self.catalog = catalog
        self._password = password
        self._open_to_all = open_to_all
        self._csrf = secrets.token_urlsafe(24)

    # -- dispatch -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        denied = self._access_denied(request)
        if denied is not None:
            return denied
        path = request.path.rstrip("/") or "/"
        if path == "/":
            return Response(303, headers=[("Location", "/console")])
        if request.method == "POST":
            return self._post(request, path)
        if request.method not in ("GET", "HEAD"):
            return self._page(405, "不支持的操作 / Method not allowed", "<p>GET or POST only.</p>",
                              extra_headers=[("Allow", "GET, HEAD, POST")])
        if path == "/console":
            return self._cases_page(request)
        if path == "/console/terminals":
            return self._terminals_page()
        match = re.fullmatch(r"/console/cases/([A-Za-z0-9-]{1,64})", path)
        if match:
            return self._case_page(match.group(1))
        match = re.fullmatch(r"/console/materials/([0-9a-f-]{36})/([A-Za-z0-9_-]{1,64})", path)
        if match:
            return self._material_file(match.group(1), match.group(2))
        return self._not_found()

    def _access_denied(self, request: Request) -> Response | None:
        if self._password is not None:
            if self._password_ok(request.header("authorization")):
                return None
            return self._page(401, "需要登录 / Sign-in required", "<p>Staff console password required.</p>",
                              extra_headers=[("WWW-Authenticate", 'Basic realm="kiosk-platform console", '
                                                                  'charset="UTF-8"')])
        if self._open_to_all or _is_loopback(request.client_host):
            return None
        return self._page(403, "禁止访问 / Forbidden",
                          "<p>控制台仅限本机访问；远程使用请以 --console-password 启动。<br>"
                          "The console answers this machine only; start with --console-password to use it "
                          "remotely.</p>")

    def _password_ok(self, header: str | None) -> bool:
        assert self._password is not None
        scheme, _, encoded = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return False
        _, _, given = decoded.partition(":")
        return hmac.compare_digest(given.encode("utf-8"), self._password.encode("utf-8"))

    def _post(self, request: Request, path: str) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if not hmac.compare_digest(form.get("csrf", ""), self._csrf):
            return self._page(403, "表单已过期 / Form expired",
                              '<p>请返回刷新后重试。Reload the page and try again. <a href="/console">返回 Back</a></p>')
        match = re.fullmatch(r"/console/cases/([A-Za-z0-9-]{1,64})/status", path)
        if match:
            return self._change_status(match.group(1), form)
        match = re.fullmatch(r"/console/terminals/([A-Z0-9-]{4,32})/(revoke|restore)", path)
        if match:
            terminal_id, action = match.groups()
            if action == "revoke":
                self.store.revoke_tokens(terminal_id)
            else:
                self.store.restore_tokens(terminal_id)
            return Response(303, headers=[("Location", "/console/terminals")])
        if path == "/console/enroll-code":
            code = self.store.new_enrollment_code()
            return self._page(200, "注册码 / Enrollment code",
                              f'<p>一次性注册码（24 小时内有效）/ One-time code, valid for 24 hours:</p>'
                              f'<p class="code">{_e(code)}</p><p><a href="/console/terminals">返回 Back</a></p>')
        return self._not_found()

    # -- pages ----------------------------------------------------------------------------

    def _cases_page(self, request: Request) -> Response:
        status = request.query.get("status") or None
        if status not in STATUSES:
            status = None
        query = (request.query.get("q") or "").strip().upper() or None
        cases = self.store.list_cases(status=status, query=query)
        options = "".join(f'<option value="{_e(s)}"{" selected" if s == status else ""}>'
                          f'{_e(STATUS_TEXT[s]["zh"])} {_e(STATUS_TEXT[s]["en"])}</option>' for s in STATUSES)
        rows = "".join(
            "<tr>"
            f'<td><a href="/console/cases/{quote(c["case_no"])}">{_e(c["case_no"])}</a></td>'
            f"<td>{_e(c['receipt_no'])}</td>"
            f"<td>{_e(c['item_name'].get('zh'))}<br><span class=muted>{_e(c['item_name'].get('en', ''))}</span></td>"
            f"<td>{_e(c['applicant_name_masked'])}</td>"
            f"<td>{_e(c['status_text']['zh'])}<br><span class=muted>{_e(c['status_text']['en'])}</span></td>"
            f"<td>{_e(c['due_date'])}</td><td>{_e(c['terminal_id'])}</td><td>{_e(c['received_at'])}</td>"
            "</tr>" for c in cases)
        body = (
            '<form method="get" action="/console">'
            f'<label>回执号或办件号 Receipt or case no. <input name="q" value="{_e(query or "")}"></label> '
            f'<label>状态 Status <select name="status"><option value="">全部 All</option>{options}</select></label> '
            '<button>筛选 Filter</button></form>'
            "<table><tr><th>办件号<br>Case no.</th><th>回执号<br>Receipt</th><th>事项<br>Item</th>"
            "<th>申请人<br>Applicant</th><th>状态<br>Status</th><th>承诺办结<br>Due</th><th>终端<br>Terminal</th>"
            f"<th>收件时间<br>Received</th></tr>{rows}</table>"
            + ("" if cases else "<p class=muted>暂无办件 / No cases yet.</p>"))
        return self._page(200, "办件 / Cases", body)

    def _case_page(self, case_no: str) -> Response:
        cases = self.store.list_cases(query=case_no, limit=1)
        if not cases:
            return self._not_found()
        case = cases[0]
        history = "".join(f"<tr><td>{_e(h['at'])}</td><td>{_e(STATUS_TEXT[h['status']]['zh'])} "
                          f"<span class=muted>{_e(h['status'])}</span></td><td>{_e(h['note'])}</td></tr>"
                          for h in case["history"])
        materials = "".join(
            f"<tr><td>{_e(m.material_id)}</td><td>{_e(m.code)}</td><td>{_e(m.content_type)}</td>"
            f"<td>{m.size}</td><td>{'完整 complete' if m.complete else f'{m.offset} / {m.size}'}</td>"
            f'<td><a href="/console/materials/{_e(m.submission_id)}/{_e(m.material_id)}">下载 Download</a></td></tr>'
            for m in self.store.materials(case["submission_id"]))
        options = "".join(f'<option value="{_e(s)}">{_e(STATUS_TEXT[s]["zh"])} {_e(STATUS_TEXT[s]["en"])}</option>'
                          for s in STAFF_STATUSES)
        body = (
            "<table>"
            f"<tr><th>办件号 Case no.</th><td>{_e(case['case_no'])}</td></tr>"
            f"<tr><th>回执号 Receipt</th><td>{_e(case['receipt_no'])}</td></tr>"
            f"<tr><th>事项 Item</th><td>{_e(case['item_name'].get('zh'))} ({_e(case['item_code'])})</td></tr>"
            f"<tr><th>申请人 Applicant</th><td>{_e(case['applicant_name_masked'])}</td></tr>"
            f"<tr><th>状态 Status</th><td>{_e(case['status_text']['zh'])} / {_e(case['status_text']['en'])}</td></tr>"
            f"<tr><th>承诺办结 Due</th><td>{_e(case['due_date'])}</td></tr>"
            f"<tr><th>送达方式 Delivery</th><td>{_e(case['delivery_method'])}</td></tr>"
            f"<tr><th>运单号 Tracking no.</th><td>{_e(case.get('tracking_no', '—'))}</td></tr>"
            f"<tr><th>终端 Terminal</th><td>{_e(case['terminal_id'])}</td></tr>"
            f"<tr><th>已评价 Evaluated</th><td>{'是 yes' if case['evaluated'] else '否 no'}</td></tr>"
            "</table>"
            "<h2>办理进度 History</h2><table><tr><th>时间 At</th><th>状态 Status</th><th>说明 Note</th></tr>"
            f"{history}</table>"
            "<h2>变更状态 Change status</h2>"
            f'<form method="post" action="/console/cases/{quote(case["case_no"])}/status">'
            f'<input type="hidden" name="csrf" value="{_e(self._csrf)}">'
            f'<p><label>新状态 New status <select name="status">{options}</select></label></p>'
            '<p><label>运单号（邮寄时必填）Tracking no. (required when mailed) '
            '<input name="tracking_no" maxlength="40"></label></p>'
            '<p><label>说明 Note <input name="note" maxlength="200" size="60"></label></p>'
            "<p><button>提交 Save</button></p></form>"
            f"<h2>材料 Materials</h2><table><tr><th>ID</th><th>材料 Code</th><th>类型 Type</th><th>字节 Bytes</th>"
            f"<th>上传 Upload</th><th></th></tr>{materials}</table>"
            '<p><a href="/console">返回列表 Back to the list</a></p>')
        return self._page(200, f"办件 {case['case_no']} / Case", body)

    def _change_status(self, case_no: str, form: dict[str, str]) -> Response:
        status = form.get("status", "")
        if status not in STAFF_STATUSES:
            return self._page(400, "状态无效 / Invalid status", '<p><a href="/console">返回 Back</a></p>')
        try:
            self.store.change_case_status(case_no, status, form.get("note", "")[:200],
                                          form.get("tracking_no", "")[:40] or None)
        except ValueError as exc:
            return self._page(400, "无法变更 / Cannot change the status",
                              f'<p class="warn">{_e(exc)}</p><p><a href="/console/cases/{quote(case_no)}">'
                              "返回 Back</a></p>")
        return Response(303, headers=[("Location", f"/console/cases/{quote(case_no)}")])

    def _terminals_page(self) -> Response:
        now = self.store.clock.now()
        rows = []
        for t in self.store.terminals():
            status: dict[str, Any] = t["last_status"] or {}
            queue: dict[str, Any] = status["queue"] if isinstance(status.get("queue"), dict) else {}
            devices: list[Any] = status["devices"] if isinstance(status.get("devices"), list) else []
            device_text = "<br>".join(f"{_e(d.get('kind'))}: {_e(d.get('state'))}"
                                      + (f" <span class=muted>{_e(d.get('detail'))}</span>" if d.get("detail") else "")
                                      for d in devices if isinstance(d, dict))
            # The terminal's extras (not in TerminalStatus's list): a resident calling
            # for staff, and technician alerts. Shown as text, never as markup.
            alerts: list[Any] = status["alerts"] if isinstance(status.get("alerts"), list) else []
            notes = ['<span class="warn">呼叫工作人员 Help requested</span>'] if status.get("help_requested") is True else []
            notes += [f'<span class="warn">{_e(a.get("message", a.get("code", "")))}</span>'
                      for a in alerts if isinstance(a, dict)]
            if notes:
                device_text += ("<br>" if device_text else "") + "<br>".join(notes)
            seen = t["last_status_at"]
            stale = seen is None or now - dt.datetime.fromisoformat(seen) > _STALE_HEARTBEAT
            seen_text = _e(seen or "从未 never") + (' <span class="warn">超时 stale</span>' if stale else "")
            action = "restore" if t["operator_revoked"] and not t["token_live"] else "revoke"
            label = "恢复凭证 Restore token" if action == "restore" else "吊销凭证 Revoke token"
            rows.append(
                f"<tr><td>{_e(t['terminal_id'])}</td><td>{_e(t['hall_code'])}</td><td>{_e(t['terminal_name'])}</td>"
                f"<td>{seen_text}</td><td>{_e(status.get('app_version', ''))}</td><td>{device_text}</td>"
                f"<td>{_e(queue.get('pending', ''))}</td><td>{_e(queue.get('failed', ''))}</td>"
                f"<td>{_e(queue.get('oldest_pending_age_s', ''))}</td>"
                f"<td>{'有效 valid' if t['token_live'] else '<span class=warn>已吊销 revoked</span>'}"
                f'<form class="inline" method="post" action="/console/terminals/{_e(t["terminal_id"])}/{action}">'
                f'<input type="hidden" name="csrf" value="{_e(self._csrf)}"> <button>{label}</button></form></td></tr>')
        body = (
            "<table><tr><th>终端 Terminal</th><th>大厅 Hall</th><th>名称 Name</th><th>最近心跳 Last heartbeat</th>"
            "<th>版本 Version</th><th>设备 Devices</th><th>待发 Pending</th><th>失败 Failed</th>"
            f"<th>最久待发（秒）Oldest (s)</th><th>凭证 Token</th></tr>{''.join(rows)}</table>"
            + ("" if rows else "<p class=muted>暂无终端 / No terminals enrolled.</p>")
            + '<form method="post" action="/console/enroll-code">'
            f'<input type="hidden" name="csrf" value="{_e(self._csrf)}">'
            "<button>生成注册码 New enrollment code</button></form>")
        return self._page(200, "终端 / Terminals", body)

    def _material_file(self, submission_id: str, material_id: str) -> Response:
        info = self.store.material(submission_id, material_id)
        path = self.store.material_path(submission_id, material_id)
        if info is None or not info.complete or not path.is_file():
            return self._not_found()
        extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(info.content_type, "bin")
        return Response(200, path.read_bytes(), info.content_type, [
            ("Content-Disposition", f'attachment; filename="{material_id}.{extension}"'),
            ("Content-Security-Policy", "sandbox"), ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store")])

    # -- frame ----------------------------------------------------------------------------

    def _not_found(self) -> Response:
        return self._page(404, "未找到 / Not found", '<p><a href="/console">返回 Back</a></p>')

    def _page(self, status: int, title: str, body: str,
              extra_headers: Iterable[tuple[str, str]] = ()) -> Response:
        nav = ('<nav><a href="/console">办件 Cases</a><a href="/console/terminals">终端 Terminals</a>'
               f'<span class="muted">目录 Catalog {_e(self.catalog.version)}</span></nav>')
        document = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(title)} · '
                    f"参考审批平台 Reference platform</title><style>{_STYLE}</style></head><body>{nav}"
                    f"<h1>{_e(title)}</h1>{body}</body></html>")
        return Response(status, document.encode("utf-8"), "text/html; charset=utf-8",
                        [*_SECURITY_HEADERS, *extra_headers])

