"""The rendered paper: scannable codes, no line the printer would have to wrap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from pyzbar import pyzbar

from drivers.printer import render
from drivers.printer.decoder import decode_text
from drivers.printer.render import FontNotFound, find_cjk_font, render_paper, render_png
from kiosk.receipt import build_receipt, build_test_page
from tests.drivers.printer.helpers import RECEIPT_NO, sample_receipt


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_receipt_qr_decodes_to_the_receipt_number(columns: int) -> None:
    paper = render_paper(build_receipt(sample_receipt(), columns=columns), columns=columns)
    codes = zxingcpp.read_barcodes(np.asarray(paper.image))
    assert [(c.format, c.text) for c in codes] == [(zxingcpp.BarcodeFormat.QRCode, RECEIPT_NO)]
    assert paper.overflows == 0  # our layout never relies on the printer's own wrapping
    assert paper.cuts == 1
    assert paper.image.width == columns * 12 + 2 * render.MARGIN


def test_receipt_qr_is_read_by_a_second_decoder_too(tmp_path: Path) -> None:
    path = render_png(build_receipt(sample_receipt(language="en")), tmp_path / "receipt.png")
    from PIL import Image

    decoded = pyzbar.decode(Image.open(path))
    assert [d.data.decode() for d in decoded] == [RECEIPT_NO]


def test_test_page_codes_decode() -> None:
    paper = render_paper(build_test_page(columns=48))
    texts = {(c.format, c.text) for c in zxingcpp.read_barcodes(np.asarray(paper.image))}
    assert texts == {(zxingcpp.BarcodeFormat.QRCode, "KIOSK PRINT TEST 打印测试"),
                     (zxingcpp.BarcodeFormat.Code128, "KIOSK-TEST-128")}
    assert paper.overflows == 0


def test_a_too_wide_line_is_wrapped_and_counted() -> None:
    paper = render_paper(b"\x1b@" + ("一" * 30).encode("gbk") + b"\n", columns=48)  # 60 columns on 48
    assert paper.overflows == 1


def test_gbk_printer_prints_a_four_byte_code_as_garbage() -> None:
    # GB18030's 4-byte "¥" on a GBK printer (§2.2, node-escpos #332: "printed as '0 6'").
    job = b"\x1b@\x1c&\x81\x30\x84\x36\n"
    assert decode_text(job, "gbk").replace("\ufffd", "") == "06\n"
    assert decode_text(job, "gb18030") == "¥\n"
    assert render_paper(job, encoding="gbk").overflows == 0


@pytest.fixture
def no_fonts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(render, "_KNOWN_FONTS", ())
    monkeypatch.setattr(render, "_fc_match", lambda _pattern: "")
    find_cjk_font.cache_clear()
    yield
    find_cjk_font.cache_clear()


@pytest.mark.usefixtures("no_fonts")
def test_missing_cjk_font_fails_clearly() -> None:
    with pytest.raises(FontNotFound, match="fonts-noto-cjk"):
        find_cjk_font()
