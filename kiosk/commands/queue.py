"""`kiosk queue …`, `kiosk sync` and `kiosk provision` (INTERFACES.md §1).

The outbox itself is `offline_queue`; these handlers parse arguments, check an
application against the cached catalog, and turn outcomes into one line and an exit
code. Exit codes of `kiosk sync --once`: 1 when anything is quarantined, else 75
(EX_TEMPFAIL) when something must wait for a retry, else 0.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kiosk.commands.base import Groups, Subparsers, group
from kiosk.config import Config
from kiosk.errors import KioskError, UsageError

EX_TEMPFAIL = 75
PASSPHRASE_ENV = "KIOSK_BUNDLE_PASSPHRASE"


def register(sub: Subparsers, groups: Groups) -> None:
    queue = group(sub, groups, "queue", "the outbox of applications and evaluations / 待递交队列")

    p = queue.add_parser("add", help="queue an application built outside the UI; prints its ids as JSON")
    p.add_argument("submission", metavar="SUBMISSION.json",
                   help="a Submission without terminal_id, receipt_no, created_at and materials")
    p.add_argument("--material", action="append", default=[], metavar="CODE=FILE",
                   help="one file of the catalog material CODE (repeat for pages and materials)")
    p.set_defaults(func=cmd_add)

    p = queue.add_parser("status", help="counts per state")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(func=cmd_status)

    p = queue.add_parser("list", help="queued items, newest first")
    p.add_argument("--state", action="append", choices=["pending", "delivering", "delivered", "purged", "quarantined"],
                   help="only these states (repeatable)")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_list)

    p = queue.add_parser("retry", help="put a quarantined item back in the queue")
    p.add_argument("id", metavar="ID")
    p.set_defaults(func=cmd_retry)

    p = queue.add_parser("export", help="write undelivered items to an encrypted bundle")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--passphrase-file", metavar="PATH",
                   help=f"read the passphrase from PATH (else ${PASSPHRASE_ENV}, else one is generated and printed)")
    p.set_defaults(func=cmd_export)

    p = queue.add_parser("import", help="queue the items of an export bundle on this terminal")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--passphrase-file", metavar="PATH",
                   help=f"read the passphrase from PATH (else ${PASSPHRASE_ENV}, else asked for)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("sync", help="deliver the outbox to the platform / 递交待递交队列")
    p.add_argument("--once", action="store_true",
                   help="try everything undelivered now, ignoring timers; exit 1 quarantined, 75 must wait, 0 done")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("provision", help="enroll this terminal with the platform / 终端注册")
    p.add_argument("--platform", required=True, metavar="URL")
    p.add_argument("--code", required=True, metavar="CODE", help="one-time enrollment code")
    p.add_argument("--hall", required=True, metavar="HALL", help="service hall code")
    p.add_argument("--name", required=True, metavar="NAME", help="terminal name")
    p.add_argument("--terminal-id", metavar="ID",
                   help="re-enroll a terminal the platform knows (a replacement disk or machine keeps its id)")
    p.set_defaults(func=cmd_provision)


# -- helpers -----------------------------------------------------------------------------------
def _open_outbox(config: Config) -> Any:
    from offline_queue.errors import OutboxError
    from offline_queue.outbox import Outbox

    try:
        return Outbox(config.storage_dir)
    except OutboxError as exc:
        raise KioskError(str(exc)) from None
    except OSError as exc:
        raise KioskError(f"cannot open the outbox in {config.storage_dir} ({exc.strerror}) / 无法打开待递交队列"
                         ) from None


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _read_materials(specs: Sequence[str]) -> list[tuple[str, str, bytes]]:
    out: list[tuple[str, str, bytes]] = []
    for spec in specs:
        code, sep, name = spec.partition("=")
        if not sep or not code or not name:
            raise UsageError(f"--material expects CODE=FILE, got {spec!r} / 参数格式应为 CODE=FILE")
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise KioskError(f"cannot read material file {name} ({exc.strerror}) / 无法读取材料文件") from None
        ctype = _sniff(data)
        if ctype is None:
            raise KioskError(f"{name}: not a PDF, JPEG or PNG file / 材料须为 PDF、JPEG 或 PNG")
        out.append((code, ctype, data))
    return out


def _catalog_problems(config: Config, sub: Mapping[str, Any], materials: Sequence[tuple[str, str, bytes]]) -> list[str]:
    """Why the application does not fit the cached catalog (empty: it fits)."""
    try:
        from kiosk.catalog import CatalogError, load_cached_catalog
    except ImportError:  # pragma: no cover - the catalog module is another issue's
        return _raw_catalog_problems(config, sub, materials)
    try:
        catalog = load_cached_catalog(config.storage_dir)
    except CatalogError as exc:
        raise KioskError(str(exc)) from None
    if catalog is None:
        raise KioskError("no catalog cached: run `kiosk provision` (or `kiosk sync --once`) first / 尚无事项目录")
    item = catalog.get(str(sub.get("item_code")))
    if item is None:
        return [f"item_code: no such item in the catalog {catalog.version} / 目录中无此事项"]
    if item.counter_only:
        return ["item_code: this item cannot be done at a terminal / 该事项须到窗口办理"]
    problems: list[str] = []
    supplied = {code for code, _, _ in materials}
    deferred = [str(c) for c in sub.get("deferred_materials") or []]
    for code in sorted(supplied):
        if item.material(code) is None and code not in ("face", "signature"):
            problems.append(f"material {code}: not a material of this item / 非本事项材料")
    for code in deferred:
        m = item.material(code)
        if m is None:
            problems.append(f"deferred material {code}: not a material of this item / 非本事项材料")
        elif not m.deferrable:
            problems.append(f"deferred material {code}: cannot be supplied later / 该材料不可容缺")
    for m in item.materials:
        if m.required and m.code not in supplied and m.code not in deferred:
            problems.append(f"material {m.code}: required and neither supplied nor deferred / 缺少必要材料")
        images = sum(1 for code, ctype, _ in materials if code == m.code and ctype != "application/pdf")
        if images > m.max_pages * m.sides:
            problems.append(f"material {m.code}: at most {m.max_pages * m.sides} page images / 页数过多")
    if item.needs_face and "face" not in supplied:
        problems.append("material face: this item needs a live face photo / 需人脸照片")
    method = _obj(sub, "delivery").get("method")
    if method not in [d.value for d in item.delivery]:
        problems.append("delivery.method: not offered by this item / 该事项不支持此送达方式")
    form = sub.get("form")
    if isinstance(form, dict):
        try:
            from kiosk.forms import validate_form
        except ImportError:  # pragma: no cover
            validate_form = None  # type: ignore[assignment]
        if validate_form is not None:
            result = validate_form(item, form)
            problems += [f"form.{key}: {err.message.zh} / {err.message.en}" for key, err in result.errors.items()]
        else:  # pragma: no cover
            problems += [f"form.{f.key}: required / 必填" for f in item.form if f.required and not form.get(f.key)]
    return problems


def _raw_catalog_problems(config: Config, sub: Mapping[str, Any],
                          materials: Sequence[tuple[str, str, bytes]]) -> list[str]:  # pragma: no cover
    from offline_queue import catalog_cache

    catalog = catalog_cache.load(config.storage_dir)
    if catalog is None:
        raise KioskError("no catalog cached: run `kiosk provision` first / 尚无事项目录")
    item = next((i for i in catalog.get("items", []) if i.get("code") == sub.get("item_code")), None)
    if item is None:
        return ["item_code: no such item in the catalog / 目录中无此事项"]
    if item.get("auth") == "counter_only":
        return ["item_code: this item cannot be done at a terminal / 该事项须到窗口办理"]
    supplied = {code for code, _, _ in materials}
    deferred = set(sub.get("deferred_materials") or [])
    problems = [f"material {m['code']}: required and neither supplied nor deferred / 缺少必要材料"
                for m in item.get("materials", []) if m.get("required") and m["code"] not in supplied | deferred]
    form = _obj(sub, "form")
    problems += [f"form.{f['key']}: required / 必填" for f in item.get("form", [])
                 if f.get("required") and form.get(f["key"]) in (None, "", [], False)]
    return problems


def _passphrase(args: argparse.Namespace, *, allow_generate: bool) -> tuple[str, bool]:
    """(passphrase, generated?) from --passphrase-file, the environment, a prompt, or fresh."""
    if args.passphrase_file:
        try:
            value = Path(args.passphrase_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise KioskError(f"cannot read the passphrase file ({exc.strerror}) / 无法读取口令文件") from None
        if not value:
            raise KioskError("the passphrase file is empty / 口令文件为空")
        return value, False
    env = os.environ.get(PASSPHRASE_ENV, "").strip()
    if env:
        return env, False
    if allow_generate:
        words = "-".join(secrets.token_hex(3).upper() for _ in range(4))
        return words, True
    if sys.stdin.isatty():
        return getpass.getpass("bundle passphrase / 导出口令: ").strip(), False
    raise KioskError(f"no passphrase: use --passphrase-file or ${PASSPHRASE_ENV} / 缺少口令")


def _obj(sub: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = sub.get(key)
    return dict(value) if isinstance(value, dict) else {}


# -- handlers ----------------------------------------------------------------------------------
def cmd_add(args: argparse.Namespace, config: Config) -> int:
    from offline_queue.errors import OutboxError
    from offline_queue.model import NewApplication, NewMaterial

    try:
        sub = json.loads(Path(args.submission).read_text(encoding="utf-8"))
    except OSError as exc:
        raise KioskError(f"cannot read {args.submission} ({exc.strerror}) / 无法读取申请文件") from None
    except ValueError as exc:
        raise KioskError(f"{args.submission}: not JSON ({type(exc).__name__}) / 不是 JSON 文件") from None
    if not isinstance(sub, dict):
        raise KioskError(f"{args.submission}: expected a JSON object / 应为 JSON 对象")
    for key in ("terminal_id", "receipt_no", "created_at", "materials"):
        if key in sub:
            raise KioskError(f"{args.submission}: {key} is filled in by the kiosk; remove it / 该字段由终端填写")
    materials = _read_materials(args.material)
    problems = _catalog_problems(config, sub, materials)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise KioskError(f"application refused: {problems[0]}{more}")
    assisted = sub.get("assisted_by")
    app = NewApplication(
        item_code=str(sub.get("item_code", "")),
        applicant=_obj(sub, "applicant"),
        delivery=_obj(sub, "delivery"),
        form=_obj(sub, "form"),
        commitment=_obj(sub, "commitment"),
        materials=[NewMaterial(code, ctype, data, 1 if ctype != "application/pdf" else None)
                   for code, ctype, data in materials],
        deferred_materials=[str(c) for c in sub.get("deferred_materials") or []],
        catalog_version=str(sub["catalog_version"]) if sub.get("catalog_version") else None,
        assisted_by=assisted if isinstance(assisted, dict) else None,
    )
    outbox = _open_outbox(config)
    try:
        receipt = outbox.enqueue(app)
    except OutboxError as exc:
        raise KioskError(str(exc)) from None
    finally:
        outbox.close()
    print(json.dumps({"submission_id": receipt.submission_id, "receipt_no": receipt.receipt_no}))
    return 0


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    outbox = _open_outbox(config)
    try:
        status = outbox.status()
    finally:
        outbox.close()
    if args.json:
        print(json.dumps(status.as_dict(), ensure_ascii=False))
        return 0
    print(f"待递交 pending:        {status.pending}")
    print(f"递交中 delivering:     {status.delivering}")
    print(f"已递交 delivered:      {status.delivered} (purged {status.purged})")
    print(f"已隔离 quarantined:    {status.quarantined}")
    print(f"最久等待 oldest:       {status.oldest_pending_age_s} s")
    print(f"评价 evaluations:      pending {status.evaluations_pending}, delivered {status.evaluations_delivered},"
          f" quarantined {status.evaluations_quarantined}")
    if status.technician_alert:
        print(f"告警 alert:            {status.technician_alert}")
    if status.last_error:
        print(f"最近错误 last error:   {status.last_error}")
    if status.missing_files:
        print(f"缺失文件 missing files: {status.missing_files}")
    return 0


def cmd_list(args: argparse.Namespace, config: Config) -> int:
    from offline_queue.model import State

    outbox = _open_outbox(config)
    try:
        states = [State(s) for s in args.state] if args.state else None
        items = outbox.list(states, limit=max(1, args.limit))
    finally:
        outbox.close()
    for item in items:
        q = item.quarantine
        if args.json:
            record: dict[str, Any] = {
                "kind": item.kind.value, "id": item.id, "state": item.state.value, "receipt_no": item.receipt_no,
                "item_code": item.item_code, "case_no": item.case_no, "created_at": item.created_at,
                "attempts": item.attempts, "last_error": item.last_error, "next_attempt_at": item.next_attempt_at,
            }
            if q is not None:
                record["quarantine"] = {"reason": q.reason, "http_status": q.http_status, "title": q.title,
                                        "errors": [{"field": e.field, "code": e.code} for e in q.errors]}
            print(json.dumps(record, ensure_ascii=False))
            continue
        why = ""
        if q is not None:
            fields = ", ".join(f"{e.field}:{e.code}" for e in q.errors)
            why = f"  {q.reason} {q.http_status or ''} {q.title} {fields}".rstrip()
        elif item.last_error:
            why = f"  last error: {item.last_error}"
        print(f"{item.state.value:<12} {item.kind.value:<11} {item.id}  {item.receipt_no or '-'}  "
              f"{item.item_code or '-'}  {item.case_no or '-'}  {item.created_at}  tries={item.attempts}{why}")
    return 0


def cmd_retry(args: argparse.Namespace, config: Config) -> int:
    from offline_queue.errors import OutboxError

    outbox = _open_outbox(config)
    try:
        kind = outbox.retry(args.id)
    except OutboxError as exc:
        raise KioskError(str(exc)) from None
    finally:
        outbox.close()
    print(f"{kind.value} {args.id}: back in the queue / 已重新排队")
    return 0


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    from offline_queue.errors import OutboxError

    passphrase, generated = _passphrase(args, allow_generate=True)
    outbox = _open_outbox(config)
    try:
        count = outbox.export_bundle(Path(args.file), passphrase)
    except OutboxError as exc:
        raise KioskError(str(exc)) from None
    finally:
        outbox.close()
    print(f"exported {count} undelivered item(s) to {args.file} / 已导出 {count} 项")
    if generated:
        print(f"passphrase / 口令: {passphrase}")
        print("write it down and carry it apart from the file / 请另行记录并与文件分开保管", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace, config: Config) -> int:
    from offline_queue.errors import OutboxError

    passphrase, _ = _passphrase(args, allow_generate=False)
    outbox = _open_outbox(config)
    try:
        imported, skipped = outbox.import_bundle(Path(args.file), passphrase)
        here = outbox.terminal_id() if credentials_present(config) else None
        foreign = outbox.db.query("SELECT count(*) FROM submissions WHERE imported=1 AND terminal_id != ?"
                                  " AND state IN ('pending','delivering','quarantined')", (here or "",))[0][0]
    except OutboxError as exc:
        raise KioskError(str(exc)) from None
    finally:
        outbox.close()
    print(f"imported {imported} item(s), {skipped} already here / 已导入 {imported} 项，{skipped} 项已存在")
    if foreign:
        print(f"kiosk: {foreign} imported application(s) belong to another terminal id; the platform accepts them"
              " only from that id: provision this terminal with --terminal-id <old id> / 导入的申请属于其他终端编号",
              file=sys.stderr)
    return 0


def credentials_present(config: Config) -> bool:
    from offline_queue import credentials

    return credentials.load(config.storage_dir) is not None


def cmd_sync(args: argparse.Namespace, config: Config) -> int:
    from offline_queue import credentials
    from offline_queue.errors import OutboxError
    from offline_queue.sync import SyncWorker

    if credentials.load(config.storage_dir) is None:
        raise KioskError("terminal not provisioned: run `kiosk provision` first / 终端尚未注册")
    outbox = _open_outbox(config)
    worker = SyncWorker(outbox, app_version=_app_version())
    try:
        if args.once:
            report = worker.run_once(ignore_timers=True)
            if report.worker_busy:
                print("kiosk: another process is delivering this outbox; try later / 另一进程正在递交",
                      file=sys.stderr)
                return EX_TEMPFAIL
            status = outbox.status()
            print(json.dumps({"delivered": report.delivered, "evaluations_delivered": report.evaluations_delivered,
                              "quarantined_now": report.quarantined, "deferred": report.deferred,
                              **status.as_dict()}, ensure_ascii=False))
            if status.quarantined or status.evaluations_quarantined:
                return 1
            if status.undelivered or report.auth_paused or status.awaiting_purge:
                return EX_TEMPFAIL
            return 0
        stop = threading.Event()

        def on_signal(signum: int, frame: object) -> None:
            del signum, frame
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            worker.start()
        except OutboxError as exc:
            raise KioskError(str(exc), exit_code=EX_TEMPFAIL) from None
        stop.wait()
        return 0
    finally:
        worker.stop()
        outbox.close()


def _app_version() -> str:
    try:
        from importlib.metadata import version

        return version("kiosk")
    except Exception:
        return "0.0.0"


def cmd_provision(args: argparse.Namespace, config: Config) -> int:
    from offline_queue import credentials
    from offline_queue.client import Enrolled, PlatformClient, Rejected, Transient, Unauthorized
    from offline_queue.credentials import Credentials
    from offline_queue.sync import fetch_and_store_catalog

    url = args.platform.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError("--platform expects an http:// or https:// URL / 平台地址格式不正确")
    previous = credentials.load(config.storage_dir)
    wanted_id = args.terminal_id or (previous.terminal_id if previous else None)
    hardware = {"devices": {kind: {"port": dev.port, "required": dev.required}
                            for kind, dev in sorted(config.devices.items())}}
    with PlatformClient(url) as client:
        result = client.enroll(args.code.strip(), args.hall, args.name, terminal_id=wanted_id, hardware=hardware)
    if isinstance(result, Transient):
        raise KioskError(f"platform not reachable ({result.reason}); nothing changed / 无法连接平台，未做任何更改",
                         exit_code=EX_TEMPFAIL)
    if isinstance(result, Rejected):
        what = {404: "unknown or expired enrollment code / 注册码无效或已过期",
                409: "enrollment code already used / 注册码已被使用"}.get(result.status, f"refused (http {result.status})")
        raise KioskError(f"enrollment refused: {what}")
    if isinstance(result, Unauthorized) or not isinstance(result, Enrolled):
        raise KioskError("enrollment refused (401) / 注册被拒绝")
    creds = Credentials(result.terminal_id, result.token, url, args.hall, args.name)
    if args.terminal_id and (previous is None or previous.terminal_id != result.terminal_id):
        # A known terminal id on a new disk: the old disk may have issued today's first
        # receipt numbers already (residents hold them, the platform knows them), so this
        # disk continues the day's sequence from 5000, far above any day's real use.
        import datetime as dt

        outbox = _open_outbox(config)
        try:
            outbox.ensure_receipt_floor(result.terminal_id, dt.datetime.now().astimezone().date(), 5000)
        finally:
            outbox.close()
    credentials.save(config.storage_dir, creds)
    kept = " (terminal id kept)" if previous and previous.terminal_id == result.terminal_id else ""
    print(f"enrolled as {result.terminal_id}{kept}; token stored in "
          f"{credentials.path_in(config.storage_dir)} / 注册成功")
    with PlatformClient(url, result.token) as client:
        try:
            fetched = fetch_and_store_catalog(client, config.storage_dir)
        except Exception as exc:
            print(f"kiosk: catalog not stored ({type(exc).__name__}) / 目录未保存", file=sys.stderr)
            return EX_TEMPFAIL
    if not fetched:
        from offline_queue import catalog_cache

        if catalog_cache.load(config.storage_dir) is None:
            print("kiosk: enrolled, but the catalog could not be fetched yet; `kiosk sync` will retry"
                  " / 目录暂未获取", file=sys.stderr)
            return EX_TEMPFAIL
    print("catalog stored / 目录已保存")
    return 0
