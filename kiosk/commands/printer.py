"""`kiosk device print-test --printer URL` (INTERFACES.md §1), and the one-shot print
helper other commands use (`kiosk receipt print`).

With a `sim://` port the printer simulator is created for the run (or the one already
registered under that name is used) and the paper it received is written as a PNG.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.commands.base import Groups, Subparsers, group
from kiosk.config import Config
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from drivers.printer.codec import PrinterStatus
    from drivers.printer.device import PrinterDriver, PrintResult
    from drivers.printer.sim import PrinterSimulator

# What a technician reads for each StatusReason value: (Chinese, English).
REASON_TEXT: dict[str, tuple[str, str]] = {
    "ok": ("正常", "ok"),
    "paper_near_end": ("纸将用完", "paper near end"),
    "paper_out": ("缺纸", "paper out"),
    "cover_open": ("纸仓盖未关", "cover open"),
    "cutter_error": ("切刀故障", "cutter error"),
    "mechanical_error": ("机械故障", "mechanical error"),
    "unrecoverable_error": ("不可恢复故障，请断电重启", "unrecoverable error, power-cycle it"),
    "auto_recoverable_error": ("打印头过热等，稍后自动恢复", "auto-recoverable error (e.g. head hot)"),
    "offline": ("脱机", "offline"),
    "no_answer": ("无应答，请检查连接和端口", "no answer; check the cable and the port"),
}


@dataclass(frozen=True)
class JobReport:
    """The outcome of a one-shot print."""

    url: str
    result: PrintResult
    preview: Path | None  # rendered paper, for sim:// ports


@contextmanager
def _printer(config: Config, url: str) -> Iterator[tuple[PrinterDriver, PrinterSimulator | None]]:
    """An open PrinterDriver for `url` (and the simulator behind a sim:// URL)."""
    import serial

    from drivers import sim
    from drivers.printer.device import PrinterDriver
    from drivers.printer.sim import PrinterSimulator

    cfg = config.device("printer")
    simulator: PrinterSimulator | None = None
    registered = ""
    if url.startswith("sim:"):
        name = sim.sim_url("printer", url).removeprefix("sim://").strip("/") or "default"
        found = sim.lookup(name)
        if isinstance(found, PrinterSimulator):
            simulator = found
        else:
            simulator = PrinterSimulator(encoding=cfg.encoding, columns=cfg.columns)
            sim.register(name, simulator)
            registered = name
    driver = PrinterDriver(url, encoding=cfg.encoding, columns=cfg.columns, baudrate=cfg.baudrate)
    try:
        try:
            driver.open()
        except (OSError, serial.SerialException) as exc:
            why = getattr(exc, "strerror", None) or type(exc).__name__
            raise KioskError(f"无法打开打印机端口 / cannot open the printer port {url}: {why}") from None
        try:
            yield driver, simulator
        finally:
            driver.close()
    finally:
        if registered:
            sim.unregister(registered)


def print_once(config: Config, data: bytes, *, url: str | None = None, preview: Path | None = None) -> JobReport:
    """Open the printer, print one job, close it. For a simulated printer the received
    paper is rendered to `preview` (default: <storage>/printer/last-print.png).
    Raises KioskError when the port cannot be opened; a failed job is in the result."""
    port = url or config.device("printer").port
    if not port:
        raise KioskError("未配置打印机 / no printer configured: pass --printer URL or set [devices.printer] port")
    with _printer(config, port) as (driver, simulator):
        result = driver.print_job(data)
        written: Path | None = None
        if simulator is not None and result.printed and simulator.receipts:
            target = preview or config.storage_dir / "printer" / "last-print.png"
            written = simulator.save_png(target)
    return JobReport(port, result, written)


def describe_status(status: PrinterStatus) -> str:
    """One line: state, paper and cover, in Chinese and English."""
    if not status.answered:
        zh, en = REASON_TEXT["no_answer"]
        return f"状态 status: {zh} / {en}（纸张、纸仓盖未知 paper and cover unknown）"
    zh, en = REASON_TEXT[status.reason.value]
    if status.paper_out:
        paper = "缺纸 out"
    elif status.paper_near_end:
        paper = "将尽 near end"
    else:
        paper = "正常 ok"
    cover = "打开 open" if status.cover_open else "关闭 closed"
    return f"状态 status: {zh} / {en} · 纸张 paper: {paper} · 纸仓盖 cover: {cover}"


def _print_test(args: argparse.Namespace, config: Config) -> int:
    from kiosk.receipt import build_test_page

    cfg = config.device("printer")
    url = args.printer or cfg.port
    data = build_test_page(encoding=cfg.encoding, columns=cfg.columns, port=url,
                           printed_at=dt.datetime.now().astimezone(), hall_name=config.hall,
                           terminal_name=config.terminal_name)
    out = Path(args.out) if args.out else config.storage_dir / "printer" / "print-test.png"
    report = print_once(config, data, url=url, preview=out)
    result = report.result
    print(f"打印机 printer: {report.url} ({cfg.encoding}, {cfg.columns} 列 columns)")
    print(describe_status(result.status))
    if not result.printed:
        zh, en = REASON_TEXT[result.reason.value]
        raise KioskError(f"测试页未打印：{zh} / test page not printed: {en}")
    print(f"测试页 test page: 已打印 printed ({result.bytes_sent} bytes)")
    if report.preview is not None:
        print(f"预览 preview: {report.preview}")
    return 0


def register(sub: Subparsers, groups: Groups) -> None:
    device = group(sub, groups, "device", "设备诊断 / device checks")
    p = device.add_parser("print-test", help="打印测试页并报告纸张、纸仓盖状态 / print a test page, report paper and cover")
    p.add_argument("--printer", metavar="URL", help="printer port: pyserial URL, /dev/usb/lpN, socket://host:9100, sim:// "
                                                    "(default: [devices.printer] port)")
    p.add_argument("--out", metavar="PNG", help="sim:// only: where to write the rendered test page")
    p.set_defaults(func=_print_test)
    receipt = group(sub, groups, "receipt", "回执 / receipts")
    r = receipt.add_parser("print", help="补打回执 / (re)print the receipt of a queued or delivered application")
    r.add_argument("receipt_no", metavar="RECEIPT_NO")
    r.add_argument("--printer", metavar="URL", help="default: [devices.printer] port")
    r.add_argument("--out", metavar="PNG", help="sim:// only: where to write the rendered receipt")
    r.set_defaults(func=_receipt_print)


def _receipt_print(args: argparse.Namespace, config: Config) -> int:
    """Reprint from what the outbox keeps after purging: no unmasked personal data is
    needed (the receipt shows the name masked and never the ID number)."""
    from kiosk.application import delivery_method
    from kiosk.catalog import load_cached_catalog, sample_catalog
    from kiosk.receipt import ReceiptData, build_receipt
    from offline_queue.errors import OutboxError, UnknownItem
    from offline_queue.outbox import Outbox
    from offline_queue.receipt_no import ReceiptNumberError, parse_receipt_no

    try:
        receipt_no = parse_receipt_no(args.receipt_no)
    except ReceiptNumberError:
        raise KioskError("回执号有误（校验位不符）/ not a valid receipt number (check characters do not match)") from None
    try:
        outbox = Outbox(config.storage_dir)
    except OutboxError as exc:
        raise KioskError(f"本机存储无法打开 / the outbox cannot be opened: {type(exc).__name__}") from None
    try:
        kept = outbox.receipt_data(receipt_no)
    except UnknownItem:
        raise KioskError("本机没有这张回执的记录，请到受理的终端或窗口补打 / "
                         "this terminal did not issue that receipt; reprint it where it was issued") from None
    finally:
        outbox.close()
    catalog = load_cached_catalog(config.storage_dir) or (sample_catalog() if config.platform_is_local else None)
    item = catalog.get(kept.item_code) if catalog is not None else None
    cfg = config.device("printer")
    data = ReceiptData(
        hall_name=config.hall, terminal_name=config.terminal_name, receipt_no=kept.receipt_no,
        item_name=item.name.zh if item else kept.item_code, item_name_en=item.name.en if item else None,
        applicant_name=kept.applicant_name_masked or "",
        created_at=dt.datetime.fromisoformat(kept.created_at).astimezone(),
        time_limit_days=item.time_limit_days if item else 0,
        delivery_method=delivery_method(kept.delivery_method),
    )
    report = print_once(config, build_receipt(data, encoding=cfg.encoding, columns=cfg.columns),
                        url=args.printer, preview=Path(args.out) if args.out else None)
    if not report.result.printed:
        zh, en = REASON_TEXT[report.result.reason.value]
        raise KioskError(f"回执未打印：{zh} / receipt not printed: {en}")
    print(f"回执已打印 receipt printed: {receipt_no}")
    if report.preview is not None:
        print(f"预览 preview: {report.preview}")
    return 0
