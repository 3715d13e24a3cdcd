"""What the acceptance receipt says, as the printer reads it back."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.printer.codec import text_columns
from drivers.printer.decoder import CharSize, EscPosParser, QrStore, Text, decode_text
from kiosk.receipt import (
    DeliveryDetails,
    build_receipt,
    build_test_page,
    layout_receipt,
    layout_test_page,
    mask_phone,
)
from tests.drivers.printer.helpers import CST, RECEIPT_NO, sample_receipt


def printed_lines(data: bytes, encoding: str = "gbk") -> list[str]:
    return decode_text(data, encoding).split("\n")


@pytest.mark.parametrize("columns", [32, 42, 48])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_line_fits_the_paper(columns: int, language: str) -> None:
    data = build_receipt(sample_receipt(language=language), columns=columns)
    size = 1
    for cmd in EscPosParser().feed(data):  # measure each text run at its print size
        if isinstance(cmd, CharSize):
            size = cmd.width
        elif isinstance(cmd, Text):
            assert text_columns(cmd.text) * size <= columns


def test_receipt_shows_the_masked_name_and_never_the_full_one() -> None:
    text = decode_text(build_receipt(sample_receipt()))
    assert "张*明" in text
    assert "张三明" not in text
    assert "138****8000" in text and "13800138000" not in text


def test_receipt_number_is_printed_large_and_is_the_qr_payload() -> None:
    commands = EscPosParser().feed(build_receipt(sample_receipt()))
    size = (1, 1)
    sizes_of_number = []
    for cmd in commands:
        if isinstance(cmd, CharSize):
            size = (cmd.width, cmd.height)
        elif isinstance(cmd, Text) and cmd.text == RECEIPT_NO:
            sizes_of_number.append(size)
    assert sizes_of_number == [(2, 2)]
    assert [c.data for c in commands if isinstance(c, QrStore)] == [RECEIPT_NO.encode()]


def test_narrow_paper_prints_the_number_double_height_on_one_line() -> None:
    lines = printed_lines(build_receipt(sample_receipt(), columns=32))
    assert RECEIPT_NO in lines


def test_long_item_name_and_address_wrap_without_losing_characters() -> None:
    data = sample_receipt()
    text = decode_text(build_receipt(data, columns=32))
    joined = "".join(line.strip() for line in text.split("\n"))
    assert data.item_name in joined
    assert data.delivery.address is not None
    assert data.delivery.address.replace(" ", "") in joined.replace(" ", "")


def test_promised_date_counts_working_days_across_the_national_day_holiday() -> None:
    # 2026-09-28 + 5 working days: 29, 30 Sep, (1–7 Oct off), 8, 9 Oct and the
    # make-up Saturday 10 Oct (chinesecalendar 2026 schedule).
    text = decode_text(build_receipt(sample_receipt(created_at=dt.datetime(2026, 9, 28, 9, 0, tzinfo=CST), time_limit_days=5)))
    assert "2026-10-10 前（节假日顺延）" in text.replace("\n", "")


def test_promised_date_past_the_known_calendar_is_marked_as_an_estimate() -> None:
    text = decode_text(build_receipt(sample_receipt(created_at=dt.datetime(2026, 12, 28, 9, 0, tzinfo=CST))))
    assert "按周末推算" in text.replace("\n", "").replace(" ", "")


def test_explicit_due_date_and_same_day_items() -> None:
    text = decode_text(build_receipt(sample_receipt(due_date=dt.date(2026, 12, 1))))
    assert "2026-12-01 前" in text
    same_day = decode_text(build_receipt(sample_receipt(time_limit_days=0)))
    assert "即办件" in same_day and "前（" not in same_day


@pytest.mark.parametrize(("method", "expected"), [
    ("pickup", "窗口领取"), ("express", "邮寄送达"), ("electronic", "电子送达"),
])
def test_delivery_method_and_default_next_steps(method: str, expected: str) -> None:
    details = DeliveryDetails(place="3 号综合窗口", note="海易办 App 我的证照")
    text = decode_text(build_receipt(sample_receipt(delivery_method=method, delivery=details)))
    assert expected in text
    assert "好差评" in text
    if method == "pickup":
        assert "3 号综合窗口" in text
    if method == "electronic":
        assert "海易办" in text


def test_english_labels_follow_the_chinese() -> None:
    text = decode_text(build_receipt(sample_receipt(language="en")))
    assert "申请人 Applicant" in text
    assert "Real estate registration" in text
    assert "不动产登记" in text


def test_custom_next_steps_replace_the_default() -> None:
    text = decode_text(build_receipt(sample_receipt(next_steps="请于三日内补交房屋买卖合同原件。")))
    assert "请于三日内补交房屋买卖合同原件。" in text.replace("\n", "")


def test_rare_characters_are_reported_per_encoding() -> None:
    data = sample_receipt(applicant_name="䶮三明", delivery_method="pickup")
    assert layout_receipt(data, encoding="gbk").replaced == ("䶮",)
    gb18030 = layout_receipt(data, encoding="gb18030")
    assert gb18030.replaced == ()
    assert "䶮*明" in decode_text(gb18030.data, "gb18030")


def test_receipt_data_repr_hides_personal_fields() -> None:
    shown = repr(sample_receipt())
    assert "张三明" not in shown and "13800138000" not in shown and "滨海大道" not in shown


def test_bad_receipt_number_is_a_bug() -> None:
    with pytest.raises(ValueError):
        sample_receipt(receipt_no="T0001-261123-0427X")
    with pytest.raises(ValueError):
        sample_receipt(delivery_method="fax")


def test_mask_phone() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("0898-66668888") == "089******8888"
    assert mask_phone("12345") == "*****"


@pytest.mark.parametrize("columns", [32, 48])
def test_test_page_ruler_is_exactly_full_and_nothing_overflows(columns: int) -> None:
    job = layout_test_page(columns=columns, port="sim://printer", printed_at=dt.datetime(2026, 11, 23, 14, 5, tzinfo=CST))
    assert job.replaced == ()
    lines = printed_lines(job.data)
    ruler = "".join(str((i + 1) % 10) for i in range(columns))
    assert ruler in lines
    assert "￥12.00￥3.50①②③℃№×÷±" in "".join(lines).replace(" ", "")  # "¥" substituted
    assert build_test_page(columns=columns).endswith(b"\x1dV\x42\x00")


def test_an_already_masked_or_purged_name_reprints_safely() -> None:
    assert "张*明" in decode_text(build_receipt(sample_receipt(applicant_name="张*明")))
    text = decode_text(build_receipt(sample_receipt(applicant_name="", delivery_method="pickup")))
    assert "申 请 人" not in text
