"""One PDF per material: the captured pages as JPEG images on pages of their true size.

Budget: an A4 page at 200 dpi should stay under 400 KB (a plain document page is
typically 150-300 KB at JPEG quality 80); the quality steps down until a page fits,
never below 50, where print starts to smear.

Cards (ID-1): a resident's ID card copy is conventionally both sides on one A4 sheet
(身份证正反面复印件), front above back at true size. `assemble` does the same for a
material of kind "card": two sides required, on one A4 page. Other materials get one
PDF page per captured page, each at its own physical size.

reportlab embeds a JPEG as is (DCTDecode) when given JPEG bytes, so the bytes measured
here are the bytes in the file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]

MM = 72.0 / 25.4  # PDF points per millimetre
A4_MM = (210.0, 297.0)
ID1_MM = (85.6, 54.0)

PAGE_BUDGET_BYTES = 400_000
MIN_QUALITY = 50

# Validation reasons (closed set, shown to the resident by the screen).
TOO_FEW_PAGES = "too_few_pages"
TOO_MANY_PAGES = "too_many_pages"
CARD_NEEDS_TWO_SIDES = "card_needs_two_sides"


@dataclass(frozen=True)
class PdfPage:
    """A captured page ready for the PDF: JPEG bytes and its physical size."""

    jpeg: bytes = field(repr=False)
    width_px: int
    height_px: int
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class MaterialRule:
    """How many pages a material takes; `card` materials take exactly two sides."""

    min_pages: int = 1
    max_pages: int = 20
    card: bool = False


@dataclass(frozen=True)
class PdfResult:
    pdf: bytes | None = field(repr=False)  # None when the pages do not satisfy the rule
    pages: int
    reason: str = ""  # "" when assembled, else a validation reason

    @property
    def ok(self) -> bool:
        return self.pdf is not None


def encode_jpeg(img: Image, *, budget_bytes: int | None = None, quality: int = 80) -> bytes:
    """JPEG bytes of `img`, stepping the quality down (by 10, to MIN_QUALITY) while the
    result exceeds `budget_bytes`."""
    q = quality
    while True:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
        if not ok:
            raise ValueError("JPEG encoding failed")
        data = buf.tobytes()
        if budget_bytes is None or len(data) <= budget_bytes or q <= MIN_QUALITY:
            return data
        q = max(MIN_QUALITY, q - 10)


def page_budget(width_mm: float, height_mm: float) -> int:
    """The A4 budget scaled by area (a card side gets its share of an A4 page's)."""
    return max(40_000, int(PAGE_BUDGET_BYTES * (width_mm * height_mm) / (A4_MM[0] * A4_MM[1])))


def make_page(img: Image, width_mm: float, height_mm: float, *, quality: int = 80) -> PdfPage:
    data = encode_jpeg(img, budget_bytes=page_budget(width_mm, height_mm), quality=quality)
    return PdfPage(data, int(img.shape[1]), int(img.shape[0]), width_mm, height_mm)


def validate(pages: int, rule: MaterialRule) -> str:
    if rule.card:
        return "" if pages == 2 else CARD_NEEDS_TWO_SIDES
    if pages < rule.min_pages:
        return TOO_FEW_PAGES
    if pages > rule.max_pages:
        return TOO_MANY_PAGES
    return ""


def assemble(pages: Sequence[PdfPage], rule: MaterialRule | None = None, *, title: str = "") -> PdfResult:
    """The material's PDF, or a reason why these pages do not make one."""
    from reportlab import rl_config
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    # Embed the JPEG bytes as they are: reportlab's default ASCII85 wrapping adds 25 %
    # to every page for no benefit in a file nobody reads as text.
    rl_config.useA85 = 0

    rule = rule or MaterialRule()
    reason = validate(len(pages), rule)
    if reason:
        return PdfResult(None, len(pages), reason)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(A4_MM[0] * MM, A4_MM[1] * MM), pageCompression=1)
    if title:
        c.setTitle(title)
    c.setCreator("kiosk document camera")
    if rule.card:
        # Both sides on one A4 sheet at true size, front above back, as on a photocopy.
        pw, ph = A4_MM
        c.setPageSize((pw * MM, ph * MM))
        for i, page in enumerate(pages):
            w, h = page.width_mm, page.height_mm
            x = (pw - w) / 2
            y = ph * (0.70 if i == 0 else 0.30) - h / 2
            c.drawImage(ImageReader(io.BytesIO(page.jpeg)), x * MM, y * MM, w * MM, h * MM)
        c.showPage()
    else:
        for page in pages:
            c.setPageSize((page.width_mm * MM, page.height_mm * MM))
            c.drawImage(ImageReader(io.BytesIO(page.jpeg)), 0, 0, page.width_mm * MM, page.height_mm * MM)
            c.showPage()
    c.save()
    return PdfResult(out.getvalue(), len(pages))
