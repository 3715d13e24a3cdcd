"""Shared by the printer tests and tests/kiosk/test_receipt*.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from drivers.printer.device import PrinterDriver
from drivers.printer.sim import PrinterSimulator
from kiosk.receipt import DeliveryDetails, ReceiptData
from offline_queue.receipt_no import make_receipt_no


@dataclass
class SimulatedPrinter:
    sim: PrinterSimulator
    driver: PrinterDriver
    url: str


def make_driver(url: str, **kwargs: object) -> PrinterDriver:
    """A driver with test-sized timeouts (bounded waits, no sleeps)."""
    options: dict[str, object] = {"status_timeout_s": 0.1, "status_recheck_s": 0.02, "job_timeout_s": 2.0}
    options.update(kwargs)
    return PrinterDriver(url, **options)  # type: ignore[arg-type]


CST = dt.timezone(dt.timedelta(hours=8), "CST")  # the hall's local time
RECEIPT_NO = make_receipt_no("T0001", dt.date(2026, 11, 23), 427)


def sample_receipt(**overrides: object) -> ReceiptData:
    values: dict[str, object] = {
        "hall_name": "海口市龙华区政务服务中心",
        "terminal_name": "一楼自助区 2 号机",
        "receipt_no": RECEIPT_NO,
        "item_name": "不动产登记（国有建设用地使用权及房屋所有权首次登记、转移登记、变更登记）",
        "item_name_en": "Real estate registration",
        "applicant_name": "张三明",
        "created_at": dt.datetime(2026, 11, 23, 14, 5, tzinfo=CST),
        "time_limit_days": 10,
        "delivery_method": "express",
        "delivery": DeliveryDetails(recipient="张三明", phone="13800138000",
                                    address="海南省海口市龙华区滨海大道 123 号 海口国际商业大厦 A 座 1801 室（请放前台）"),
    }
    values.update(overrides)
    return ReceiptData(**values)  # type: ignore[arg-type]
