"""The A4 PDFs: an embedded CJK font, user text escaped, rare characters visible."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk import documents
from kiosk.documents import application_form_pdf, notice_pdf, pdf_font

CST = dt.timezone(dt.timedelta(hours=8), "CST")

APPLICATION: dict[str, Any] = {
    "item_name": "不动产登记（国有建设用地使用权及房屋所有权首次登记）",
    "item_code": "11460100MB1234567X4000117001",
    "department": "海口市自然资源和规划局",
    "receipt_no": "T0001-261123-0427D",
    "submitted_at": dt.datetime(2026, 11, 23, 14, 5, tzinfo=CST),
    "hall_name": "海口市龙华区政务服务中心",
    "terminal_name": "一楼自助区 2 号机",
    "applicant": [("姓名 Name", "张*明"), ("证件号码 ID", "460100********1234"), ("联系电话", "138****8000")],
    "form_values": [("不动产坐落", "海口市龙华区滨海大道 123 号 1801 室" * 5), ("登记原因", "买卖 <b>&</b>")],
    "materials": [
        {"name": "身份证", "status": "provided", "pages": 2},
        {"name": "房屋买卖合同", "status": "deferred", "due": "2026-12-01"},
        ("完税证明", "missing"),
    ],
    "delivery": [("方式", "邮寄送达"), ("地址", "海南省海口市龙华区滨海大道 123 号")],
    "commitment_version": "CM-2026-03",
    "commitment_accepted_at": dt.datetime(2026, 11, 23, 14, 1, tzinfo=CST),
    "commitment_text": "本人承诺所提交材料真实有效。",
}


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def test_application_form_is_a_pdf_with_an_embedded_truetype_cjk_font() -> None:
    pdf = application_form_pdf(**APPLICATION)
    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) >= 1
    font = pdf_font()
    assert font.embedded, "install fonts-wqy-zenhei"
    assert b"/FontFile2" in pdf  # TrueType outlines embedded (subset)


def test_same_input_gives_the_same_bytes() -> None:
    assert application_form_pdf(**APPLICATION) == application_form_pdf(**APPLICATION)


def test_a_long_materials_list_flows_onto_more_pages() -> None:
    many = {**APPLICATION, "materials": [{"name": f"材料 {i}", "status": "provided"} for i in range(80)]}
    assert pages(application_form_pdf(**many)) > pages(application_form_pdf(**APPLICATION))


def test_markup_in_values_is_text_and_missing_glyphs_are_boxes() -> None:
    assert documents._clean("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert documents._clean("李𠀀") == "李□"  # Extension B is not in the font: visible box
    assert documents._clean("王䶮") == "王䶮"


def test_notice_lists_required_and_deferrable_materials() -> None:
    pdf = notice_pdf(
        item_name="不动产登记", department="海口市自然资源和规划局", time_limit_days=5, legal_time_limit_days=30,
        materials=[{"name": "身份证", "copies": "原件"}, {"name": "结婚证", "required": False, "deferrable": True}],
        delivery_options=["窗口领取", "邮寄送达"], guide_text="第一步……\n第二步……", contact="12345",
        issued_at=dt.datetime(2026, 11, 23, 14, 1, tzinfo=CST),
    )
    assert pdf.startswith(b"%PDF-") and pages(pdf) == 1


@pytest.fixture
def without_truetype(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(documents, "TRUETYPE_CJK_FONTS", ())
    documents.pdf_font.cache_clear()
    documents._styles.cache_clear()
    yield
    documents.pdf_font.cache_clear()
    documents._styles.cache_clear()


@pytest.mark.usefixtures("without_truetype")
def test_without_a_truetype_font_the_cid_font_is_used() -> None:
    assert not pdf_font().embedded
    pdf = application_form_pdf(**APPLICATION)
    assert b"STSong-Light" in pdf


def _png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 300), "white")
    ImageDraw.Draw(image).line([(60, 220), (300, 80), (800, 200)], fill="black", width=10)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


SIGNED = {**APPLICATION, "receipt_no": "", "submitted_at": None, "signature_png": _png(),
          "assisted_by": [("工作人员 Staff", "李四"), ("工号 Staff ID", "S001")]}


def test_signed_form_embeds_the_signature_and_names_the_assisting_staff() -> None:
    from pypdf import PdfReader

    pdf = application_form_pdf(**SIGNED)
    assert pdf == application_form_pdf(**SIGNED)  # deterministic, signature and all
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "申请人签名" in text and "李四" in text and "CM-2026-03" in text
    assert "回执编号" not in text  # made before the outbox numbers the application
    assert sum(len(page.images) for page in reader.pages) == 1


def test_a_signature_that_is_not_an_image_is_refused_not_left_out() -> None:
    with pytest.raises(Exception):  # noqa: B017 - reportlab/PIL raise several types; the caller falls back
        application_form_pdf(**{**SIGNED, "signature_png": b"\x89PNG\r\n\x1a\n not a picture"})
