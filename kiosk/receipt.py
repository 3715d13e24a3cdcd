"""The acceptance receipt (受理回执) and the printer test page, as ESC/POS bytes.

A receipt is what a resident keeps: the hall, the receipt number (large, and as a QR
code our scanner and a phone can read), what was applied for, by whom (masked: 张*明,
never an ID number), when, by when it will be done (in working days), how the result
comes back, what to do next, and an invitation to rate the service (好差评). Labels are
Chinese; with `language="en"` English follows each label (Chinese first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from drivers.id_reader.identity import mask_name
from drivers.printer.codec import Align, EscPos, PrintJob, text_columns
from kiosk.workdays import working_days_after
from offline_queue.receipt_no import is_receipt_no

DeliveryMethod = Literal["pickup", "express", "electronic"]
_METHODS = ("pickup", "express", "electronic")


def mask_phone(phone: str) -> str:
    """138****8000: keep the first three and the last four digits."""
    digits = phone.strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


@dataclass(frozen=True, kw_only=True)
class DeliveryDetails:
    """How the result reaches the resident. Personal fields stay out of reprs."""

    recipient: str | None = field(default=None, repr=False)  # express: printed masked
    phone: str | None = field(default=None, repr=False)  # express: printed masked
    address: str | None = field(default=None, repr=False)  # express: printed in full, wrapped
    place: str | None = None  # pickup: the window or counter
    note: str | None = None  # electronic: where the result is sent (e.g. an app's licence wallet)


@dataclass(frozen=True, kw_only=True)
class ReceiptData:
    hall_name: str
    terminal_name: str
    receipt_no: str  # with its check character (offline_queue.receipt_no)
    item_name: str
    item_name_en: str | None = None
    applicant_name: str = field(repr=False)  # printed masked (an already masked 张*明 stays so)
    created_at: dt.datetime  # the hall's local time; printed as given
    time_limit_days: int  # working days; 0 = settled on the spot (即办件)
    due_date: dt.date | None = None  # None: counted from created_at in working days
    delivery_method: DeliveryMethod = "pickup"
    delivery: DeliveryDetails = field(default_factory=DeliveryDetails)
    next_steps: str = ""  # empty: a default sentence for the delivery method
    language: str = "zh"

    def __post_init__(self) -> None:
        if not is_receipt_no(self.receipt_no):
            raise ValueError("receipt_no is not a valid receipt number")
        if self.delivery_method not in _METHODS:
            raise ValueError(f"delivery_method must be one of {_METHODS}")
        if self.time_limit_days < 0:
            raise ValueError("time_limit_days must be ≥ 0")
        if self.language not in ("zh", "en"):
            raise ValueError('language must be "zh" or "en"')


# (Chinese as printed for zh, Chinese, English)
_LABELS: dict[str, tuple[str, str, str]] = {
    "item": ("事项名称", "事项", "Item"),
    "applicant": ("申 请 人", "申请人", "Applicant"),
    "time": ("提交时间", "提交", "Submitted"),
    "limit": ("办理时限", "时限", "Time limit"),
    "due": ("预计办结", "办结", "Done by"),
    "delivery": ("送达方式", "送达", "Delivery"),
    "place": ("领取地点", "领取", "Collect at"),
    "recipient": ("收 件 人", "收件人", "Recipient"),
    "phone": ("联系电话", "电话", "Phone"),
    "address": ("收件地址", "地址", "Address"),
    "sent_to": ("推送至", "推送", "Sent to"),
}
_METHOD_TEXT: dict[str, tuple[str, str]] = {
    "pickup": ("窗口领取", "Collect in person"),
    "express": ("邮寄送达", "By post"),
    "electronic": ("电子送达", "Electronic"),
}
_DEFAULT_NEXT: dict[str, tuple[str, str]] = {
    "pickup": ("办结后将短信通知您，请凭本回执和身份证原件到窗口领取办理结果。",
               "We will text you when it is done; bring this receipt and your ID card to collect the result."),
    "express": ("办结后将把办理结果邮寄到上述地址，请保持电话畅通。",
                "The result will be posted to the address above; please keep your phone on."),
    "electronic": ("办结后电子结果将推送到您的账户，可凭回执编号查询。",
                   "The electronic result will be sent to your account; look it up with the receipt number."),
}


def _label(key: str, language: str) -> str:
    zh_form, zh_short, en = _LABELS[key]
    return zh_form if language == "zh" else f"{zh_short} {en}"


def layout_receipt(data: ReceiptData, *, encoding: str = "gbk", columns: int = 48) -> PrintJob:
    """The receipt as one print job, with the characters that had to be replaced."""
    en = data.language == "en"
    p = EscPos(encoding=encoding, columns=columns)
    p.init()

    # Header: where this was done, and what this paper is.
    p.align(Align.CENTER).bold().text(data.hall_name).bold(False)
    p.text(data.terminal_name)
    p.blank()
    p.size(2, 2).bold().text("受理回执").size(1, 1).bold(False)
    p.text("ACCEPTANCE RECEIPT")
    p.align(Align.LEFT).rule("=")

    # The number a resident reads aloud or types: large, on one line.
    p.align(Align.CENTER).text("回执编号 Receipt No.")
    big = 2 if p.fits(data.receipt_no, width=2) else 1
    p.size(big, 2).bold().text(data.receipt_no).size(1, 1).bold(False)
    p.align(Align.LEFT).rule("-")

    # Facts of the application.
    keys = ["item", "applicant", "time", "limit", "due", "delivery", "place", "recipient", "phone",
            "address", "sent_to"]
    label_w = max(text_columns(_label(k, data.language)) for k in keys) + 2

    def row(key: str, value: str) -> None:
        p.label_value(_label(key, data.language), value, label_columns=label_w)

    item = data.item_name + (f"\n{data.item_name_en}" if en and data.item_name_en else "")
    for n, part in enumerate(item.split("\n")):
        if n == 0:
            row("item", part)
        else:
            p.label_value("", part, label_columns=label_w)
    if data.applicant_name:  # empty once the outbox has purged it; masking is idempotent
        row("applicant", mask_name(data.applicant_name))
    row("time", data.created_at.strftime("%Y-%m-%d %H:%M"))
    if data.time_limit_days == 0:
        row("limit", "即办件，当场办结" + (" Same day" if en else ""))
    else:
        row("limit", f"{data.time_limit_days} 个工作日" + (f" ({data.time_limit_days} working days)" if en else ""))
        if data.due_date is not None:
            due, estimated = data.due_date, False
        else:
            counted = working_days_after(data.created_at.date(), data.time_limit_days)
            due, estimated = counted.date, counted.estimated
        if estimated:  # past the known holiday schedules (kiosk/workdays.py)
            note = "（节假日安排未公布，按周末推算，节假日顺延）" + (" estimate; holidays extend it" if en else "")
        else:
            note = "（节假日顺延）" + (" holidays extend it" if en else "")
        row("due", f"{due:%Y-%m-%d} 前{note}")

    zh_method, en_method = _METHOD_TEXT[data.delivery_method]
    row("delivery", zh_method + (f" {en_method}" if en else ""))
    d = data.delivery
    if data.delivery_method == "pickup" and d.place:
        row("place", d.place)
    if data.delivery_method == "express":
        if d.recipient:
            row("recipient", mask_name(d.recipient))
        if d.phone:
            row("phone", mask_phone(d.phone))
        if d.address:
            row("address", d.address)
    if data.delivery_method == "electronic" and d.note:
        row("sent_to", d.note)
    p.rule("-")

    # What to do next.
    p.bold().text("下一步 Next steps" if en else "温馨提示").bold(False)
    zh_next, en_next = _DEFAULT_NEXT[data.delivery_method]
    p.text(data.next_steps or (zh_next + (f"\n{en_next}" if en else "")))
    p.rule("-")

    # The QR code carries the receipt number only (with its check character), so our
    # scanner and any phone read back exactly what is printed above.
    p.align(Align.CENTER).blank()
    p.qr(data.receipt_no, module_size=6 if columns >= 40 else 5, ec="M")
    p.blank()
    p.text("扫码或凭回执编号查询办理进度")
    if en:
        p.text("Scan to check progress")
    p.blank()
    p.bold().text("请您对本次服务作出“好差评”评价").bold(False)
    levels = "非常满意 满意 基本满意 不满意 非常不满意"  # the national five levels
    p.lines([levels] if p.fits(levels) else ["非常满意 满意 基本满意", "不满意 非常不满意"])
    if en:
        p.text("Please rate our service on the screen")
    p.text("政务服务便民热线 12345")
    p.align(Align.LEFT).feed(2).cut()
    return p.build()


def build_receipt(data: ReceiptData, *, encoding: str = "gbk", columns: int = 48) -> bytes:
    return layout_receipt(data, encoding=encoding, columns=columns).data


def layout_test_page(*, encoding: str = "gbk", columns: int = 48, port: str = "",
                     printed_at: dt.datetime | None = None, hall_name: str = "",
                     terminal_name: str = "") -> PrintJob:
    """A technician's page: encoding, column ruler, punctuation, sizes, bold,
    alignment, QR and CODE128, so one look tells whether the settings are right."""
    p = EscPos(encoding=encoding, columns=columns)
    p.init().align(Align.CENTER)
    if hall_name:
        p.bold().text(hall_name).bold(False)
    if terminal_name:
        p.text(terminal_name)
    p.size(2, 2).bold().text("打印测试页").size(1, 1).bold(False)
    p.text("PRINTER TEST PAGE")
    p.align(Align.LEFT).rule("=")
    p.label_value("编码 Encoding", encoding.upper(), label_columns=16)
    p.label_value("每行 Columns", str(columns), label_columns=16)
    if port:
        p.label_value("端口 Port", port, label_columns=16)
    if printed_at is not None:
        p.label_value("时间 Time", printed_at.strftime("%Y-%m-%d %H:%M:%S"), label_columns=16)
    p.rule("-")
    p.text("列尺 Ruler (every line exactly full):")
    p.text("".join(str((i + 1) % 10) for i in range(columns)))
    p.text("汉字占两列" + "一二三四五六七八九十" * (columns // 20 + 1))  # wraps at full width
    p.text("中文标点：，。、；：？！“”‘’（）《》【】—…")
    p.text("符号：￥12.00 ¥3.50 ①②③ ℃ № ×÷±")
    p.rule("-")
    p.size(1, 1).text("1×1 标准 Normal")
    p.size(2, 1).text("2×1 倍宽 Wide")
    p.size(1, 2).text("1×2 倍高 Tall")
    p.size(2, 2).text("2×2 大字 Big")
    p.size(1, 1).bold().text("粗体 Bold").bold(False)
    p.align(Align.LEFT).text("左对齐 Left")
    p.align(Align.CENTER).text("居中 Centre")
    p.align(Align.RIGHT).text("右对齐 Right")
    p.align(Align.CENTER).blank()
    p.qr("KIOSK PRINT TEST 打印测试", module_size=5, ec="M")
    p.blank()
    if columns >= 40:
        p.code128("KIOSK-TEST-128", height=60, module_width=2)
    p.blank()
    p.text("以上内容清晰完整即打印正常")
    p.text("All of the above clear = printer OK")
    p.align(Align.LEFT).feed(2).cut()
    return p.build()


def build_test_page(*, encoding: str = "gbk", columns: int = 48, port: str = "",
                    printed_at: dt.datetime | None = None, hall_name: str = "",
                    terminal_name: str = "") -> bytes:
    return layout_test_page(encoding=encoding, columns=columns, port=port, printed_at=printed_at,
                            hall_name=hall_name, terminal_name=terminal_name).data
