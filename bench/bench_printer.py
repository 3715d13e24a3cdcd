"""Printer path timings (issue 6). Standalone: `.venv/bin/python bench/bench_printer.py`.

1. ESC/POS bytes of one receipt (target ≤ 20 ms)
2. the signed application form PDF — the `signature` material, built at submit with the
   handwritten signature embedded (target ≤ 300 ms; first call includes font loading)
3. "confirm" → first byte at the simulated printer over sim://, through the device
   runner thread, as the kiosk does it (target ≤ 1 s)
4. ESC/POS bytes of an item's one-time notice (target ≤ 20 ms)
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
import sys
import threading
import time

from drivers import sim
from drivers.health import DeviceState, Health
from drivers.printer.device import PrinterDriver
from drivers.printer.sim import PrinterSimulator
from drivers.runner import DeviceRunner
from kiosk.catalog import sample_catalog
from kiosk.documents import application_form_pdf
from kiosk.notice import build_notice
from kiosk.receipt import DeliveryDetails, ReceiptData, build_receipt
from offline_queue.receipt_no import make_receipt_no

CST = dt.timezone(dt.timedelta(hours=8))
RECEIPT = ReceiptData(
    hall_name="海口市龙华区政务服务中心", terminal_name="一楼自助区 2 号机",
    receipt_no=make_receipt_no("T0001", dt.date(2026, 11, 23), 427),
    item_name="不动产登记（国有建设用地使用权及房屋所有权首次登记、转移登记、变更登记）",
    applicant_name="张三明", created_at=dt.datetime(2026, 11, 23, 14, 5, tzinfo=CST), time_limit_days=10,
    delivery_method="express",
    delivery=DeliveryDetails(recipient="张三明", phone="13800138000", address="海南省海口市龙华区滨海大道 123 号"),
)
APPLICATION = {
    "item_name": RECEIPT.item_name, "receipt_no": RECEIPT.receipt_no, "submitted_at": RECEIPT.created_at,
    "hall_name": RECEIPT.hall_name, "terminal_name": RECEIPT.terminal_name, "department": "海口市自然资源和规划局",
    "applicant": [("姓名", "张*明"), ("证件号码", "460100********1234"), ("联系电话", "138****8000")],
    "form_values": [(f"字段 {i}", f"值 {i} " * 6) for i in range(12)],
    "materials": [{"name": f"材料 {i}", "status": "deferred" if i % 4 == 0 else "provided", "pages": 2}
                  for i in range(10)],
    "delivery": [("方式", "邮寄送达"), ("地址", "海南省海口市龙华区滨海大道 123 号")],
    "commitment_version": "CM-2026-03", "commitment_accepted_at": RECEIPT.created_at,
}


def signature_png() -> bytes:
    """A signature as the pad exports it: 300 px high, strokes black on white."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 300), "white")
    draw = ImageDraw.Draw(image)
    for i in range(6):
        x = 80 + i * 180
        draw.line([(x, 230), (x + 60, 60), (x + 120, 220), (x + 170, 90)], fill="black", width=9)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


class StampingPrinter(PrinterSimulator):
    """Records when the first byte of a job (ESC @) arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.job_started_at: float | None = None

    def on_host_bytes(self, data: bytes) -> None:
        if self.job_started_at is None and b"\x1b@" in data:
            self.job_started_at = time.perf_counter()
        super().on_host_bytes(data)


def bench_receipt_bytes() -> float:
    build_receipt(RECEIPT)  # warm caches (codec tables)
    times = []
    for _ in range(200):
        t = time.perf_counter()
        build_receipt(RECEIPT)
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    print(f"receipt ESC/POS bytes: median {ms(median)}, p95 {ms(sorted(times)[189])} (target ≤ 20 ms)")
    return median


def bench_pdf() -> float:
    signed = {**APPLICATION, "receipt_no": "", "submitted_at": None, "signature_png": signature_png(),
              "commitment_text": "本人承诺所提交材料真实有效。" * 12, "assisted_by": [("工作人员 Staff", "李四")]}
    t = time.perf_counter()
    pdf = application_form_pdf(**signed)
    cold = time.perf_counter() - t
    times = []
    for _ in range(20):
        t = time.perf_counter()
        application_form_pdf(**signed)
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    print(f"signed application form PDF ({len(pdf) // 1024} KiB): first {ms(cold)} (font load), "
          f"median {ms(median)} (target ≤ 300 ms)")
    return max(cold, median)


def bench_notice_bytes() -> float:
    catalog = sample_catalog()
    item = max(catalog, key=lambda i: len(i.guide.zh) if i.guide else 0)  # the longest guide
    build_notice(item, language="en")
    times = []
    for _ in range(200):
        t = time.perf_counter()
        data = build_notice(item, language="en", hotline="0898-66668888")
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    print(f"one-time notice ESC/POS bytes ({len(data)} B, longest guide, zh+en): median {ms(median)}, "
          f"p95 {ms(sorted(times)[189])} (target ≤ 20 ms)")
    return median


def bench_confirm_to_first_byte() -> float:
    printer = StampingPrinter()
    sim.register("bench-printer", printer)
    runner = DeviceRunner("printer", PrinterDriver("sim://bench-printer"))
    ready = threading.Event()

    def on_health(_name: str, health: Health) -> None:
        if health.state is DeviceState.READY:
            ready.set()

    runner.on_health(on_health)
    runner.start()
    try:
        if not ready.wait(5):
            raise SystemExit("simulated printer never became ready")
        firsts, totals = [], []
        for _ in range(10):
            printer.job_started_at = None
            confirmed = time.perf_counter()  # the resident taps "confirm"
            data = build_receipt(RECEIPT)
            result = runner.call(lambda d, data=data: d.print_job(data)).result(timeout=10)
            done = time.perf_counter()
            assert result.printed and printer.job_started_at is not None
            firsts.append(printer.job_started_at - confirmed)
            totals.append(done - confirmed)
    finally:
        runner.stop()
        sim.unregister("bench-printer")
    worst = max(firsts)
    print(f"confirm → first byte at sim:// printer: median {ms(statistics.median(firsts))}, max {ms(worst)}; "
          f"→ printed result: median {ms(statistics.median(totals))} (target ≤ 1 s)")
    return worst


def main() -> int:
    started = time.perf_counter()
    ok = bench_receipt_bytes() <= 0.020
    ok &= bench_pdf() <= 0.300
    ok &= bench_confirm_to_first_byte() <= 1.0
    ok &= bench_notice_bytes() <= 0.020
    print(f"{'all targets met' if ok else 'TARGET MISSED'} in {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
