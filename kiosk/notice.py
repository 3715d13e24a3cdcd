"""The one-time notice (一次性告知单) of a service item, on paper.

A resident who reads an item's guide and does not have everything with them can take
the guide home: the guide screen's "打印告知单" prints it on the kiosk's receipt
printer — item, what to bring (required, optional, may follow later), promised time,
fee, how the result comes back, where to go when the item is counter-only, and the
hall's hotline when the config has one. The same content as an A4 PDF comes from
`notice_pdf_for` (kiosk.documents), for `kiosk catalog notice --pdf`.

The notice is about the item, never about the resident: it carries no personal data.
Chinese first; with `language="en"` English follows (as on the receipt).

`NoticeDesk` sends the job on the printer's device thread and keeps what the button
shows (printing / printed / failed and why); one desk per terminal (`notice_desk_for`).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drivers.printer.codec import Align, EscPos, PrintJob, text_columns
from kiosk.catalog import Auth, CatalogItem, Delivery, Material

if TYPE_CHECKING:
    from kiosk.terminal import Terminal

log = logging.getLogger(__name__)

NATIONAL_HOTLINE = "12345"  # 政务服务便民热线, printed on every notice as on the receipt

_DELIVERY_TEXT: dict[Delivery, tuple[str, str]] = {
    Delivery.PICKUP: ("窗口自取", "collect at the counter"),
    Delivery.EXPRESS: ("免费邮寄", "free delivery by post"),
    Delivery.ELECTRONIC: ("电子证照", "electronic certificate"),
}
_AUTH_TEXT: dict[Auth, tuple[str, str]] = {
    Auth.ID_CARD: ("本机可办，刷身份证", "at this kiosk, with your ID card"),
    Auth.ID_CARD_AND_FACE: ("本机可办，刷身份证并拍摄人脸照片", "at this kiosk, ID card and a face photo"),
    Auth.COUNTER_ONLY: ("须本人到窗口办理，本机不能办理", "in person at a counter only"),
}
# (Chinese as printed for zh, Chinese, English), as on the receipt: with language="en"
# the short Chinese label is followed by the English one.
_LABELS: dict[str, tuple[str, str, str]] = {
    "item": ("事项名称", "事项", "Item"),
    "department": ("实施部门", "部门", "Dept."),
    "limit": ("承诺时限", "时限", "Time limit"),
    "fee": ("收费标准", "收费", "Fee"),
    "delivery": ("结果送达", "送达", "Result"),
    "how": ("办理方式", "方式", "How"),
    "where": ("办理地点", "地点", "Where"),
}


def _fee(fee_fen: int) -> tuple[str, str]:
    if fee_fen <= 0:
        return "免费", "free"
    yuan = f"{fee_fen // 100}" if fee_fen % 100 == 0 else f"{fee_fen / 100:.2f}"
    return f"{yuan} 元", f"CNY {yuan}"


def _limit(days: int, en: bool) -> str:
    if days == 0:
        return "即办（当场办结）" + (" Decided at once" if en else "")
    return f"{days} 个工作日" + (f" ({days} working days)" if en else "") + "，节假日顺延"


def _pages(m: Material) -> tuple[str, str]:
    n = f"{m.min_pages}" if m.min_pages == m.max_pages else f"{m.min_pages}-{m.max_pages}"
    if m.sides == 2:
        if m.max_pages == 1:
            return "正反两面", "front and back"
        return f"正反两面 {n} 张", f"front and back, {n} card(s)"
    return f"{n} 页", f"{n} page(s)"


def layout_notice(
    item: CatalogItem, *, hall_name: str = "", hotline: str = "", printed_at: dt.datetime | None = None,
    language: str = "zh", encoding: str = "gbk", columns: int = 48,
) -> PrintJob:
    """The item's one-time notice as one print job (ESC/POS)."""
    en = language == "en"

    def both(pair: tuple[str, str]) -> str:
        return f"{pair[0]} {pair[1]}" if en else pair[0]

    p = EscPos(encoding=encoding, columns=columns)
    p.init()
    p.align(Align.CENTER)
    if hall_name:
        p.bold().text(hall_name).bold(False)
    p.size(2, 2).bold().text("一次性告知单").size(1, 1).bold(False)
    p.text("ONE-TIME NOTICE")
    p.align(Align.LEFT).rule("=")

    labels = {key: f"{short} {english}" if en else full for key, (full, short, english) in _LABELS.items()}
    label_w = min(max(text_columns(v) for v in labels.values()) + 2, columns // 2)

    def row(key: str, value: str) -> None:
        p.label_value(labels[key], value, label_columns=label_w)

    row("item", item.name.zh + (f" {item.name.en}" if en and item.name.en else ""))
    row("department", both((item.department.zh, item.department.en or "")).strip())
    row("limit", _limit(item.time_limit_days, en))
    row("fee", both(_fee(item.fee_fen)))
    row("delivery", ("; " if en else "、").join(both(_DELIVERY_TEXT[d]) for d in item.delivery))
    row("how", both(_AUTH_TEXT[item.auth]))
    if item.counter_only:
        where = f"请本人携带下列材料到{item.department.zh}办理；可先到本大厅综合咨询窗口问询。"
        if en:
            where += f" Bring the materials below to {item.department.get('en')}; the hall's information desk can help."
        row("where", where)
    p.rule("-")

    p.bold().text(f"需要准备的材料（{len(item.materials)} 项）" + (" Materials to bring" if en else "")).bold(False)
    if not item.materials:
        p.text("不需要提交材料。" + (" No materials are needed." if en else ""))
    for n, m in enumerate(item.materials, start=1):
        p.text(f"{n}. {m.name.zh}" + (f" {m.name.en}" if en and m.name.en else ""))
        need = ("必交", "required") if m.required else ("选交", "optional")
        zh_pages, en_pages = _pages(m)
        tags = [f"[{both(need)}]", en_pages if en else zh_pages]
        if m.can_defer:
            tags.append(both(("可容缺后补", "may follow later")))
        p.label_value("", " · ".join(tags), label_columns=4)
    if item.deferrable_materials:
        p.blank()
        p.text("标有“可容缺后补”的材料今天没带也可以先办，承诺后按时补交即可。")
        if en:
            p.text("Materials marked 'may follow later' can be promised now and brought later.")
    if item.guide is not None:
        p.rule("-")
        p.bold().text("办理须知" + (" What you should know" if en else "")).bold(False)
        for paragraph in item.guide.zh.split("\n"):
            if paragraph.strip():
                p.text(paragraph.strip())
        if en and item.guide.en:
            for paragraph in item.guide.en.split("\n"):
                if paragraph.strip():
                    p.text(paragraph.strip())
    p.rule("-")
    p.text("以上为办理本事项需要的全部材料和要求，一次性告知。")
    if en:
        p.text("This is everything the item needs, told once and completely.")
    if hotline:
        p.text(f"本厅咨询电话 {hotline}" + (" Hall enquiries" if en else ""))
    p.text(f"政务服务便民热线 {NATIONAL_HOTLINE}")
    if printed_at is not None:
        p.text(f"打印时间 {printed_at:%Y-%m-%d %H:%M}")
    p.feed(2).cut()
    return p.build()


def build_notice(item: CatalogItem, **kwargs: Any) -> bytes:
    """`layout_notice(...).data`."""
    return layout_notice(item, **kwargs).data


def notice_pdf_for(item: CatalogItem, *, hall_name: str = "", hotline: str = "",
                   issued_at: dt.datetime | None = None) -> bytes:
    """The same notice on A4 (kiosk.documents.notice_pdf)."""
    from kiosk.documents import notice_pdf

    materials = []
    for m in item.materials:
        zh, _ = _pages(m)
        materials.append({"name": m.name.zh, "required": m.required, "deferrable": m.can_defer, "form": zh})
    conditions = ""
    if item.counter_only:
        conditions = f"须本人到{item.department.zh}窗口办理，自助终端不能办理。"
    contact = "、".join(x for x in (hotline, NATIONAL_HOTLINE) if x)
    return notice_pdf(
        item_name=item.name.zh, item_code=item.code, department=item.department.zh, materials=materials,
        time_limit_days=item.time_limit_days, fee=" ".join(_fee(item.fee_fen)),
        delivery_options=[_DELIVERY_TEXT[d][0] for d in item.delivery], guide_text=item.guide.zh if item.guide else "",
        conditions=conditions, contact=contact, hall_name=hall_name, issued_at=issued_at,
    )


# -- printing from the guide screen ----------------------------------------------------------


class NoticePhase(enum.Enum):
    IDLE = "idle"
    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"


@dataclass(frozen=True)
class NoticePrint:
    """What the guide screen's print button shows. `reason` (when FAILED) is the
    printer's StatusReason value (`paper_out`, `cover_open`, `offline`, …) or
    `no_printer` when none is configured or its thread is gone."""

    phase: NoticePhase = NoticePhase.IDLE
    item_code: str = ""
    reason: str = ""

    @property
    def busy(self) -> bool:
        return self.phase is NoticePhase.PRINTING


IDLE = NoticePrint()


class NoticeDesk:
    """Prints notices on the receipt printer's device thread, one at a time, and keeps
    the outcome for the screen. Every method runs on the GUI thread; `background`
    brings the result back there (STYLE.md §6)."""

    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal
        self.state = IDLE

    def __repr__(self) -> str:
        return f"NoticeDesk({self.state.phase.value}, {self.state.reason or '-'})"

    def request(self, item_code: str) -> bool:
        """Print the notice of `item_code`. False (nothing sent) while a notice is
        printing or when the item is not in the catalog."""
        terminal = self._terminal
        if self.state.busy:
            return False
        item = terminal.catalog.get(item_code) if terminal.catalog is not None else None
        if item is None:
            return False
        terminal.machine.touch()
        cfg = terminal.config.device("printer")
        job = layout_notice(
            item, hall_name=terminal.config.hall, hotline=terminal.config.hotline,
            printed_at=dt.datetime.now().astimezone(), language=terminal.machine.visit.language,
            encoding=cfg.encoding, columns=cfg.columns,
        )

        def done(result: Any, exc: BaseException | None) -> None:
            if exc is not None:
                log.warning("notice not printed: %s", type(exc).__name__)
                self._finish(NoticePrint(NoticePhase.FAILED, item_code, "offline"))
            elif getattr(result, "printed", False):
                self._finish(NoticePrint(NoticePhase.PRINTED, item_code))
            else:
                reason = getattr(getattr(result, "reason", None), "value", "offline")
                log.info("notice not printed: %s", reason)
                self._finish(NoticePrint(NoticePhase.FAILED, item_code, str(reason)))

        self.state = NoticePrint(NoticePhase.PRINTING, item_code)
        if not terminal.send_to_printer(job.data, done):
            self._finish(NoticePrint(NoticePhase.FAILED, item_code, "no_printer"))
            return True
        terminal.machine.refresh()
        return True

    def forget(self) -> None:
        """The resident left the guide: a finished outcome is not shown again (one in
        progress keeps the button disabled until the printer answers)."""
        if not self.state.busy:
            self.state = IDLE

    def _finish(self, state: NoticePrint) -> None:
        self.state = state
        self._terminal.machine.refresh()


_DESKS: weakref.WeakKeyDictionary[Any, NoticeDesk] = weakref.WeakKeyDictionary()


def notice_desk_for(terminal: Terminal) -> NoticeDesk:
    """The terminal's notice desk, made on first use."""
    desk = _DESKS.get(terminal)
    if desk is None:
        desk = NoticeDesk(terminal)
        _DESKS[terminal] = desk
    return desk


def notice_state_key(state: NoticePrint) -> str | None:
    """The kiosk.strings key of what the resident reads beside the button; None when idle."""
    if state.phase is NoticePhase.PRINTING:
        return "notice.printing"
    if state.phase is NoticePhase.PRINTED:
        return "notice.printed"
    if state.phase is NoticePhase.FAILED:
        return "notice.paper_out" if state.reason == "paper_out" else "notice.printer_down"
    return None
