"""A4 documents as PDF bytes: the application form as filed, and the one-time notice
(一次性告知书) of a service item.

Inputs are plain values — (label, value) pairs and dicts — so this module does not
depend on the catalog's or the visit's classes. Whatever the caller passes is printed;
pass masked values where the form should not show a full ID number.

Fonts: the CJK font is embedded (subset) so the PDF prints the same on any printer or
viewer. reportlab's TTFont needs TrueType (glyf) outlines; Noto Sans CJK is CFF-based
and cannot be used, so we look for a TrueType CJK font, preferably WenQuanYi Zen Hei
(Debian package fonts-wqy-zenhei). If none is installed we fall back to the
non-embedded CID font STSong-Light, which viewers substitute, and log a warning.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

log = logging.getLogger(__name__)

FONT_NAME = "KioskCJK"
# (path, index in a .ttc, Debian package) — TrueType-outline CJK fonts only.
TRUETYPE_CJK_FONTS: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "fonts-arphic-uming"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, "fonts-droid-fallback"),
)
FALLBACK_CID_FONT = "STSong-Light"
Pair = tuple[str, str]


@dataclass(frozen=True)
class PdfFont:
    name: str
    embedded: bool
    source: str  # file path, or the CID font's name
    glyphs: frozenset[int] | None = field(default=None, repr=False)  # code points it has (None: CID)


@functools.lru_cache(maxsize=1)
def pdf_font() -> PdfFont:
    """Register the CJK font once, on first use (no import-time side effects)."""
    for path, index, _package in TRUETYPE_CJK_FONTS:
        if not Path(path).is_file():
            continue
        try:
            font = TTFont(FONT_NAME, path, subfontIndex=index)
        except Exception:  # reportlab raises TTFError (and others) for fonts it cannot use
            log.warning("cannot use %s for PDFs", path, exc_info=True)
            continue
        pdfmetrics.registerFont(font)
        return PdfFont(FONT_NAME, True, path, frozenset(font.face.charToGlyph))
    log.warning("no TrueType CJK font (apt-get install fonts-wqy-zenhei); PDFs use the "
                "non-embedded CID font %s", FALLBACK_CID_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return PdfFont(FALLBACK_CID_FONT, False, FALLBACK_CID_FONT, None)


def _clean(text: str) -> str:
    """Escape for Paragraph markup; characters the font lacks become a visible □."""
    glyphs = pdf_font().glyphs
    if glyphs is not None:
        text = "".join(ch if ord(ch) in glyphs or ch in "\n\t " else "□" for ch in text)
    return escape(text).replace("\n", "<br/>")


@functools.lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    font = pdf_font().name
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=14, alignment=TA_CENTER,
                                   textColor=colors.HexColor("#444444")),
        "h2": ParagraphStyle("h2", parent=base, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4),
        "label": ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333")),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#555555")),
    }


def _p(text: str, style: str = "base") -> Paragraph:
    return Paragraph(_clean(text), _styles()[style])


_GRID = TableStyle([
    ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), 4),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
])
_WIDTH = A4[0] - 40 * mm


def _pairs_table(pairs: Sequence[Pair], *, label_width: float = 40 * mm) -> Table:
    rows = [[_p(label, "label"), _p(value or "—")] for label, value in pairs] or [[_p("—"), _p("")]]
    table = Table(rows, colWidths=[label_width, _WIDTH - label_width])
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F0F0F0"))]))
    return table


def _grid_table(header: Sequence[str], rows: Sequence[Sequence[str | Paragraph]], widths: Sequence[float]) -> Table:
    data = [[_p(h, "label") for h in header]] + [[_p(c) if isinstance(c, str) else c for c in row] for row in rows]
    if not rows:
        data.append([_p("—")] + [_p("") for _ in header[1:]])
    table = Table(data, colWidths=list(widths), repeatRows=1)
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E4E4E4"))]))
    return table


def _qr(value: str, size: float) -> Drawing:
    widget = QrCodeWidget(value, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _footer(left: str) -> Any:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(pdf_font().name, 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(20 * mm, 12 * mm, left)
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, f"第 {doc.page} 页 Page {doc.page}")
        canvas.restoreState()
    return draw


def _build(story: list[Any], *, title: str, footer: str) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=20 * mm,
        title=title, author="政务服务自助终端", creator="kiosk", invariant=True,
    )
    draw = _footer(footer)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return buf.getvalue()


def _fmt(t: dt.datetime | dt.date | None) -> str:
    if t is None:
        return ""
    if isinstance(t, dt.datetime):
        return t.strftime("%Y-%m-%d %H:%M")
    return t.strftime("%Y-%m-%d")


_MATERIAL_STATUS = {
    "provided": "已提交 Submitted",
    "submitted": "已提交 Submitted",
    "deferred": "容缺后补 To follow",
    "missing": "未提交 Missing",
    "not_required": "无需提交 Not needed",
    "not_provided": "未提交（选交）Not provided (optional)",
}


def _material_rows(materials: Sequence[Mapping[str, Any] | Pair]) -> list[list[str]]:
    rows: list[list[str]] = []
    for i, m in enumerate(materials, 1):
        if isinstance(m, tuple):
            name, status, pages, note = m[0], m[1], "", ""
        else:
            name = str(m.get("name", ""))
            status = str(m.get("status", "provided"))
            pages = str(m["pages"]) if m.get("pages") is not None else ""
            note = str(m.get("note") or "")
            if status == "deferred" and m.get("due"):
                note = f"{note} 补交期限 {m['due']}".strip()
        rows.append([str(i), name, _MATERIAL_STATUS.get(status, status), pages, note])
    return rows


def application_form_pdf(
    *,
    item_name: str,
    receipt_no: str = "",
    submitted_at: dt.datetime | None = None,
    applicant: Sequence[Pair],
    form_values: Sequence[Pair] = (),
    materials: Sequence[Mapping[str, Any] | Pair] = (),
    delivery: Sequence[Pair] = (),
    commitment_version: str = "",
    commitment_accepted_at: dt.datetime | None = None,
    commitment_text: str = "",
    item_code: str = "",
    department: str = "",
    hall_name: str = "",
    terminal_name: str = "",
    title: str = "政务服务事项申请表",
    signature_png: bytes = b"",
    assisted_by: Sequence[Pair] = (),
) -> bytes:
    """The application as filed.

    `materials`: dicts with "name", "status" ("provided" | "deferred" | "missing" |
    "not_required" | "not_provided"), optional "pages", "note", "due" (for deferred ones); or
    (name, status) pairs. Every other section is (label, value) pairs.

    Without `receipt_no` (the signed form is made before the outbox numbers the
    application) the head has no number and no QR code. `signature_png` is the
    handwritten signature, drawn under the commitment; an image that does not decode
    raises (the caller decides what to send instead). `assisted_by`: the staff member
    who operated the terminal for the resident (帮办), as (label, value) pairs.
    """
    head_left = [
        _p(title, "title"),
        _p(" · ".join(x for x in (hall_name, terminal_name) if x), "subtitle"),
    ]
    meta: list[Pair] = []
    if receipt_no:
        meta.append(("回执编号 No.", receipt_no))
    if submitted_at is not None:
        meta.append(("提交时间 Submitted", _fmt(submitted_at)))
    head_cell: list[Any] = [*head_left]
    if meta:
        head_cell += [Spacer(1, 4), _pairs_table(meta, label_width=40 * mm)]
    if receipt_no:
        head = Table([[head_cell, _qr(receipt_no, 30 * mm)]], colWidths=[_WIDTH - 34 * mm, 34 * mm])
    else:
        head = Table([[head_cell]], colWidths=[_WIDTH])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story: list[Any] = [head, Spacer(1, 6)]
    numbers = iter("一二三四五六七八九十")

    def section(heading: str, *body: Any) -> None:
        # A heading never ends a page without its table.
        story.append(KeepTogether([_p(f"{next(numbers)}、{heading}", "h2"), *body]))

    item_pairs = [("事项名称 Item", item_name)]
    if item_code:
        item_pairs.append(("事项编码 Code", item_code))
    if department:
        item_pairs.append(("实施部门 Dept.", department))
    section("申请事项 Item", _pairs_table(item_pairs))
    section("申请人 Applicant", _pairs_table(applicant))
    if form_values:
        section("申请内容 Application", _pairs_table(form_values))

    w = _WIDTH
    materials_table = _grid_table(
        ["序号", "材料名称 Material", "状态 Status", "页数", "备注 Note"], _material_rows(materials),
        [12 * mm, w - 12 * mm - 40 * mm - 14 * mm - 32 * mm, 40 * mm, 14 * mm, 32 * mm])
    deferred = [m for m in materials if (m[1] if isinstance(m, tuple) else m.get("status")) == "deferred"]
    note = ([Spacer(1, 3), _p("标注“容缺后补”的材料请在补交期限内提交，逾期未补交的将按规定处理。", "small")]
            if deferred else [])
    section("申请材料 Materials", materials_table, *note)
    section("送达方式 Delivery", _pairs_table(delivery))

    commitment = [("承诺书版本 Version", commitment_version or "—"),
                  ("确认时间 Accepted", _fmt(commitment_accepted_at) or "—")]
    body: list[Any] = [_pairs_table(commitment)]
    if commitment_text:
        body += [Spacer(1, 4), _p(commitment_text, "small")]
    body += [Spacer(1, 10), _p("申请人确认以上信息真实、准确、完整。 The applicant confirms the above is true and complete.",
                               "small")]
    if signature_png:
        body += [Spacer(1, 6), _signature_table(signature_png, commitment_accepted_at)]
    section("告知承诺 Commitment", *body)
    if assisted_by:
        section("帮办 Assisted by staff", _pairs_table(assisted_by),
                _p("工作人员代为操作终端，申请人本人确认并签名。 Staff operated the terminal; the applicant confirmed and "
                   "signed.", "small"))
    footer = f"回执编号 {receipt_no} · 由自助终端生成" if receipt_no else "由自助终端生成 · Made at a self-service kiosk"
    return _build(story, title=f"{title} {receipt_no}".strip(), footer=footer)


SIGNATURE_BOX = (70 * mm, 28 * mm)  # the largest the signature is drawn, aspect kept


def _signature_table(png: bytes, signed_at: dt.datetime | None) -> Table:
    """The handwritten signature beside its label and the time it was given. The PNG's
    pixels are embedded as they are (Flate, lossless); no re-sampling, so what the
    resident drew is what the platform gets."""
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    reader = ImageReader(io.BytesIO(png))  # raises on bytes that are not an image
    width_px, height_px = reader.getSize()
    if width_px <= 0 or height_px <= 0:
        raise ValueError("empty signature image")
    box_w, box_h = SIGNATURE_BOX
    scale = min(box_w / width_px, box_h / height_px)
    picture = Image(io.BytesIO(png), width=width_px * scale, height=height_px * scale, mask="auto")
    label = [_p("申请人签名 Signature", "label")]
    if signed_at is not None:
        label.append(_p(_fmt(signed_at), "small"))
    table = Table([[label, picture]], colWidths=[40 * mm, _WIDTH - 40 * mm])
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F0F0F0")),
                               ("ALIGN", (1, 0), (1, 0), "LEFT")]))
    return table


def notice_pdf(
    *,
    item_name: str,
    department: str,
    materials: Sequence[Mapping[str, Any]],
    time_limit_days: int,
    legal_time_limit_days: int | None = None,
    fee: str = "不收费 Free",
    delivery_options: Sequence[str] = (),
    guide_text: str = "",
    item_code: str = "",
    basis: str = "",
    conditions: str = "",
    contact: str = "",
    hall_name: str = "",
    issued_at: dt.datetime | None = None,
) -> bytes:
    """一次性告知书: everything a resident needs to bring and know, on one document.

    `materials`: dicts with "name", optional "required" (bool, default True),
    "deferrable" (bool), "copies" / "form" (e.g. "原件1份 复印件1份"), "note".
    """
    story: list[Any] = [
        _p("一次性告知书", "title"),
        _p("One-time notice of requirements" + (f" · {hall_name}" if hall_name else ""), "subtitle"),
        Spacer(1, 8),
    ]
    facts: list[Pair] = [("事项名称 Item", item_name)]
    if item_code:
        facts.append(("事项编码 Code", item_code))
    facts.append(("实施部门 Dept.", department))
    limit = "即办 Same day" if time_limit_days == 0 else f"{time_limit_days} 个工作日 working days"
    facts.append(("承诺时限 Promised", limit))
    if legal_time_limit_days is not None:
        facts.append(("法定时限 Statutory", f"{legal_time_limit_days} 个工作日 working days"))
    facts.append(("收费标准 Fee", fee))
    facts.append(("送达方式 Delivery", "、".join(delivery_options) or "窗口领取"))
    if basis:
        facts.append(("设定依据 Legal basis", basis))
    if conditions:
        facts.append(("申请条件 Conditions", conditions))
    story.append(_pairs_table(facts))

    story.append(_p("申请材料 Materials", "h2"))
    rows: list[list[str | Paragraph]] = []
    for i, m in enumerate(materials, 1):
        need = _clean("必需 Required" if m.get("required", True) else "可选 Optional")
        if m.get("deferrable"):
            need += "<br/>" + _clean("可容缺后补 May follow")
        rows.append([str(i), str(m.get("name", "")), Paragraph(need, _styles()["base"]),
                     str(m.get("copies") or m.get("form") or ""), str(m.get("note") or "")])
    w = _WIDTH
    story.append(_grid_table(["序号", "材料名称 Material", "要求 Need", "形式 Form", "备注 Note"], rows,
                             [12 * mm, w - 12 * mm - 42 * mm - 30 * mm - 32 * mm, 42 * mm, 30 * mm, 32 * mm]))

    if guide_text:
        story.append(_p("办事指南 Guide", "h2"))
        story.append(_p(guide_text))
    story.append(Spacer(1, 10))
    closing = "以上为办理本事项需要的全部材料和要求，我们一次性告知，不再要求提交其他材料。"
    story.append(_p(closing, "small"))
    if contact:
        story.append(_p(f"咨询电话 Enquiries: {contact}", "small"))
    if issued_at is not None:
        story.append(_p(f"告知时间 Issued: {_fmt(issued_at)}", "small"))
    return _build(story, title=f"一次性告知书 {item_name}", footer="一次性告知书 · 由自助终端生成")
