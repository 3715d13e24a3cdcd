"""Received ESC/POS bytes → an image of the paper, for `kiosk device print-test`, the
tour and tests. It draws what decoder.py parses, the way an 80 mm printer prints it.

Geometry (ref §2.2 "Width" [U: model-specific]): 203 dpi, ANK characters in a 12×24
cell, Hanzi in 24×24, `columns` × 12 dots of printable width (48 → 576 dots, 80 mm;
32 → 384, 58 mm); GS ! multiplies cells; the default line spacing is 30 dots. QR
symbols and CODE128 are generated with zxing-cpp from the data the printer received,
so the picture scans like the paper does. Text the printer would auto-wrap because a
line was too wide is wrapped here too, and counted in `RenderedPaper.overflows`.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from drivers.printer.decoder import (
    Barcode,
    BarcodeHeight,
    BarcodeWidth,
    CharSize,
    Cut,
    Emphasis,
    EscPosParser,
    FeedDots,
    FeedLines,
    HriPosition,
    Initialize,
    Justify,
    LineFeed,
    LineSpacing,
    QrErrorCorrection,
    QrModuleSize,
    QrPrint,
    QrStore,
    RasterImage,
    Text,
    Underline,
)

ANK_W = 12
CELL_H = 24
DEFAULT_SPACING = 30
CUTTER_FEED = 96  # dots from the head to the cutter [U: ~12 mm on common 80 mm models]
MARGIN = 24
_EC = {"L": "L", "M": "M", "Q": "Q", "H": "H"}

# Known places of a CJK font with Latin glyphs. Noto Sans Mono CJK first: its Latin is
# exactly half an em wide, like a printer's ANK font. Then TrueType fallbacks.
_KNOWN_FONTS: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", ""),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", ""),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", ""),
)
_PREFERRED_FAMILIES = ("Noto Sans Mono CJK SC", "Noto Sans CJK SC", "WenQuanYi Zen Hei Mono", "WenQuanYi Micro Hei Mono")


class FontNotFound(RuntimeError):
    """No CJK font to draw Hanzi with."""


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int


def _face_in(path: str) -> FontFace | None:
    """The preferred face in a font file (a .ttc holds several), or its first."""
    if not path or not Path(path).is_file():
        return None
    best: tuple[int, int] | None = None
    for index in range(16):
        try:
            font = ImageFont.truetype(path, 24, index=index)
        except OSError:
            break
        family = font.getname()[0]
        rank = _PREFERRED_FAMILIES.index(family) if family in _PREFERRED_FAMILIES else len(_PREFERRED_FAMILIES)
        if best is None or rank < best[0]:
            best = (rank, index)
    return FontFace(path, best[1]) if best else None


def _fc_match(pattern: str) -> str:
    exe = shutil.which("fc-match")
    if exe is None:
        return ""
    try:
        out = subprocess.run([exe, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> tuple[FontFace, FontFace | None]:
    """(regular, bold or None). Raises FontNotFound naming the package to install."""
    for regular, bold in _KNOWN_FONTS:
        face = _face_in(regular)
        if face:
            return face, _face_in(bold)
    found = _fc_match("Noto Sans Mono CJK SC") or _fc_match(":lang=zh-cn")
    face = _face_in(found)
    if face and face.path.endswith((".ttc", ".ttf", ".otf")):
        return face, _face_in(_fc_match("Noto Sans Mono CJK SC:bold"))
    raise FontNotFound("no CJK font found; install fonts-noto-cjk (apt-get install fonts-noto-cjk) / 未找到中文字体")


@functools.lru_cache(maxsize=64)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    regular, bold_face = find_cjk_font()
    face = bold_face if bold and bold_face else regular
    return ImageFont.truetype(face.path, size, index=face.index)


@functools.lru_cache(maxsize=8192)
def _glyph(ch: str, wide: bool, w: int, h: int, bold: bool) -> Image.Image:
    """One character cell, ink = 255 (used as a paste mask)."""
    base_w = (2 if wide else 1) * ANK_W * h
    size = CELL_H * h
    cell = Image.new("L", (base_w, size), 0)
    draw = ImageDraw.Draw(cell)
    fake_bold = bold and find_cjk_font()[1] is None
    # Ideographic em box: 0.88 em above the baseline, 0.12 below (Noto CJK metrics).
    draw.text((base_w / 2, round(size * 0.88)), ch, fill=255, font=_font(size, bold), anchor="ms",
              stroke_width=1 if fake_bold else 0, stroke_fill=255)
    target_w = (2 if wide else 1) * ANK_W * w
    if target_w != base_w:
        cell = cell.resize((target_w, size), Image.Resampling.LANCZOS)
    return cell


@dataclass
class _Item:
    ch: str
    wide: bool
    w: int
    h: int
    bold: bool
    underline: int

    @property
    def width(self) -> int:
        return (2 if self.wide else 1) * ANK_W * self.w


@dataclass(frozen=True)
class RenderedPaper:
    image: Image.Image
    overflows: int  # lines the printer had to wrap itself (our layout should make this 0)
    cuts: int


class _Renderer:
    def __init__(self, columns: int) -> None:
        self.dots = columns * ANK_W
        self.bands: list[Image.Image] = []
        self.overflows = 0
        self.cuts = 0
        self._reset()
        self.line: list[_Item] = []
        self.line_align = 0
        self.qr_data: bytes | None = None

    def _reset(self) -> None:
        self.w = self.h = 1
        self.bold = False
        self.underline = 0
        self.align = 0
        self.spacing = DEFAULT_SPACING
        self.qr_size = 3
        self.qr_ec = "L"
        self.bar_h = 162
        self.bar_w = 3
        self.hri = 0

    # -- bands ------------------------------------------------------------------------------
    def _band(self, height: int) -> Image.Image:
        band = Image.new("L", (self.dots, max(1, height)), 255)
        self.bands.append(band)
        return band

    def _x_for(self, width: int, align: int) -> int:
        if align == 1:
            return max(0, (self.dots - width) // 2)
        if align == 2:
            return max(0, self.dots - width)
        return 0

    def flush(self, *, feed: bool = True) -> None:
        items, self.line = self.line, []
        if not items:
            if feed:
                self._band(self.spacing)
            return
        tallest = max(CELL_H * i.h for i in items)
        band = self._band(max(self.spacing, tallest) if feed else tallest)
        x = self._x_for(sum(i.width for i in items), self.line_align)
        ink = Image.new("L", band.size, 0)
        for item in items:
            glyph = _glyph(item.ch, item.wide, item.w, item.h, item.bold)
            top = tallest - CELL_H * item.h
            ink.paste(glyph, (x, top), glyph)
            if item.underline:
                ImageDraw.Draw(ink).rectangle(
                    (x, tallest - item.underline, x + item.width - 1, tallest - 1), fill=255)
            x += item.width
        band.paste(0, (0, 0), ink)

    def text(self, text: str) -> None:
        for ch in text:
            wide = ch >= "\x80"
            item = _Item(ch, wide, self.w, self.h, self.bold, self.underline)
            used = sum(i.width for i in self.line)
            if used + item.width > self.dots:
                self.overflows += 1
                self.flush()
            if not self.line:
                self.line_align = self.align
            self.line.append(item)

    def feed(self, dots: int) -> None:
        if self.line:
            self.flush()
        if dots > 0:
            self._band(dots)

    def block(self, image: Image.Image) -> None:
        """A symbol or image printed at the current alignment (ref §2.3, §2.4)."""
        if self.line:
            self.flush()
        band = self._band(image.height)
        band.paste(image, (self._x_for(image.width, self.align), 0))

    def cut(self, cmd: Cut) -> None:
        if self.line:
            self.flush()
        if cmd.feed_to_cutter:
            self._band(CUTTER_FEED + cmd.feed)
        band = self._band(12)
        draw = ImageDraw.Draw(band)
        for x in range(0, self.dots, 16):
            draw.line((x, 6, x + 8, 6), fill=150, width=2)
        self.cuts += 1

    # -- symbols -----------------------------------------------------------------------------
    def qr(self) -> None:
        if not self.qr_data:
            return
        try:
            content: str | bytes = self.qr_data.decode("utf-8")
        except UnicodeDecodeError:
            content = self.qr_data
        symbol = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level=self.qr_ec)
        modules = np.asarray(symbol.to_image(scale=1, add_quiet_zones=False), dtype=np.uint8)
        n = modules.shape[0]
        self.block(Image.fromarray(modules).resize((n * self.qr_size, n * self.qr_size), Image.Resampling.NEAREST))

    def barcode(self, cmd: Barcode) -> None:
        if cmd.system != 73:  # we draw CODE128 only; others print as a labelled box
            self.text(f"[barcode {cmd.system}]")
            self.flush()
            return
        data = cmd.data
        if data[:2] in (b"{A", b"{B"):
            text = data[2:].replace(b"{{", b"{").decode("ascii", errors="replace")
        elif data[:2] == b"{C":
            text = "".join(f"{b:02d}" for b in data[2:])
        else:
            text = data.decode("ascii", errors="replace")
        symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128)
        row = np.asarray(symbol.to_image(scale=1, add_quiet_zones=False), dtype=np.uint8)[0]
        bars = np.repeat(np.tile(row, (self.bar_h, 1)), self.bar_w, axis=1)
        image = Image.fromarray(bars)
        if self.hri in (1, 2, 3):
            hri = Image.new("L", (max(image.width, len(text) * ANK_W), CELL_H + 4), 255)
            ink = Image.new("L", hri.size, 0)
            x = (hri.width - len(text) * ANK_W) // 2
            for ch in text:
                glyph = _glyph(ch, False, 1, 1, False)
                ink.paste(glyph, (x, 4), glyph)
                x += ANK_W
            hri.paste(0, (0, 0), ink)
            parts = ([hri] if self.hri in (1, 3) else []) + [image] + ([hri] if self.hri in (2, 3) else [])
            combined = Image.new("L", (max(p.width for p in parts), sum(p.height for p in parts)), 255)
            y = 0
            for p in parts:
                combined.paste(p, ((combined.width - p.width) // 2, y))
                y += p.height
            image = combined
        self.block(image)

    def raster(self, cmd: RasterImage) -> None:
        bits = np.unpackbits(np.frombuffer(cmd.data, dtype=np.uint8)).reshape(cmd.height, cmd.width_bytes * 8)
        self.block(Image.fromarray(np.where(bits, 0, 255).astype(np.uint8)))

    def finish(self) -> Image.Image:
        if self.line:
            self.flush()
        height = sum(b.height for b in self.bands)
        paper = Image.new("L", (self.dots + 2 * MARGIN, height + 2 * MARGIN), 255)
        y = MARGIN
        for band in self.bands:
            paper.paste(band, (MARGIN, y))
            y += band.height
        ImageDraw.Draw(paper).rectangle((0, 0, paper.width - 1, paper.height - 1), outline=200)
        return paper


def render_paper(data: bytes, *, encoding: str = "gbk", columns: int = 48) -> RenderedPaper:
    r = _Renderer(columns)
    for cmd in EscPosParser(encoding).feed(data):
        if isinstance(cmd, Text):
            r.text(cmd.text)
        elif isinstance(cmd, LineFeed):
            r.flush()
        elif isinstance(cmd, Initialize):
            if r.line:
                r.flush()
            r._reset()
        elif isinstance(cmd, CharSize):
            r.w, r.h = cmd.width, cmd.height
        elif isinstance(cmd, Emphasis):
            r.bold = cmd.on
        elif isinstance(cmd, Underline):
            r.underline = cmd.dots
        elif isinstance(cmd, Justify):
            r.align = cmd.n if cmd.n in (0, 1, 2) else 0
        elif isinstance(cmd, FeedLines):
            r.feed(cmd.n * r.spacing)
        elif isinstance(cmd, FeedDots):
            r.feed(cmd.n)
        elif isinstance(cmd, LineSpacing):
            r.spacing = DEFAULT_SPACING if cmd.dots is None else cmd.dots
        elif isinstance(cmd, Cut):
            r.cut(cmd)
        elif isinstance(cmd, QrModuleSize):
            r.qr_size = max(1, min(16, cmd.dots))
        elif isinstance(cmd, QrErrorCorrection):
            r.qr_ec = _EC.get(cmd.level, "L")
        elif isinstance(cmd, QrStore):
            r.qr_data = cmd.data
        elif isinstance(cmd, QrPrint):
            r.qr()
        elif isinstance(cmd, BarcodeHeight):
            r.bar_h = max(1, cmd.dots)
        elif isinstance(cmd, BarcodeWidth):
            r.bar_w = max(1, min(6, cmd.module))
        elif isinstance(cmd, HriPosition):
            r.hri = cmd.n
        elif isinstance(cmd, Barcode):
            r.barcode(cmd)
        elif isinstance(cmd, RasterImage):
            r.raster(cmd)
    return RenderedPaper(r.finish(), r.overflows, r.cuts)


def render(data: bytes, *, encoding: str = "gbk", columns: int = 48) -> Image.Image:
    return render_paper(data, encoding=encoding, columns=columns).image


def render_png(data: bytes, path: Path, *, encoding: str = "gbk", columns: int = 48) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    render(data, encoding=encoding, columns=columns).save(path, format="PNG", optimize=True)
    return path
