"""Flattened pages at their true size, legible, within the PDF budget."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers.camera import pdf, synth
from drivers.camera.orientation import rotate_image, text_rotation
from drivers.camera.rectify import enhance, page_size, rectify, red_mask


@pytest.fixture(scope="module")
def a4_frame() -> synth.SynthFrame:
    return synth.make_frame(7, scene="page", doc="a4", hard=False)


def test_a4_comes_out_at_200_dpi_and_its_aspect(a4_frame: synth.SynthFrame) -> None:
    assert a4_frame.quad is not None
    r = rectify(a4_frame.image, a4_frame.quad, kind="a4")
    h, w = r.image.shape[:2]
    assert abs(h / w - 297 / 210) < 0.01
    assert r.dpi <= 200.0


def test_card_and_strip_sizes() -> None:
    card = np.array([[0, 0], [856, 0], [856, 540], [0, 540]], float)
    assert page_size(card).kind == "id1"
    assert page_size(card).width_mm == pytest.approx(85.6)
    strip = np.array([[0, 0], [400, 0], [400, 1500], [0, 1500]], float)
    s = page_size(strip)
    assert s.kind == "strip" and s.width_mm == 80.0 and s.height_mm == pytest.approx(300.0)


def test_a4_page_fits_the_pdf_budget(a4_frame: synth.SynthFrame) -> None:
    assert a4_frame.quad is not None
    img = enhance(rectify(a4_frame.image, a4_frame.quad, kind="a4").image)
    page = pdf.make_page(img, 210, 297)
    assert len(page.jpeg) <= pdf.PAGE_BUDGET_BYTES
    res = pdf.assemble([page])
    assert res.ok and res.pdf is not None
    assert res.pdf.startswith(b"%PDF")
    assert len(res.pdf) <= pdf.PAGE_BUDGET_BYTES + 20_000  # the JPEG is embedded as is


def test_a_noisy_page_is_squeezed_into_the_budget() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (2339, 1654, 3), dtype=np.uint8)
    page = pdf.make_page(noise, 210, 297)
    assert len(page.jpeg) < len(cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 80])[1])


def test_grayscale_keeps_the_red_seal_red() -> None:
    img = np.full((400, 400, 3), 235, np.uint8)
    cv2.putText(img, "ABC", (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 2, (20, 20, 20), 5)
    cv2.circle(img, (250, 250), 80, (40, 40, 220), 10)
    out = enhance(img, gray=True)
    assert red_mask(out)[250, 170]  # on the seal's ring
    b, g, r = out[120 - 20, 60].astype(int)
    assert abs(b - g) < 3 and abs(g - r) < 3  # the black text is grey


def test_card_needs_both_sides_on_one_page() -> None:
    side = pdf.make_page(np.full((638, 1011, 3), 200, np.uint8), 85.6, 54.0)
    one = pdf.assemble([side], pdf.MaterialRule(card=True))
    assert (one.ok, one.reason) == (False, pdf.CARD_NEEDS_TWO_SIDES)
    two = pdf.assemble([side, side], pdf.MaterialRule(card=True))
    assert two.ok and two.pdf is not None
    assert two.pdf.count(b"/Type /Page\n") + two.pdf.count(b"/Type /Page ") + two.pdf.count(b"/Type/Page") >= 1


def test_page_count_limits() -> None:
    p = pdf.make_page(np.full((100, 70, 3), 240, np.uint8), 210, 297)
    assert pdf.assemble([], pdf.MaterialRule(min_pages=1)).reason == pdf.TOO_FEW_PAGES
    assert pdf.assemble([p] * 3, pdf.MaterialRule(max_pages=2)).reason == pdf.TOO_MANY_PAGES


def test_text_direction_turns_a_sideways_page_upright(a4_frame: synth.SynthFrame) -> None:
    assert a4_frame.quad is not None
    upright = rectify(a4_frame.image, a4_frame.quad, kind="a4").image
    assert text_rotation(upright) == 0
    for turn in (90, 180, 270):
        est = text_rotation(rotate_image(upright, turn))
        assert est in (0, (360 - turn) % 360)  # right, or no opinion; never wrong
