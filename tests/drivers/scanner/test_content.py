"""Scanned text is described, never interpreted (reliability.md §4.2)."""

from __future__ import annotations

import pytest

from drivers.scanner.content import Shape, classify_scan


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("", Shape.EMPTY),
        ("   ", Shape.EMPTY),
        ("6901234567892", Shape.DIGITS),
        ("T0001-261123-00427", Shape.CODE),
        ("https://zwfw.example.gov.cn/q?id=1", Shape.URL),
        ("www.example.cn", Shape.URL),
        ("北京市东城区", Shape.TEXT),
        ("１２３", Shape.TEXT),  # full-width digits are not ASCII digits
    ],
)
def test_shapes(text: str, shape: Shape) -> None:
    assert classify_scan(text).shape is shape


def test_text_is_trimmed_including_ideographic_space() -> None:
    assert classify_scan("\u3000 T0001-261123-00427 \t").text == "T0001-261123-00427"


def test_a_qr_that_is_a_url_stays_plain_data() -> None:
    kind = classify_scan("javascript://%0aalert(1)")
    assert kind.looks_like_url and kind.shape is Shape.URL
    assert kind.text == "javascript://%0aalert(1)"  # not decoded, not resolved


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("<img src=file:///etc/passwd>", "looks_like_markup"),
        ("<a href=x>点我</a>", "looks_like_markup"),
        ("&#60;b&#62;", "looks_like_markup"),
        ("../../etc/shadow", "looks_like_path"),
        ("/etc/passwd", "looks_like_path"),
        ("C:\\Windows\\system32", "looks_like_path"),
        ("file:///etc/passwd", "looks_like_path"),
        ('=HYPERLINK("http://x","y")', "looks_like_formula"),
        ("@SUM(A1)", "looks_like_formula"),
        ("abc\u202edef", "has_control_chars"),
        ("a\x1bb", "has_control_chars"),
    ],
)
def test_malicious_payload_flags(text: str, flag: str) -> None:
    assert getattr(classify_scan(text), flag) is True


def test_ordinary_code_raises_no_flags() -> None:
    kind = classify_scan("T0001-261123-00427")
    assert not (kind.looks_like_url or kind.looks_like_markup or kind.looks_like_path
                or kind.looks_like_formula or kind.has_control_chars)
    assert kind.is_ascii


def test_sql_stays_text() -> None:
    kind = classify_scan("' OR 1=1--")
    assert kind.shape is Shape.TEXT and kind.text == "' OR 1=1--"


def test_repr_hides_the_text() -> None:
    assert "110105" not in repr(classify_scan("11010519491231002X"))
