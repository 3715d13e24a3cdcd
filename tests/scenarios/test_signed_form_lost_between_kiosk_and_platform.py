"""The signed application form must reach the platform as the `signature` material —
a PDF with the form as filed, the commitment and the handwritten signature — and a
signature that cannot go into a PDF must still reach it, as the PNG the resident drew.
Real Terminal, simulated devices, the reference platform on loopback."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from drivers.id_reader.sim import sample_card
from kiosk.refplatform.server import RunningPlatform
from kiosk.terminal import Terminal
from kiosk.visit import Step
from tests.scenarios.visits import ITEM, to_review

CST = dt.timezone(dt.timedelta(hours=8))


def signature_png() -> bytes:
    """Black strokes on white, as the signature pad exports them."""
    image = Image.new("RGB", (900, 300), "white")
    ImageDraw.Draw(image).line([(60, 220), (200, 80), (340, 230), (520, 90), (800, 200)], fill="black", width=10)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def submit_and_deliver(term: Terminal, signature: bytes) -> str:
    to_review(term, signature=signature, accepted_at=dt.datetime(2026, 11, 23, 14, 5, tzinfo=CST),
              phone="13800138000")
    m = term.machine
    term.submit_application()
    assert m.step is Step.RECEIPT
    sid = m.visit.submission_id
    assert sid is not None and term.sync is not None
    term.sync.run_once(ignore_timers=True)
    term.sync.run_once(ignore_timers=True)
    return sid


def test_platform_gets_the_signed_form_as_a_pdf_signature_material(
    terminal: Terminal, platform: RunningPlatform,
) -> None:
    sid = submit_and_deliver(terminal, signature_png())
    assert platform.count_cases() == 1
    signature = [m for m in platform.materials(sid) if m.code == "signature"]
    assert len(signature) == 1 and signature[0].content_type == "application/pdf"
    body = platform.submission_body(sid)
    assert body is not None and body["commitment"]["signature_material_id"] == signature[0].material_id
    pdf = platform.material_bytes(sid, signature[0].material_id)
    assert pdf is not None and pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert terminal.catalog is not None
    item = terminal.catalog.item(ITEM)
    assert item.name.zh in text
    assert item.commitment.version in text
    assert "容缺后补" in text  # the deferred material is on the form
    assert "窗口领取" in text  # and the delivery choice
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1  # the handwritten signature, embedded


def test_undecodable_signature_still_reaches_the_platform_as_png(
    terminal: Terminal, platform: RunningPlatform, caplog: pytest.LogCaptureFixture,
) -> None:
    broken = b"\x89PNG\r\n\x1a\n not really a picture"
    caplog.set_level("WARNING")
    sid = submit_and_deliver(terminal, broken)
    assert platform.count_cases() == 1
    signature = [m for m in platform.materials(sid) if m.code == "signature"]
    assert len(signature) == 1 and signature[0].content_type == "image/png"
    assert platform.material_bytes(sid, signature[0].material_id) == broken
    assert "signed application form not made" in caplog.text
    card = sample_card("resident")
    assert card.id_number not in caplog.text and card.name not in caplog.text
