"""Photo-like document-camera frames: a second generator, written apart from `synth`
so the page finder is not tuned to one generator's habits.

Where `synth` draws word-like bars with OpenCV on a flat sheet and warps it with
`warpPerspective`, this one:

- renders documents with PIL from real glyphs (Latin and, when a CJK font is
  installed, Chinese), tables, photos, seals, MRZ lines, handwriting and thermal
  receipts, on white, cream, recycled and pastel paper;
- lays them on a desk plane seen by a pinhole camera with a slightly tilted axis, lets
  a corner curl up or the sheet bulge (the sides bow; the truth is where the corners
  appear), and composites them by inverse mapping (`remap`) with an exact
  anti-aliased coverage computed from the distance to the outline;
- draws procedural desks (oak and walnut planks, linen, speckled laminate, marble, felt,
  kraft paper, a 高拍仪 base with printed rulers and guide marks), clutter (pens, coins,
  paper clips), hands with several fingers and their soft shadows, specular glare on
  glossy cards and photos;
- then a camera: vignetting, colour temperature, a shadow of the camera head, barrel or
  pincushion distortion, defocus (a disc) or motion blur, a Bayer mosaic with shot and
  read noise, demosaicing, white balance, a tone curve, sharpening halos, JPEG once
  or twice with 4:2:0 or 4:2:2 chroma;
- at 5 to 13 MP, 4:3 and 16:9.

Truth: the corners of each document as they appear in the frame (pixel centres on
integers), clockwise from the document's own top-left; the sharp corners for a card
with rounded ones. Every frame comes from a seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from drivers.camera.geometry import Quad, as_quad
from drivers.camera.synth import SynthFrame

Image = NDArray[np.uint8]
F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
Rng = np.random.Generator

# (w, h): 5, 8, 12 and 13 MP at 4:3; 8.3 and 9.7 MP at 16:9.
RESOLUTIONS = ((2592, 1944), (3264, 2448), (4000, 3000), (4208, 3120), (3840, 2160), (4160, 2340))

# Physical sizes in mm (w, h) as the document is read, and the corner radius.
DOCS: dict[str, tuple[float, float, float]] = {
    "letter": (210.0, 297.0, 0.0),  # A4
    "form": (210.0, 297.0, 0.0),
    "redhead": (210.0, 297.0, 0.0),  # 红头文件: red title and rule
    "us_letter": (215.9, 279.4, 0.0),
    "note_a5": (148.0, 210.0, 0.0),
    "certificate": (297.0, 210.0, 0.0),
    "id_card": (85.6, 54.0, 3.18),  # ISO/IEC 7810 ID-1
    "bank_card": (85.6, 54.0, 3.18),
    "business_card": (90.0, 54.0, 0.0),
    "passport": (125.0, 88.0, 4.0),  # ID-3 data page
    "register": (105.0, 143.0, 0.0),  # 户口本 page
    "photo": (152.0, 102.0, 0.0),  # 4 × 6 in print, glossy
    "receipt": (80.0, 200.0, 0.0),  # width 58 or 80; length drawn per frame
}
DOC_WEIGHTS = {
    "letter": 0.16, "form": 0.1, "redhead": 0.08, "us_letter": 0.04, "note_a5": 0.06, "certificate": 0.05,
    "id_card": 0.15, "bank_card": 0.07, "business_card": 0.04, "passport": 0.05, "register": 0.05,
    "photo": 0.04, "receipt": 0.11,
}
DESKS = ("oak", "walnut", "linen", "laminate_light", "laminate_dark", "marble", "felt", "kraft", "camera_base",
         "glass")
GLOSSY = ("id_card", "bank_card", "passport", "photo")

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/System/Library/Fonts", "C:/Windows/Fonts")
_LATIN = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf", "LiberationSans-Regular.ttf",
          "LiberationSerif-Regular.ttf", "NimbusSans-Regular.otf", "P052-Roman.otf", "arial.ttf", "times.ttf")
_MONO = ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf", "NimbusMonoPS-Regular.otf", "cour.ttf")
_CJK = ("NotoSansCJK-Regular.ttc", "NotoSerifCJK-Regular.ttc", "wqy-zenhei.ttc", "wqy-microhei.ttc",
        "DroidSansFallbackFull.ttf", "msyh.ttc", "simsun.ttc")

_HANZI = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方"
          "后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开"
          "它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此"
          "变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老"
          "头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研究证明申"
          "请姓名性别民族出生住址公民身份号码签发机关有效期限户籍登记")
_WORDS = ("application", "certificate", "residence", "the", "of", "and", "district", "office", "number", "date",
          "issued", "valid", "until", "name", "address", "registration", "permit", "signature", "approved", "total",
          "amount", "payment", "service", "public", "bureau", "record", "item", "copy", "original", "section",
          "form", "page", "notice", "hereby", "applicant", "department", "social", "security", "tax", "health")


@dataclass(frozen=True)
class _Fonts:
    latin: tuple[str, ...]
    mono: tuple[str, ...]
    cjk: tuple[str, ...]


@lru_cache(maxsize=1)
def _fonts() -> _Fonts:
    found: dict[str, str] = {}
    wanted = set(_LATIN + _MONO + _CJK)
    for d in _FONT_DIRS:
        root = Path(d)
        if not root.is_dir():
            continue
        for p in root.rglob("*"):
            if p.name in wanted and p.name not in found:
                found[p.name] = str(p)
    return _Fonts(tuple(found[n] for n in _LATIN if n in found), tuple(found[n] for n in _MONO if n in found),
                  tuple(found[n] for n in _CJK if n in found))


@lru_cache(maxsize=256)
def _font_at(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size = max(6, size)
    if not path:
        return ImageFont.load_default(size)
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size)


def _font(rng: Rng, kind: str, size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    f = _fonts()
    pool = {"latin": f.latin, "mono": f.mono or f.latin, "cjk": f.cjk or f.latin}[kind]
    return _font_at(str(rng.choice(pool)) if pool else "", round(size))


def _has_cjk() -> bool:
    return bool(_fonts().cjk)


# -- noise ---------------------------------------------------------------------------------


def _fbm(rng: Rng, shape: tuple[int, int], base_cells: float, octaves: int = 4) -> F32:
    """Fractal noise in about [-1, 1]: octaves of random grids upsampled bicubically."""
    h, w = shape
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    cells = base_cells
    for _ in range(octaves):
        gh, gw = max(2, round(cells * h / max(h, w)) + 1), max(2, round(cells * w / max(h, w)) + 1)
        g = rng.standard_normal((gh, gw)).astype(np.float32)
        out += amp * np.asarray(cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)
        total += amp
        amp *= 0.5
        cells *= 2.0
    return np.asarray(out / total, np.float32)


def _up(img: NDArray[np.floating], w: int, h: int) -> F32:
    return np.asarray(cv2.resize(img.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


# -- desks ---------------------------------------------------------------------------------


def _desk(rng: Rng, kind: str, w: int, h: int, ppm: float) -> F32:
    """A desk at frame size, BGR float32 in 0-1."""
    lw, lh = max(64, w // 4), max(48, h // 4)  # most textures at quarter size
    lppm = ppm * lw / w
    yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
    if kind in ("oak", "walnut"):
        if kind == "oak":
            base = np.array([rng.uniform(0.35, 0.5), rng.uniform(0.52, 0.66), rng.uniform(0.68, 0.82)], np.float32)
        else:
            base = np.array([rng.uniform(0.12, 0.2), rng.uniform(0.2, 0.3), rng.uniform(0.3, 0.42)], np.float32)
        ang = float(rng.uniform(0, math.pi))
        u = xx * math.cos(ang) + yy * math.sin(ang)
        v = -xx * math.sin(ang) + yy * math.cos(ang)
        plank_w = rng.uniform(90, 200) * lppm
        plank = np.floor((v + rng.uniform(0, plank_w)) / plank_w)
        # Each plank its own tint and grain phase; butt joints at random lengths.
        tint = 1.0 + 0.08 * np.sin(plank * 12.9898 + rng.uniform(0, 6)) * np.float32(1.0)
        warp = 6.0 * lppm * _fbm(rng, (lh, lw), 4, 3)
        rings = np.sin((v + warp + plank * 37.0) * (2 * math.pi / (rng.uniform(2.5, 6.0) * lppm)))
        fine = _fbm(rng, (lh, lw), 60, 2)
        shade = tint * (1.0 + 0.07 * rings + 0.05 * fine + 0.06 * _fbm(rng, (lh, lw), 3, 2))
        seam = np.abs(((v + rng.uniform(0, plank_w)) % plank_w) - plank_w / 2) > plank_w / 2 - 0.35 * lppm
        shade = np.where(seam, shade * 0.7, shade)
        img = base[None, None, :] * shade[..., None]
        del u
    elif kind == "linen":
        base = np.array(rng.uniform(0.3, 0.85, 3), np.float32)
        full = np.zeros((h, w, 3), np.float32)
        period = rng.uniform(0.6, 1.4) * ppm
        xs = np.arange(w, dtype=np.float32)
        ys = np.arange(h, dtype=np.float32)
        tx = 0.5 + 0.5 * np.sin(xs * 2 * math.pi / period) + 0.15 * rng.standard_normal(w).astype(np.float32)
        ty = 0.5 + 0.5 * np.sin(ys * 2 * math.pi / period) + 0.15 * rng.standard_normal(h).astype(np.float32)
        weave = 0.85 + 0.08 * (tx[None, :] + ty[:, None])
        folds = 1.0 + 0.08 * _up(_fbm(rng, (lh, lw), 3, 2), w, h)
        full[:] = base[None, None, :]
        full *= (weave * folds)[..., None]
        return np.asarray(np.clip(full, 0, 1), np.float32)
    elif kind in ("laminate_light", "laminate_dark"):
        g = rng.uniform(0.72, 0.88) if kind == "laminate_light" else rng.uniform(0.1, 0.25)
        base = np.array([g, g * rng.uniform(0.97, 1.03), g * rng.uniform(0.95, 1.05)], np.float32)
        n1 = _fbm(rng, (lh, lw), 200, 1)
        n2 = _fbm(rng, (lh, lw), 80, 1)
        speck = np.where(n1 > 0.9, -0.12, 0.0) + np.where(n2 > 1.0, 0.08, 0.0) + 0.03 * _fbm(rng, (lh, lw), 6, 3)
        img = base[None, None, :] * (1.0 + speck[..., None]).astype(np.float32)
    elif kind == "marble":
        base = np.array([rng.uniform(0.82, 0.92)] * 3, np.float32) + rng.normal(0, 0.01, 3).astype(np.float32)
        t = _fbm(rng, (lh, lw), 2, 5) * 2.0
        ang = rng.uniform(0, math.pi)
        s = (xx * math.cos(ang) + yy * math.sin(ang)) / lw * rng.uniform(1.5, 4)
        # Thin grey veins where the warped phase crosses whole numbers, and a cloudy body.
        vein = np.clip(np.abs(np.sin((s + t) * math.pi)) * rng.uniform(4, 12), 0, 1)
        img = base[None, None, :] * (0.8 + 0.16 * vein + 0.04 * _fbm(rng, (lh, lw), 8, 3))[..., None]
    elif kind == "felt":
        base = np.array(rng.choice([[0.2, 0.4, 0.15], [0.45, 0.25, 0.1], [0.15, 0.15, 0.45], [0.3, 0.3, 0.3]]),
                        np.float32) * rng.uniform(0.8, 1.2)
        img = base[None, None, :] * (1.0 + 0.06 * _fbm(rng, (lh, lw), 120, 2) + 0.05 * _fbm(rng, (lh, lw), 5, 2))[
            ..., None]
    elif kind == "kraft":
        base = np.array([rng.uniform(0.38, 0.48), rng.uniform(0.55, 0.62), rng.uniform(0.68, 0.78)], np.float32)
        fib = _fbm(rng, (lh, lw * 3), 150, 2)[:, ::3]
        img = base[None, None, :] * (1.0 + 0.06 * fib + 0.04 * _fbm(rng, (lh, lw), 4, 2))[..., None]
    elif kind == "glass":
        base = np.array([rng.uniform(0.12, 0.22), rng.uniform(0.14, 0.24), rng.uniform(0.1, 0.16)], np.float32)
        refl = np.clip(1.0 - np.abs(xx / lw - rng.uniform(0.2, 0.8) + 0.4 * (yy / lh)) * 3.0, 0, 1)
        img = base[None, None, :] + 0.12 * refl[..., None].astype(np.float32) + 0.01 * _fbm(rng, (lh, lw), 8, 2)[
            ..., None]
    else:  # camera_base: matte black with printed rulers, a logo and A4/A3 guide marks
        g = rng.uniform(0.05, 0.14)
        base = np.array([g, g, g * rng.uniform(0.95, 1.1)], np.float32)
        img = base[None, None, :] * (1.0 + 0.1 * _fbm(rng, (lh, lw), 5, 2))[..., None]
        full = _up(img, w, h)
        ink = float(rng.uniform(0.45, 0.75))
        pen = np.zeros((h, w), np.uint8)
        th = max(1, round(0.4 * ppm))
        # Rulers along the near and left edges, ticks every 5 mm.
        y0 = round(h - rng.uniform(6, 14) * ppm)
        for k in range(int(w / ppm / 5)):
            x = round((k * 5 + 3) * ppm)
            cv2.line(pen, (x, y0), (x, y0 - round((4 if k % 2 else 7) * ppm)), 255, th, cv2.LINE_AA)
        x0 = round(rng.uniform(6, 14) * ppm)
        for k in range(int(h / ppm / 5)):
            y = round((k * 5 + 3) * ppm)
            cv2.line(pen, (x0, y), (x0 + round((4 if k % 2 else 7) * ppm), y), 255, th, cv2.LINE_AA)
        for mw, mh in ((297.0, 210.0), (210.0, 148.0)):
            cx, cy = w / 2 + rng.normal(0, 5) * ppm, h / 2 + rng.normal(0, 5) * ppm
            ax, ay = mw / 2 * ppm, mh / 2 * ppm
            arm = round(12 * ppm)
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = (round(cx + sx * ax), round(cy + sy * ay))
                cv2.line(pen, p, (p[0] - sx * arm, p[1]), 255, th, cv2.LINE_AA)
                cv2.line(pen, p, (p[0], p[1] - sy * arm), 255, th, cv2.LINE_AA)
        cv2.putText(pen, "DOC-CAM", (round(w * 0.8), round(h - 20 * ppm)), cv2.FONT_HERSHEY_SIMPLEX, ppm * 0.4, 255,
                    max(1, round(ppm * 0.5)), cv2.LINE_AA)
        a = pen.astype(np.float32)[..., None] / 255.0
        return np.asarray(np.clip(full * (1 - a) + ink * a, 0, 1), np.float32)
    return np.asarray(np.clip(_up(img, w, h), 0, 1), np.float32)


# -- documents -----------------------------------------------------------------------------


def _paper(rng: Rng, doc: str) -> tuple[int, int, int]:
    """RGB paper colour."""
    if doc == "receipt":
        g = rng.uniform(225, 248)
        return (round(g), round(g), round(g - rng.uniform(0, 8)))
    r = rng.random()
    if r < 0.6:
        g = rng.uniform(232, 252)
        return (round(g), round(g), round(g - rng.uniform(0, 4)))
    if r < 0.75:  # cream
        return (round(rng.uniform(240, 252)), round(rng.uniform(232, 245)), round(rng.uniform(205, 225)))
    if r < 0.87:  # recycled grey
        g = rng.uniform(200, 225)
        return (round(g), round(g - 2), round(g - 6))
    pastel = [(250, 215, 225), (250, 245, 190), (205, 225, 250), (210, 245, 215)]
    return pastel[int(rng.integers(0, len(pastel)))]


def _sentence(rng: Rng, cjk: bool, n: int) -> str:
    if cjk and _has_cjk():
        return "".join(rng.choice(list(_HANZI), n))
    words = [str(rng.choice(_WORDS)) for _ in range(max(1, n // 6))]
    if rng.random() < 0.3:
        words.insert(int(rng.integers(0, len(words))), str(int(rng.integers(10, 99999))))
    return " ".join(words).capitalize()


def _paragraphs(d: ImageDraw.ImageDraw, rng: Rng, box: tuple[float, float, float, float], size: float,
                ink: tuple[int, int, int], cjk: bool, fill: float = 1.0) -> None:
    x0, y0, x1, y1 = box
    font = _font(rng, "cjk" if cjk else "latin", size)
    y = y0
    chars = max(4, int((x1 - x0) / (size * (1.0 if cjk else 0.55))))
    while y + size < y0 + (y1 - y0) * fill:
        if rng.random() < 0.12:
            y += size * 0.8  # paragraph break
            continue
        n = chars if rng.random() > 0.2 else int(chars * rng.uniform(0.3, 0.9))
        text = _sentence(rng, cjk, n)
        indent = size * 2 if rng.random() < 0.1 else 0.0
        # Trim to the line width.
        while len(text) > 2 and d.textlength(text, font=font) > x1 - x0 - indent:
            text = text[: int(len(text) * 0.9)]
        d.text((x0 + indent, y), text, fill=ink, font=font)
        y += size * rng.uniform(1.45, 1.8)


def _photo(rng: Rng, w: int, h: int) -> PILImage.Image:
    """A procedural photograph: sky, hills or a face-like portrait."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if rng.random() < 0.5:
        sky0, sky1 = rng.uniform(120, 255, 3), rng.uniform(60, 200, 3)
        t = (yy / max(h, 1))[..., None]
        img = sky0 * (1 - t) + sky1 * t
        for _ in range(int(rng.integers(1, 4))):
            amp, ph, base = rng.uniform(0.05, 0.2) * h, rng.uniform(0, 6), rng.uniform(0.4, 0.85) * h
            ground = base + amp * np.sin(xx / max(w, 1) * rng.uniform(3, 9) + ph)
            col = rng.uniform(10, 140, 3)
            img = np.where((yy > ground)[..., None], col * (0.7 + 0.3 * yy[..., None] / h), img)
    else:  # portrait on a plain backdrop
        img = np.zeros((h, w, 3), np.float32) + rng.uniform(80, 230, 3)
        cx, cy = w * rng.uniform(0.4, 0.6), h * 0.42
        skin = rng.uniform([120, 90, 70], [235, 200, 170])
        face = ((xx - cx) / (0.22 * w)) ** 2 + ((yy - cy) / (0.3 * h)) ** 2 < 1
        body = ((xx - cx) / (0.45 * w)) ** 2 + ((yy - h * 1.05) / (0.4 * h)) ** 2 < 1
        hair = ((xx - cx) / (0.25 * w)) ** 2 + ((yy - cy + 0.08 * h) / (0.3 * h)) ** 2 < 1
        img[body] = rng.uniform(10, 120, 3)
        img[hair] = rng.uniform(10, 60, 3)
        img[face] = skin
    noise = rng.normal(0, 6, (h, w, 1))
    return PILImage.fromarray(np.clip(img + noise, 0, 255).astype(np.uint8), "RGB")


def _seal(d: ImageDraw.ImageDraw, rng: Rng, cx: float, cy: float, r: float) -> None:
    red = (round(rng.uniform(200, 235)), round(rng.uniform(30, 70)), round(rng.uniform(30, 70)))
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=max(2, round(r * 0.07)))
    pts = []
    for k in range(10):
        rad = r * (0.3 if k % 2 == 0 else 0.12)
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    d.polygon(pts, fill=red)
    if _has_cjk():
        font = _font(rng, "cjk", r * 0.22)
        for k, ch in enumerate(_sentence(rng, True, 10)):
            a = math.pi * (0.8 + k * 1.4 / 9)
            d.text((cx + 0.7 * r * math.cos(a) - r * 0.1, cy + 0.7 * r * math.sin(a) - r * 0.1), ch, fill=red, font=font)


def _barcode(d: ImageDraw.ImageDraw, rng: Rng, x0: float, y0: float, w: float, h: float) -> None:
    x = x0
    while x < x0 + w:
        bw = w / 95 * int(rng.integers(1, 4))
        if rng.random() < 0.55:
            d.rectangle((x, y0, x + bw, y0 + h), fill=(20, 20, 20))
        x += bw


def _render_doc(rng: Rng, doc: str, wmm: float, hmm: float, dppm: float) -> Image:
    """The document's face, RGB uint8, `dppm` pixels per mm."""
    w, h = max(8, round(wmm * dppm)), max(8, round(hmm * dppm))
    paper = _paper(rng, doc)
    im = PILImage.new("RGB", (w, h), paper)
    d = ImageDraw.Draw(im)
    s = dppm  # px per mm
    cjk = rng.random() < 0.55
    ink = (round(rng.uniform(10, 50)),) * 3
    ink = (ink[0], ink[1], ink[2] + round(rng.uniform(0, 30)))
    if doc in ("letter", "us_letter", "redhead", "form"):
        m = rng.uniform(15, 28) * s
        y = m
        if doc == "redhead":
            red = (round(rng.uniform(200, 230)), 20, 30)
            font = _font(rng, "cjk" if _has_cjk() else "latin", 11 * s)
            title = _sentence(rng, True, 8) if _has_cjk() else "PEOPLE'S GOVERNMENT"
            tw = d.textlength(title, font=font)
            d.text(((w - tw) / 2, y), title, fill=red, font=font)
            y += 20 * s
            d.line((m, y, w - m, y), fill=red, width=max(2, round(0.8 * s)))
            y += 8 * s
        elif rng.random() < 0.3:
            # A coloured letterhead band to the page's top edge.
            col = tuple(int(c) for c in rng.integers(20, 200, 3))
            band = rng.uniform(18, 40) * s
            d.rectangle((0, 0, w, band), fill=(col[0], col[1], col[2]))
            font = _font(rng, "latin", 7 * s)
            d.text((m, band * 0.3), _sentence(rng, False, 24).upper(), fill=(250, 250, 250), font=font)
            y = band + 10 * s
        else:
            font = _font(rng, "cjk" if cjk else "latin", 6.5 * s)
            d.text((m, y), _sentence(rng, cjk, 14), fill=ink, font=font)
            y += 14 * s
        if doc == "form":
            rows = int(rng.integers(6, 16))
            rh = rng.uniform(7, 11) * s
            cols = [m, m + rng.uniform(0.25, 0.4) * (w - 2 * m), w - m]
            if rng.random() < 0.5:
                cols.insert(2, m + rng.uniform(0.55, 0.75) * (w - 2 * m))
            lw = max(1, round(rng.uniform(0.2, 0.5) * s))
            font = _font(rng, "cjk" if cjk else "latin", 3.6 * s)
            for r in range(rows + 1):
                d.line((cols[0], y + r * rh, cols[-1], y + r * rh), fill=ink, width=lw)
                if r < rows:
                    d.text((cols[0] + 2 * s, y + r * rh + 1.8 * s), _sentence(rng, cjk, 6), fill=ink, font=font)
                    if rng.random() < 0.6:
                        d.text((cols[1] + 2 * s, y + r * rh + 1.8 * s), _sentence(rng, cjk, 10), fill=(20, 40, 120),
                               font=font)
            for c in cols:
                d.line((c, y, c, y + rows * rh), fill=ink, width=lw)
            y += rows * rh + 8 * s
        size = rng.uniform(3.2, 4.6) * s
        _paragraphs(d, rng, (m, y, w - m, h - m), size, ink, cjk, fill=rng.uniform(0.4, 1.0))
        if rng.random() < 0.4:
            px = rng.uniform(0.1, 0.6) * w
            ph = rng.uniform(0.15, 0.3) * w
            photo = _photo(rng, round(ph * 1.4), round(ph))
            im.paste(photo, (round(px), round(h * rng.uniform(0.35, 0.6))))
        if doc == "redhead" or rng.random() < 0.35:
            _seal(d, rng, w * rng.uniform(0.55, 0.8), h * rng.uniform(0.72, 0.88), rng.uniform(19, 22) * s)
        if rng.random() < 0.3:  # a handwritten signature
            _scribble(d, rng, w * rng.uniform(0.15, 0.5), h * rng.uniform(0.8, 0.9), 40 * s, (20, 30, 110),
                      max(1, round(0.5 * s)))
    elif doc == "note_a5":
        line_c = (round(rng.uniform(140, 190)), round(rng.uniform(170, 210)), 235)
        y = 18 * s
        while y < h - 8 * s:
            d.line((0, y, w, y), fill=line_c, width=max(1, round(0.25 * s)))
            if rng.random() < 0.8:
                _scribble(d, rng, rng.uniform(8, 20) * s, y - 2 * s, rng.uniform(0.4, 0.85) * w, (25, 35, 90),
                          max(1, round(0.35 * s)), height=4.5 * s)
            y += 8 * s
    elif doc == "certificate":
        inset = rng.uniform(6, 14) * s
        col = tuple(int(c) for c in rng.integers(60, 200, 3))
        colt = (col[0], col[1], col[2])
        d.rectangle((inset, inset, w - inset, h - inset), outline=colt, width=max(3, round(2 * s)))
        d.rectangle((inset * 1.6, inset * 1.6, w - inset * 1.6, h - inset * 1.6), outline=colt,
                    width=max(1, round(0.5 * s)))
        font = _font(rng, "cjk" if _has_cjk() else "latin", 14 * s)
        title = _sentence(rng, True, 4) if _has_cjk() else "CERTIFICATE"
        d.text(((w - d.textlength(title, font=font)) / 2, h * 0.15), title, fill=colt, font=font)
        _paragraphs(d, rng, (w * 0.15, h * 0.4, w * 0.85, h * 0.75), 5 * s, ink, cjk)
        _seal(d, rng, w * 0.72, h * 0.75, 20 * s)
    elif doc in ("id_card", "bank_card", "business_card", "passport", "register"):
        _card_face(im, d, rng, doc, s, cjk)
    elif doc == "photo":
        im.paste(_photo(rng, w, h), (0, 0))
        if rng.random() < 0.3:  # a white border
            b = round(rng.uniform(3, 6) * s)
            d.rectangle((0, 0, w - 1, h - 1), outline=(245, 245, 240), width=b)
    else:  # receipt
        font = _font(rng, "mono", rng.uniform(2.6, 3.4) * s)
        y = 6 * s
        m = 3 * s
        while y < h * 0.72:
            if rng.random() < 0.12:
                d.text((m, y), "-" * 40, fill=(60, 60, 60), font=font)
            else:
                d.text((m, y), _sentence(rng, cjk and rng.random() < 0.5, 16)[:28], fill=(40, 40, 40), font=font)
            y += 4.2 * s
        _barcode(d, rng, m + 4 * s, h * 0.78, w - 2 * m - 8 * s, 12 * s)
    arr = np.asarray(im, np.uint8)
    # Paper fibre and print density variations, so large areas are not perfectly flat.
    fib = (rng.normal(0, 1.2, (h, w, 1))).astype(np.float32)
    if doc == "receipt":
        # Thermal paper greys unevenly along the strip.
        fib += 6.0 * _fbm(rng, (h, w), 3, 2)[..., None]
    return np.asarray(np.clip(arr.astype(np.float32) + fib, 0, 255), np.uint8)


def _card_face(im: PILImage.Image, d: ImageDraw.ImageDraw, rng: Rng, doc: str, s: float, cjk: bool) -> None:
    w, h = im.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if doc == "bank_card":
        c0, c1 = rng.uniform(10, 200, 3), rng.uniform(10, 200, 3)
    elif doc == "passport":
        c0, c1 = rng.uniform([200, 190, 220], [240, 230, 250]), rng.uniform([210, 200, 200], [245, 240, 235])
    elif doc == "register":
        c0 = rng.choice([[235, 215, 220], [210, 225, 240], [235, 238, 225]]) + rng.normal(0, 4, 3)
        c1 = c0 + rng.normal(0, 6, 3)
    elif doc == "business_card":
        c0 = rng.uniform(20, 250, 3) if rng.random() < 0.4 else np.array([248.0, 248.0, 244.0])
        c1 = c0 + rng.normal(0, 8, 3)
    else:
        c0, c1 = rng.uniform([200, 215, 220], [240, 245, 250]), rng.uniform([215, 225, 200], [250, 250, 235])
    t = (xx / w * rng.uniform(0.3, 1.0) + yy / h * rng.uniform(0.0, 0.6))[..., None]
    pattern = 6.0 * np.sin(xx / s * 1.7 + 3 * np.sin(yy / s * 0.9))[..., None]
    face = np.clip(c0 * (1 - t) + c1 * t + pattern, 0, 255).astype(np.uint8)
    im.paste(PILImage.fromarray(face, "RGB"), (0, 0))
    dark = float(np.mean(c0)) < 120
    ink = (235, 235, 235) if dark else (25, 25, 35)
    if doc in ("id_card", "passport"):
        pw = 0.28 * w
        photo = _photo(rng, round(pw), round(pw * 1.25))
        px = w - pw - 0.06 * w if doc == "id_card" else 0.05 * w
        im.paste(photo, (round(px), round(0.12 * h)))
        tx0 = 0.06 * w if doc == "id_card" else 0.4 * w
        _paragraphs(d, rng, (tx0, 0.1 * h, tx0 + 0.55 * w, 0.75 * h), 2.6 * s, ink, cjk)
        if doc == "passport":
            font = _font(rng, "mono", 3.8 * s)
            for k in range(2):
                line = "P<CHN" + "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"), 39))
                d.text((0.04 * w, h - (13 - 6 * k) * s), line[:44], fill=(20, 20, 20), font=font)
        else:
            font = _font(rng, "mono", 3.6 * s)
            d.text((0.3 * w, 0.82 * h), "".join(rng.choice(list("0123456789"), 18)), fill=ink, font=font)
    elif doc == "bank_card":
        d.rounded_rectangle((0.1 * w, 0.35 * h, 0.24 * w, 0.56 * h), radius=1.2 * s, fill=(190, 165, 80))
        font = _font(rng, "mono", 4.0 * s)
        d.text((0.1 * w, 0.64 * h), " ".join("".join(rng.choice(list("0123456789"), 4)) for _ in range(4)),
               fill=ink, font=font)
        if rng.random() < 0.5:
            d.rectangle((0, 0.1 * h, w, 0.28 * h), fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
    elif doc == "register":
        lw = max(1, round(0.25 * s))
        col = (round(rng.uniform(150, 220)), 90, 110)
        y = 14 * s
        font = _font(rng, "cjk" if cjk else "latin", 3.2 * s)
        while y < h - 10 * s:
            d.line((6 * s, y, w - 6 * s, y), fill=col, width=lw)
            d.text((8 * s, y + 2 * s), _sentence(rng, cjk, 8), fill=(30, 30, 40), font=font)
            y += 10 * s
        d.line((0.35 * w, 14 * s, 0.35 * w, y - 10 * s), fill=col, width=lw)
    else:  # business card
        font = _font(rng, "latin", 5 * s)
        d.text((0.08 * w, 0.18 * h), _sentence(rng, False, 14)[:18], fill=ink, font=font)
        _paragraphs(d, rng, (0.08 * w, 0.5 * h, 0.9 * w, 0.9 * h), 2.5 * s, ink, False)


def _scribble(d: ImageDraw.ImageDraw, rng: Rng, x0: float, y0: float, length: float, col: tuple[int, int, int],
              width: int, height: float = 0.0) -> None:
    """Handwriting: a wobbly cursive line of loops."""
    height = height or length * 0.12
    n = max(8, int(length / max(height, 1) * 6))
    t = np.linspace(0, 1, n)
    xs = x0 + t * length + height * 0.4 * np.sin(t * n * 0.9)
    ys = y0 - height * (0.5 + 0.5 * np.sin(t * n * 1.3 + rng.uniform(0, 6))) * rng.uniform(0.5, 1.0, n)
    d.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=col, width=width, joint="curve")


# -- geometry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Camera:
    hom: F64  # desk mm → undistorted frame px
    centre: F64  # principal point, px
    height_mm: float
    k1: float  # radial distortion, per half-diagonal²
    half_diag: float


def _camera(rng: Rng, w: int, h: int, ppm: float) -> _Camera:
    height = float(rng.uniform(330, 560))
    f = ppm * height
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    kmat = np.array([[f, 0, c[0]], [0, f, c[1]], [0, 0, 1.0]])
    ax, ay = np.radians(rng.normal(0, 2.2, 2))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    r = rx @ ry
    # Desk point (X, Y, 0) in camera coordinates: R·(X, Y, 0) + (0, 0, height).
    m = np.stack([r[:, 0], r[:, 1], np.array([0.0, 0.0, height])], axis=1)
    hom = kmat @ m
    k1 = float(rng.uniform(-0.025, 0.012)) if rng.random() < 0.7 else 0.0
    return _Camera(hom / hom[2, 2], c, height, k1, math.hypot(w / 2, h / 2))


def _apply_h(hm: NDArray[np.floating], pts: NDArray[np.floating]) -> F64:
    p = np.asarray(pts, np.float64) @ hm[:, :2].T + hm[:, 2]
    return np.asarray(p[..., :2] / p[..., 2:3], np.float64)


def _distort(cam: _Camera, pts: F64) -> F64:
    """Undistorted frame px → distorted (what the sensor records)."""
    d = (pts - cam.centre) / cam.half_diag
    r2 = np.sum(d * d, axis=-1, keepdims=True)
    return np.asarray(cam.centre + d * (1 + cam.k1 * r2) * cam.half_diag, np.float64)


@dataclass(frozen=True)
class _Pose:
    to_desk: F64  # 3×3: document mm → desk mm
    size: tuple[float, float]  # (w, h) mm
    radius: float  # corner radius mm
    lift_corner: int  # -1: flat
    lift_mm: float
    lift_reach: float  # mm from the corner where the curl starts
    bulge_mm: float  # a sheet bowing up along its length


def _lift(pose: _Pose, u: F64, v: F64) -> F64:
    wmm, hmm = pose.size
    z = np.zeros_like(u)
    if pose.lift_corner >= 0:
        cx, cy = [(0.0, 0.0), (wmm, 0.0), (wmm, hmm), (0.0, hmm)][pose.lift_corner]
        dist = np.hypot(u - cx, v - cy)
        z += pose.lift_mm * np.clip(1.0 - dist / pose.lift_reach, 0, 1) ** 2
    if pose.bulge_mm:
        z += pose.bulge_mm * np.sin(np.clip(v / hmm, 0, 1) * math.pi)
    return z


def _project(cam: _Camera, pose: _Pose, uv: F64) -> F64:
    """Document mm (…, 2) → undistorted frame px, with the sheet's lift."""
    desk = _apply_h(pose.to_desk, uv)
    flat = _apply_h(cam.hom, desk)
    z = _lift(pose, uv[..., 0], uv[..., 1])[..., None]
    return np.asarray(cam.centre + (flat - cam.centre) * cam.height_mm / (cam.height_mm - z), np.float64)


def _doc_coords(cam: _Camera, pose: _Pose, xy: F64) -> F64:
    """Inverse of `_project`: undistorted frame px → document mm (fixed point)."""
    inv = np.linalg.inv(cam.hom)
    inv_pose = np.linalg.inv(pose.to_desk)
    uv = _apply_h(inv_pose, _apply_h(inv, xy))
    if pose.lift_corner < 0 and not pose.bulge_mm:
        return uv
    for _ in range(3):
        z = _lift(pose, uv[..., 0], uv[..., 1])[..., None]
        flat = cam.centre + (xy - cam.centre) * (cam.height_mm - z) / cam.height_mm
        uv = _apply_h(inv_pose, _apply_h(inv, flat))
    return uv


def _outline_distance(u: F64, v: F64, wmm: float, hmm: float, r: float) -> F64:
    """Signed distance (mm) to a rounded rectangle's outline, positive inside."""
    dx = np.minimum(u, wmm - u)
    dy = np.minimum(v, hmm - v)
    d = np.minimum(dx, dy)
    if r > 0:
        qx, qy = r - dx, r - dy
        corner = (qx > 0) & (qy > 0)
        d = np.where(corner, r - np.hypot(qx, qy), d)
    return np.asarray(d, np.float64)


def _smooth_map(fn: Callable[[F64], F64], x0: int, y0: int, bw: int, bh: int, step: int) -> F32:
    """`fn` (frame px (…, 2) → (…, 2)) at every pixel of a box, evaluated on a coarse grid
    and upsampled linearly (the mappings here are smooth). INTER_LINEAR puts coarse node
    k at fine index step·k + (step - 1)/2, so the nodes are evaluated there."""
    nx, ny = -(-bw // step) + 1, -(-bh // step) + 1
    gx = x0 + (step - 1) / 2 + step * np.arange(nx, dtype=np.float64)
    gy = y0 + (step - 1) / 2 + step * np.arange(ny, dtype=np.float64)
    coarse = fn(np.stack(np.meshgrid(gx, gy), axis=-1)).astype(np.float32)
    full = cv2.resize(coarse, (nx * step, ny * step), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(np.asarray(full, np.float32)[:bh, :bw])


# -- drawing things in the frame -----------------------------------------------------------


def _composite_doc(scene: F32, cam: _Camera, pose: _Pose, face: Image, shadow_mm: float, rng: Rng,
                   docmask: F32) -> None:
    """Warp the document's face into the scene by inverse mapping, with exact coverage."""
    h, w = scene.shape[:2]
    wmm, hmm = pose.size
    corners = _project(cam, pose, np.array([[0, 0], [wmm, 0], [wmm, hmm], [0, hmm]], np.float64))
    ppm = float(np.sqrt(abs(cv2.contourArea(corners.astype(np.float32))) / (wmm * hmm)))
    pad = int(3 + 4 * shadow_mm * ppm)
    x0, y0 = max(0, int(corners[:, 0].min()) - pad), max(0, int(corners[:, 1].min()) - pad)
    x1, y1 = min(w, int(corners[:, 0].max()) + pad + 2), min(h, int(corners[:, 1].max()) + pad + 2)
    if x1 <= x0 or y1 <= y0:
        return
    bw, bh = x1 - x0, y1 - y0
    uvf = _smooth_map(lambda xy: _doc_coords(cam, pose, xy), x0, y0, bw, bh, 4)
    u, v = uvf[..., 0].astype(np.float64), uvf[..., 1].astype(np.float64)
    dppm = face.shape[1] / wmm
    mx = (u * dppm - 0.5).astype(np.float32)
    my = (v * dppm - 0.5).astype(np.float32)
    warped = np.asarray(cv2.remap(face, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), np.float32)
    dist_px = _outline_distance(u, v, wmm, hmm, pose.radius) * ppm
    alpha = np.clip(0.5 + dist_px, 0.0, 1.0).astype(np.float32)
    region = scene[y0:y1, x0:x1]
    if shadow_mm > 0:
        sig = max(0.6, shadow_mm * ppm)
        sh = _soft(alpha, sig)
        dx, dy = rng.normal(0, 0.6, 2) * sig
        sh = np.asarray(cv2.warpAffine(sh, np.array([[1, 0, dx], [0, 1, dy]], np.float32), (bw, bh)), np.float32)
        region *= (1.0 - rng.uniform(0.1, 0.4) * sh)[..., None]
    # A lifted corner catches the light differently.
    if pose.lift_corner >= 0:
        z = _lift(pose, u, v).astype(np.float32)
        warped *= (1.0 + rng.uniform(-0.04, 0.03) * z)[..., None]
    a = alpha[..., None]
    region[:] = region * (1 - a) + (warped / 255.0)[..., ::-1] * a
    np.maximum(docmask[y0:y1, x0:x1], alpha, out=docmask[y0:y1, x0:x1])


def _soft(m: F32, sigma: float) -> F32:
    """A wide Gaussian blur, on a quarter-size copy (a full-size one takes seconds)."""
    h, w = m.shape[:2]
    if sigma < 8 or min(h, w) < 16:
        return np.asarray(cv2.GaussianBlur(m, (0, 0), max(sigma, 0.3)), np.float32)
    small = cv2.resize(m, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / 4)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def _capsule(p0: F64, p1: F64, r0: float, r1: float) -> NDArray[np.int32]:
    """A tapered capsule from p0 (radius r0, round end) to p1 (radius r1)."""
    d = p1 - p0
    L = float(np.linalg.norm(d)) + 1e-9
    u = d / L
    n = np.array([-u[1], u[0]])
    ang = math.degrees(math.atan2(u[1], u[0]))
    tip = cv2.ellipse2Poly((round(p0[0]), round(p0[1])), (round(r0), round(r0)), round(ang), 90, 270, 10)
    pts = np.vstack([tip, [p1 - n * r1], [p1 + n * r1]])
    return np.asarray(pts, np.int32)


def _hand(scene: F32, rng: Rng, tip: F64, direction: F64, ppm: float, light_dir: F64) -> None:
    """Fingers (and the palm behind them) reaching from `tip` along `direction` (out of the
    page), with a soft shadow cast away from the light."""
    h, w = scene.shape[:2]
    u = direction / (np.linalg.norm(direction) + 1e-9)
    n = np.array([-u[1], u[0]])
    polys = []
    fingers = int(rng.choice([1, 1, 2, 3, 4]))
    width = rng.uniform(14, 19) * ppm
    side = rng.choice([-1.0, 1.0])
    for k in range(fingers):
        back = (0 if k == 0 else rng.uniform(5, 25)) * ppm
        p0 = tip + u * back + n * side * k * width * 1.05
        length = rng.uniform(75, 95) * ppm
        p1 = p0 + u * length + n * rng.normal(0, 4) * ppm
        polys.append(_capsule(p0, p1, width / 2 * 0.92, width / 2))
    palm_c = tip + u * rng.uniform(105, 125) * ppm + n * side * (fingers - 1) * width * 0.5
    palm = cv2.ellipse2Poly((round(palm_c[0]), round(palm_c[1])), (round(48 * ppm), round(44 * ppm)),
                            round(math.degrees(math.atan2(u[1], u[0]))), 0, 360, 8)
    polys.append(np.asarray(palm, np.int32))
    # Draw on the bounding box only (a hand is 10-20 % of the frame).
    allp = np.vstack(polys)
    pad = int(40 * ppm)
    x0, y0 = max(0, int(allp[:, 0].min()) - pad), max(0, int(allp[:, 1].min()) - pad)
    x1, y1 = min(w, int(allp[:, 0].max()) + pad), min(h, int(allp[:, 1].max()) + pad)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for p in polys:
        cv2.fillPoly(mask, [p - [x0, y0]], 255, cv2.LINE_AA)
    m = mask.astype(np.float32) / 255.0
    region = scene[y0:y1, x0:x1]
    # The shadow: the hand's silhouette, offset away from the light and blurred (the
    # hand hovers a few cm above the page).
    off = -light_dir * rng.uniform(4, 14) * ppm
    sh = cv2.warpAffine(m, np.array([[1, 0, off[0]], [0, 1, off[1]]], np.float32), (x1 - x0, y1 - y0))
    sh = _soft(np.asarray(sh, np.float32), rng.uniform(2, 8) * ppm)
    region *= (1.0 - rng.uniform(0.25, 0.5) * sh)[..., None]
    skin = np.array(rng.choice([[0.62, 0.72, 0.9], [0.5, 0.6, 0.82], [0.35, 0.45, 0.65], [0.2, 0.28, 0.42]]),
                    np.float32) * rng.uniform(0.9, 1.1)
    # Round fingers: lighter along their middle.
    core = _soft(m, width * 0.25)
    tone = skin[None, None, :] * (0.75 + 0.35 * core)[..., None]
    region[:] = region * (1 - m[..., None]) + tone * m[..., None]


def _pen(scene: F32, rng: Rng, ppm: float) -> None:
    h, w = scene.shape[:2]
    c = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    a = rng.uniform(0, math.pi)
    u = np.array([math.cos(a), math.sin(a)])
    L = rng.uniform(120, 150) * ppm
    r = rng.uniform(4, 6) * ppm
    poly = _capsule(c - u * L / 2, c + u * L / 2, r, r)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [poly], 255, cv2.LINE_AA)
    col = np.array(rng.uniform(0.05, 0.9, 3), np.float32)
    m = (mask.astype(np.float32) / 255.0)[..., None]
    scene[:] = scene * (1 - m) + col * m


def _coin(scene: F32, rng: Rng, ppm: float) -> None:
    h, w = scene.shape[:2]
    c = (round(rng.uniform(0, w)), round(rng.uniform(0, h)))
    r = round(rng.uniform(9, 13) * ppm)
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, c, r, 255, -1, cv2.LINE_AA)
    col = np.array([0.55, 0.65, 0.72], np.float32) * rng.uniform(0.7, 1.1)
    m = (mask.astype(np.float32) / 255.0)[..., None]
    scene[:] = scene * (1 - m) + col * m


def _clip(scene: F32, rng: Rng, ppm: float) -> None:
    """A paper clip: a thin wire loop."""
    h, w = scene.shape[:2]
    c = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    a = math.degrees(rng.uniform(0, math.pi))
    mask = np.zeros((h, w), np.uint8)
    for ax in ((16, 4.5), (13, 3.0)):
        cv2.ellipse(mask, (round(c[0]), round(c[1])), (round(ax[0] * ppm), round(ax[1] * ppm)), a, 0, 360, 255,
                    max(1, round(0.8 * ppm)), cv2.LINE_AA)
    m = (mask.astype(np.float32) / 255.0)[..., None]
    scene[:] = scene * (1 - m) + np.float32(0.7) * m


# -- the camera ----------------------------------------------------------------------------


def _illumination(rng: Rng, w: int, h: int, cam: _Camera) -> tuple[F32, F64]:
    """Light falling on the scene at frame size (3 channels) and the light's direction."""
    lw, lh = 256, max(2, round(256 * h / w))
    yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
    xn, yn = (xx / lw - 0.5) * 2, (yy / lh - 0.5) * 2 * h / w
    ang = rng.uniform(0, 2 * math.pi)
    ldir = np.array([math.cos(ang), math.sin(ang)])
    grad = 1.0 + rng.uniform(0, 0.3) * (xn * ldir[0] + yn * ldir[1]) / 2
    # cos⁴ fall-off of a wide lens, and the lamp's own hot spot.
    r2 = xn**2 + yn**2
    vig = (1.0 / (1.0 + rng.uniform(0.0, 0.35) * r2)) ** 2
    spot = 1.0 + rng.uniform(0, 0.25) * np.exp(-((xn - rng.normal(0, 0.3)) ** 2 + (yn - rng.normal(0, 0.3)) ** 2)
                                            / rng.uniform(0.2, 0.8))
    light = grad * vig * spot
    if rng.random() < 0.3:
        # The camera head's shadow: a soft dark blob.
        cx, cy = rng.uniform(0.2, 0.8) * lw, rng.uniform(0.0, 0.3) * lh
        blob = np.exp(-(((xx - cx) / (rng.uniform(0.1, 0.25) * lw)) ** 2 + ((yy - cy) / (0.15 * lh)) ** 2))
        light *= 1.0 - rng.uniform(0.15, 0.4) * blob
    light /= float(np.percentile(light, 90))
    # Colour temperature: tungsten warm to north-window cool (B, G, R gains).
    temp = rng.uniform(-1, 1)
    cast = np.array([1.0 - 0.15 * temp, 1.0, 1.0 + 0.12 * temp], np.float32)
    l3 = light[..., None] * cast[None, None, :] * rng.uniform(0.75, 1.05)
    return _up(l3, w, h), ldir


def _lens(img: F32, cam: _Camera) -> F32:
    """Radial distortion by inverse mapping, maps computed on a coarse grid."""
    if cam.k1 == 0.0:
        return img
    h, w = img.shape[:2]

    def undistort(xy: F64) -> F64:
        d = (xy - cam.centre) / cam.half_diag
        und = d.copy()
        for _ in range(4):  # x_d = x_u (1 + k1 r_u²): solve for x_u
            r2 = np.sum(und * und, axis=-1, keepdims=True)
            und = d / (1 + cam.k1 * r2)
        return np.asarray(cam.centre + und * cam.half_diag, np.float64)

    mp = _smooth_map(undistort, 0, 0, w, h, 8)
    out = cv2.remap(img, np.ascontiguousarray(mp[..., 0]), np.ascontiguousarray(mp[..., 1]), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REFLECT)
    return np.asarray(out, np.float32)


def _optics(img: F32, rng: Rng, scale: float) -> tuple[F32, str]:
    if rng.random() < 0.15:
        length = rng.uniform(3, 10) * scale
        k = max(3, int(length) | 1)
        ker = np.zeros((k, k), np.float32)
        ker[k // 2, :] = 1.0
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
        ker = np.asarray(cv2.warpAffine(ker, rot, (k, k)), np.float32)
        ker /= ker.sum()
        return np.asarray(cv2.filter2D(img, -1, ker), np.float32), "motion"
    r = rng.uniform(0.5, 3.2) * scale
    k = 2 * math.ceil(r) + 1
    disc = np.zeros((k, k), np.float32)
    cv2.circle(disc, (k // 2, k // 2), max(1, round(r)), 1.0, -1, cv2.LINE_AA)
    disc /= disc.sum()
    return np.asarray(cv2.filter2D(img, -1, disc), np.float32), ("defocus" if r > 2.2 * scale else "")


def _sensor(img: F32, rng: Rng) -> Image:
    """Bayer mosaic (BGGR) with shot and read noise, demosaiced, then the ISP: white
    balance, tone curve, sharpening."""
    h, w = img.shape[:2]
    h2, w2 = h - h % 2, w - w % 2
    img = img[:h2, :w2]
    raw = np.empty((h2, w2), np.float32)
    raw[0::2, 0::2] = img[0::2, 0::2, 0]  # B
    raw[0::2, 1::2] = img[0::2, 1::2, 1]  # G
    raw[1::2, 0::2] = img[1::2, 0::2, 1]  # G
    raw[1::2, 1::2] = img[1::2, 1::2, 2]  # R
    gain = rng.uniform(0.6, 2.5)  # ISO
    sig = np.sqrt(np.float32(rng.uniform(0.5, 2.0) / 255.0) ** 2 + raw * np.float32(gain * 0.6 / 255.0))
    raw += sig * rng.standard_normal((h2, w2), dtype=np.float32)
    raw8 = np.clip(raw * 255.0, 0, 255).astype(np.uint8)
    method = cv2.COLOR_BayerRG2BGR_EA if rng.random() < 0.5 else cv2.COLOR_BayerRG2BGR
    # OpenCV names Bayer patterns from the second row's second pixel: BGGR here is "RG".
    rgb = np.asarray(cv2.cvtColor(raw8, method), np.uint8)
    wb = rng.normal(1.0, 0.04, 3)
    curve = np.arange(256) / 255.0
    s_amt = rng.uniform(0.0, 0.25)
    tone = curve + s_amt * (curve - 0.5) * (1 - np.abs(2 * curve - 1))
    gamma = rng.uniform(0.85, 1.15)
    lut = np.stack([np.clip(np.clip(tone * g, 0, 1) ** gamma * 255, 0, 255) for g in wb], axis=1)
    out = np.asarray(cv2.LUT(rgb, lut.astype(np.uint8).reshape(256, 1, 3)), np.uint8)
    if rng.random() < 0.75:
        amt = rng.uniform(0.3, 1.3)
        blur = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.8, 2.0))
        out = np.asarray(cv2.addWeighted(out, 1 + amt, blur, -amt, 0), np.uint8)
    if (h2, w2) != (h, w):
        out = np.asarray(cv2.copyMakeBorder(out, 0, h - h2, 0, w - w2, cv2.BORDER_REPLICATE), np.uint8)
    return out


def _jpeg(img: Image, rng: Rng) -> Image:
    for _ in range(2 if rng.random() < 0.3 else 1):
        sub = cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422 if rng.random() < 0.3 else cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420
        q = int(rng.integers(55, 93))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, sub])
        if ok:
            img = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)
    return img


# -- placement -----------------------------------------------------------------------------


def _doc_size(rng: Rng, doc: str) -> tuple[float, float, float]:
    wmm, hmm, r = DOCS[doc]
    if doc == "receipt":
        wmm = float(rng.choice([58.0, 80.0]))
        hmm = float(rng.uniform(110, 300))
    return wmm, hmm, r


def _pose(rng: Rng, cam: _Camera, size: tuple[float, float], r: float, w: int, h: int, *, cut: bool,
          avoid: list[Quad], curl: bool) -> tuple[_Pose, Quad] | None:
    """A pose on the desk: inside the frame with a margin (or running off it, `cut`),
    apart from `avoid`."""
    wmm, hmm = size
    inv = np.linalg.inv(cam.hom)
    ctr = _apply_h(inv, cam.centre[None])[0]
    span = _apply_h(inv, np.array([[0.0, 0.0], [w - 1.0, h - 1.0]]))
    half = np.abs(span[1] - span[0]) / 2
    for _ in range(300):
        if rng.random() < 0.45:
            theta = rng.uniform(0, 2 * math.pi)
        else:
            theta = float(rng.choice([0, 0, 0, math.pi / 2, math.pi, 3 * math.pi / 2])) + rng.normal(0, 0.06)
        c, s = math.cos(theta), math.sin(theta)
        off = ctr + rng.uniform(-1, 1, 2) * half * (1.1 if cut else 0.85)
        rot = np.array([[c, -s], [s, c]])
        t = off - rot @ np.array([wmm / 2, hmm / 2])
        to_desk = np.array([[c, -s, t[0]], [s, c, t[1]], [0, 0, 1.0]])
        lift_corner = int(rng.integers(0, 4)) if curl and rng.random() < 0.25 else -1
        bulge = float(rng.uniform(1, 4)) if curl and r == 0 and rng.random() < 0.15 else 0.0
        pose = _Pose(to_desk, (wmm, hmm), r, lift_corner, float(rng.uniform(2, 8)),
                     float(rng.uniform(25, 70)), bulge)
        q = _distort(cam, _project(cam, pose, np.array([[0, 0], [wmm, 0], [wmm, hmm], [0, hmm]], np.float64)))
        m = 0.012 * max(w, h)
        inside = (q[:, 0] >= m) & (q[:, 0] <= w - 1 - m) & (q[:, 1] >= m) & (q[:, 1] <= h - 1 - m)
        if cut:
            out = (q[:, 0] < -2) | (q[:, 0] > w + 1) | (q[:, 1] < -2) | (q[:, 1] > h + 1)
            centre_in = 0 <= q[:, 0].mean() < w and 0 <= q[:, 1].mean() < h
            if out.any() and centre_in:
                return pose, as_quad(q)
            continue
        if not inside.all():
            continue
        if avoid:
            from drivers.camera.geometry import iou

            grown = [(a - a.mean(axis=0)) * 1.12 + a.mean(axis=0) for a in avoid]
            if any(iou(q, g) > 0 for g in grown):
                continue
        return pose, as_quad(q)
    return None


# -- the generator -------------------------------------------------------------------------


def make_frame(seed: int, *, size: tuple[int, int] | None = None, scene: str | None = None, doc: str | None = None,
               desk: str | None = None) -> SynthFrame:
    """One photo-like frame. `scene`: page, empty, cut, two_pages or dark."""
    rng = np.random.default_rng([seed, 0x9E37])
    w, h = size or RESOLUTIONS[int(rng.integers(0, len(RESOLUTIONS)))]
    scene = scene or "page"
    names = list(DOC_WEIGHTS)
    probs = np.array([DOC_WEIGHTS[n] for n in names])
    doc = doc or str(rng.choice(names, p=probs / probs.sum()))
    desk = desk or str(rng.choice(DESKS))
    tags: list[str] = []
    if scene == "dark":
        img = np.clip(rng.normal(rng.uniform(2, 9), 2.0, (h, w, 1)), 0, 255).astype(np.uint8)
        return SynthFrame(np.ascontiguousarray(np.repeat(img, 3, axis=2)), (), scene, "", "dark", (), (), seed)
    # Field of view across the frame: a 高拍仪 sees roughly A3 (420 mm); wider frames
    # see more so an A4 still fits their height.
    fov = rng.uniform(340, 500) * (1.2 if w / h > 1.5 else 1.0)
    if doc in ("id_card", "bank_card", "business_card") and rng.random() < 0.4:
        fov *= 0.7  # the camera lowered, or zoomed, for a card
    ppm = w / fov
    cam = _camera(rng, w, h, ppm)
    scene_img = _desk(rng, desk, w, h, ppm)
    docmask = np.zeros((h, w), np.float32)
    quads: list[Quad] = []
    kinds: list[str] = []
    n_docs = {"page": 1, "cut": 1, "two_pages": 2, "empty": 0}.get(scene, 1)
    for k in range(n_docs):
        kind = doc if k == 0 else str(rng.choice(names, p=probs / probs.sum()))
        wmm, hmm, r = _doc_size(rng, kind)
        placed = _pose(rng, cam, (wmm, hmm), r, w, h, cut=scene == "cut", avoid=quads, curl=kind not in GLOSSY)
        if placed is None and (wmm > 150 or hmm > 150):
            # Too big for this frame in any pose: turn it to fit the frame's long side.
            placed = _pose(rng, cam, (wmm * 0.8, hmm * 0.8), r, w, h, cut=scene == "cut", avoid=quads, curl=False)
            wmm, hmm = wmm * 0.8, hmm * 0.8
        if placed is None:
            continue
        pose, quad = placed
        if pose.lift_corner >= 0 or pose.bulge_mm:
            tags.append("curl")
        dppm = min(ppm * rng.uniform(0.8, 1.25), 3200 / max(wmm, hmm))
        face = _render_doc(rng, kind, wmm, hmm, dppm)
        _composite_doc(scene_img, cam, pose, face, rng.uniform(0.0, 0.8), rng, docmask)
        quads.append(quad)
        kinds.append(kind)
    for _ in range(int(rng.integers(0, 3)) if rng.random() < 0.35 else 0):
        tags.append("clutter")
        [_pen, _coin, _clip][int(rng.integers(0, 3))](scene_img, rng, ppm)
    light, ldir = _illumination(rng, w, h, cam)
    if quads and kinds[0] in GLOSSY and rng.random() < 0.5:
        tags.append("glare")
        q = quads[0]
        p = q.mean(axis=0) + (q[int(rng.integers(0, 4))] - q.mean(axis=0)) * rng.uniform(0.0, 0.95)
        # A specular spot of the lamp on the glossy face (a quarter-size map, upsampled).
        yy, xx = np.mgrid[0 : h // 4, 0 : w // 4].astype(np.float32) * 4 + 1.5
        sig = rng.uniform(6, 25) * ppm
        sy = sig * rng.uniform(0.4, 1.5)
        spot = np.exp(-((xx - p[0]) ** 2 / (2 * sig**2) + (yy - p[1]) ** 2 / (2 * sy**2)))
        amp = rng.uniform(0.4, 1.6)
        scene_img += (amp * _up(spot, w, h) * docmask)[..., None]
    if quads and rng.random() < 0.4:
        tags.append("hand")
        q = quads[0]
        i = int(rng.integers(0, 4))
        on_corner = rng.random() < 0.35
        t = 0.0 if on_corner else rng.uniform(0.15, 0.85)
        edge_pt = q[i] + (q[(i + 1) % 4] - q[i]) * t
        out = edge_pt - q.mean(axis=0)
        c, s = math.cos(rng.normal(0, 0.4)), math.sin(rng.normal(0, 0.4))
        out = np.array([c * out[0] - s * out[1], s * out[0] + c * out[1]])
        out /= np.linalg.norm(out) + 1e-9
        tip = edge_pt - out * rng.uniform(3, 15) * ppm
        _hand(scene_img, rng, tip, out, ppm, ldir)
    elif scene == "empty" and rng.random() < 0.3:
        tags.append("hand")
        tip = np.array([rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h])
        a = rng.uniform(0, 2 * math.pi)
        _hand(scene_img, rng, tip, np.array([math.cos(a), math.sin(a)]), ppm, ldir)
    scene_img *= light
    scene_img = _lens(scene_img, cam)
    scene_img, blur = _optics(scene_img, rng, w / 4208)
    if blur:
        tags.append(blur)
    img = _jpeg(_sensor(np.clip(scene_img, 0, 1.2), rng), rng)
    return SynthFrame(np.ascontiguousarray(img), tuple(quads), scene, kinds[0] if kinds else "", desk, tuple(tags),
                      (), seed)


def page_set(n: int, *, seed: int = 0, size: tuple[int, int] | None = None) -> Iterator[SynthFrame]:
    """`n` single-document frames over every desk, at mixed resolutions unless `size`."""
    for i in range(n):
        yield make_frame(seed * 1_000_003 + i, size=size, scene="page", desk=DESKS[i % len(DESKS)])


def empty_set(n: int, *, seed: int = 0, size: tuple[int, int] | None = None) -> Iterator[SynthFrame]:
    for i in range(n):
        yield make_frame(seed * 1_000_003 + 500_000 + i, size=size, scene="empty", desk=DESKS[i % len(DESKS)])
