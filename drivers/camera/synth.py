"""Synthetic document-camera frames with known page corners (tests, bench and `sim://`).

Every frame is drawn from a seed, so a failing case can be replayed exactly. The
generator aims to be hard rather than pretty: white paper on a white desk, fingers over
an edge or a corner, shadows crossing the page, glare, lighting gradients, defocus,
sensor noise and JPEG, perspective and any rotation, printed borders and grid mats
that look like page edges. It follows the test-double recipe of
hardware-protocols.md §4.4 (render a document onto a background, random homography,
blur, gamma, glare blob; score with the Jaccard index).

Ground-truth corners are the corners of the physical page (the sharp corners of the
rectangle for a card with rounded corners), in frame pixels with pixel centres on
integers, ordered TL, TR, BR, BL of the document itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera.geometry import Quad, as_quad

Image = NDArray[np.uint8]

FULL_SIZE = (4208, 3120)  # 13 MP, the sensor size named in the issue
PREVIEW_SIZE = (1920, 1080)

# Physical sizes in millimetres (ISO 216 A4; ISO/IEC 7810 ID-1).
DOC_SIZES_MM = {"a4": (210.0, 297.0), "id1": (85.6, 54.0)}
CARD_CORNER_RADIUS_MM = 3.18

BACKGROUNDS = ("dark_base", "wood", "light_gray", "white_desk", "textured", "cutting_mat", "fabric")
DOCS = ("a4", "id1", "strip")
SCENES = ("page", "empty", "two_pages", "cut", "black")


@dataclass(frozen=True)
class SynthFrame:
    image: Image = field(repr=False)
    quads: tuple[Quad, ...] = field(repr=False)  # ground truth, one per document
    scene: str
    doc: str
    background: str
    tags: tuple[str, ...] = ()
    codes: tuple[tuple[str, str], ...] = ()  # (format, text) printed in the frame
    seed: int = 0
    code_quads: tuple[Quad, ...] = field(default=(), repr=False)  # where the codes lie, frame px

    @property
    def quad(self) -> Quad | None:
        return self.quads[0] if self.quads else None


# -- small helpers ----------------------------------------------------------------------


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> NDArray[np.float32]:
    """Zero-mean, unit-ish smooth noise: random cells upsampled bicubically."""
    h, w = shape
    ch = max(2, round(cells * h / max(h, w)))
    cw = max(2, round(cells * w / max(h, w)))
    small = rng.standard_normal((ch, cw)).astype(np.float32)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.float32)


def _noise_tile(rng: np.random.Generator, sigma: float) -> Image:
    """A 509×509 tile of Gaussian noise centred on 32, tiled over a frame (randn on
    13 MP takes 0.2 s; tiling a prime-sized tile shows no visible period)."""
    tile = rng.normal(32.0, sigma, (509, 509, 3))
    return np.clip(tile, 0, 64).astype(np.uint8)


def _add_noise(img: Image, rng: np.random.Generator, sigma: float) -> Image:
    h, w = img.shape[:2]
    tile = _noise_tile(rng, sigma)
    reps = (h // 509 + 2, w // 509 + 2, 1)
    oy, ox = int(rng.integers(0, 509)), int(rng.integers(0, 509))
    big = np.tile(tile, reps)[oy : oy + h, ox : ox + w]
    out = cv2.add(img, big)
    return np.asarray(cv2.subtract(out, np.full(3, 32.0)), dtype=np.uint8)


def _u8(a: object) -> Image:
    return np.asarray(a, dtype=np.uint8)


def _pt(p: NDArray[np.floating]) -> tuple[int, int]:
    return (int(p[0]), int(p[1]))


def _bgr(v: tuple[float, float, float]) -> tuple[int, int, int]:
    return (int(np.clip(v[0], 0, 255)), int(np.clip(v[1], 0, 255)), int(np.clip(v[2], 0, 255)))


# -- backgrounds --------------------------------------------------------------------------


def _background(rng: np.random.Generator, kind: str, w: int, h: int, ppm: float) -> tuple[Image, float]:
    """A desk of the given kind at frame size, and its mean luminance (0-255)."""
    lw, lh = max(64, w // 4), max(48, h // 4)
    if kind == "dark_base":
        base = np.array([_u(rng, 25, 60)] * 3) + rng.normal(0, 4, 3)
        field_ = base[None, None, :] + 6.0 * _smooth_noise(rng, (lh, lw), 6)[..., None]
        img = np.clip(field_, 0, 255).astype(np.uint8)
        img = _u8(cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR))
        if rng.random() < 0.5:
            # Printed A4/A3 guide marks on the camera base: L-shaped corner marks.
            c = _bgr(tuple(base + _u(rng, 40, 90)))
            mw, mh = 297 * ppm * _u(rng, 0.9, 1.2), 210 * ppm * _u(rng, 0.9, 1.2)
            x0, y0 = (w - mw) / 2, (h - mh) / 2
            arm, th = int(25 * ppm), max(2, int(1.2 * ppm))
            for cx, cy, sx, sy in ((x0, y0, 1, 1), (x0 + mw, y0, -1, 1), (x0 + mw, y0 + mh, -1, -1), (x0, y0 + mh, 1, -1)):
                p = (int(cx), int(cy))
                cv2.line(img, p, (int(cx + sx * arm), int(cy)), c, th, cv2.LINE_AA)
                cv2.line(img, p, (int(cx), int(cy + sy * arm)), c, th, cv2.LINE_AA)
    elif kind == "wood":
        base = np.array([_u(rng, 40, 90), _u(rng, 80, 130), _u(rng, 120, 180)])
        yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
        warp = 8.0 * _smooth_noise(rng, (lh, lw), 5)
        angle = rng.choice([0.0, math.pi / 2]) + _u(rng, -0.05, 0.05)
        u = xx * math.cos(angle) + yy * math.sin(angle)
        v = -xx * math.sin(angle) + yy * math.cos(angle)
        grain = np.sin((v + warp) * _u(rng, 0.25, 0.6)) * 0.5 + 0.5 * np.sin((v + 2 * warp) * 0.09)
        shade = 1.0 + 0.12 * grain + 0.05 * _smooth_noise(rng, (lh, lw), 12)
        img_f = base[None, None, :] * shade[..., None]
        # Plank seams: dark straight lines across the desk, the worst distractor for
        # a line-based detector.
        plank = _u(rng, 0.25, 0.5) * lw
        seams = (np.mod(u + _u(rng, 0, plank), plank) < 1.2).astype(np.float32)
        img_f *= (1.0 - 0.35 * seams)[..., None]
        img = _u8(cv2.resize(np.clip(img_f, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR))
    elif kind == "light_gray":
        g = _u(rng, 150, 200)
        base = np.array([g, g, g]) + rng.normal(0, 5, 3)
        field_ = base[None, None, :] + 5.0 * _smooth_noise(rng, (lh, lw), 8)[..., None]
        img = _u8(cv2.resize(np.clip(field_, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR))
    elif kind == "white_desk":
        # Low contrast: a white-ish laminate only 8-30 levels darker than the paper.
        g = _u(rng, 200, 228)
        base = np.array([g - _u(rng, 0, 8), g - _u(rng, 0, 4), g]) + rng.normal(0, 2, 3)
        field_ = base[None, None, :] + 3.0 * _smooth_noise(rng, (lh, lw), 10)[..., None]
        img = _u8(cv2.resize(np.clip(field_, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR))
    elif kind == "textured":
        g = _u(rng, 70, 170)
        base = np.array([g, g * _u(rng, 0.9, 1.1), g * _u(rng, 0.9, 1.15)])
        n = (
            12.0 * _smooth_noise(rng, (lh, lw), 40)
            + 10.0 * rng.standard_normal((lh, lw)).astype(np.float32)
            + 8.0 * _smooth_noise(rng, (lh, lw), 8)
        )
        img_f = base[None, None, :] + n[..., None]
        img = _u8(cv2.resize(np.clip(img_f, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_CUBIC))
    elif kind == "cutting_mat":
        base = np.array([_u(rng, 60, 90), _u(rng, 100, 130), _u(rng, 40, 70)])
        img = np.empty((h, w, 3), np.uint8)
        img[:] = _bgr(tuple(base))
        line_c = _bgr(tuple(base + 70))
        step = 10 * ppm * _u(rng, 0.9, 1.1)
        ox, oy = _u(rng, 0, step), _u(rng, 0, step)
        k = 0
        x = ox
        while x < w:
            cv2.line(img, (int(x), 0), (int(x), h), line_c, max(1, int(0.3 * ppm * (3 if k % 5 == 0 else 1))))
            x += step
            k += 1
        k = 0
        y = oy
        while y < h:
            cv2.line(img, (0, int(y)), (w, int(y)), line_c, max(1, int(0.3 * ppm * (3 if k % 5 == 0 else 1))))
            y += step
            k += 1
    else:  # fabric: a fine diagonal weave with slow colour variation
        base = np.array([_u(rng, 60, 200), _u(rng, 60, 200), _u(rng, 60, 200)])
        yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
        weave = np.sin((xx + yy) * 1.3) * np.sin((xx - yy) * 1.3)
        img_f = base[None, None, :] * (1.0 + 0.08 * weave + 0.06 * _smooth_noise(rng, (lh, lw), 6))[..., None]
        img = _u8(cv2.resize(np.clip(img_f, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR))
    lum = float(np.mean(cv2.cvtColor(cv2.resize(img, (64, 48)), cv2.COLOR_BGR2GRAY)))
    return np.ascontiguousarray(img), lum


# -- documents ----------------------------------------------------------------------------


def _paper_color(rng: np.random.Generator, desk_lum: float, low_contrast: bool) -> NDArray[np.float64]:
    # Low contrast: paper only a little brighter than the desk (white on a white desk).
    g = min(252.0, desk_lum + _u(rng, 9, 25)) if low_contrast else _u(rng, 228, 252)
    tint = rng.normal(0, 3, 3)
    if rng.random() < 0.2:
        tint += np.array([-10.0, -2.0, 4.0])  # yellowish recycled paper
    return np.clip(np.array([g, g, g]) + tint, 0, 255)


def _text_block(
    img: Image, rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float, line_h: float,
    color: tuple[int, int, int],
) -> None:
    """Rows of word-like dark rectangles, ragged right, between (x0,y0) and (x1,y1)."""
    y = y0
    while y + line_h < y1:
        x = x0 + (line_h * 2 if rng.random() < 0.15 else 0)
        end = x1 - (rng.uniform(0, (x1 - x0) * 0.6) if rng.random() < 0.2 else rng.uniform(0, line_h * 2))
        while x < end:
            wlen = line_h * rng.uniform(0.8, 4.5)
            xe = min(x + wlen, end)
            hh = line_h * rng.uniform(0.45, 0.65)
            cv2.rectangle(img, (int(x), int(y)), (int(xe), int(y + hh)), color, -1)
            x = xe + line_h * rng.uniform(0.3, 0.7)
        y += line_h * rng.uniform(1.5, 1.9)


def _seal(img: Image, rng: np.random.Generator, cx: float, cy: float, r: float) -> None:
    """A red official seal (公章): ring, star and an arc of characters."""
    red = _bgr((rng.uniform(20, 60), rng.uniform(20, 50), rng.uniform(190, 235)))
    overlay = img.copy()
    th = max(2, int(r * 0.06))
    cv2.circle(overlay, (int(cx), int(cy)), int(r), red, th, cv2.LINE_AA)
    star = []
    for k in range(10):
        rad = r * (0.28 if k % 2 == 0 else 0.11)
        a = -math.pi / 2 + k * math.pi / 5
        star.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    cv2.fillPoly(overlay, [np.array(star, np.int32)], red, cv2.LINE_AA)
    for k in range(14):
        a = math.pi * (0.85 + k * 1.3 / 13)
        px, py = cx + 0.72 * r * math.cos(a), cy + 0.72 * r * math.sin(a)
        s = r * 0.09
        cv2.rectangle(overlay, (int(px - s), int(py - s)), (int(px + s), int(py + s)), red, -1)
    alpha = rng.uniform(0.7, 0.95)
    cv2.addWeighted(overlay, alpha, img, 1 - alpha, 0, dst=img)


def _code_image(text: str, fmt: str) -> Image:
    import zxingcpp

    f = zxingcpp.BarcodeFormat.QRCode if fmt == "QRCode" else zxingcpp.BarcodeFormat.Code128
    code = zxingcpp.create_barcode(text, f)
    arr = np.asarray(zxingcpp.write_barcode_to_image(code, scale=1, add_quiet_zones=True))
    return np.ascontiguousarray(arr.astype(np.uint8))


def _paste_code(
    img: Image, text: str, fmt: str, module_px: float, cx: float, cy: float, angle_deg: float,
    paper_bgr: tuple[int, int, int], bar_h_px: float = 0.0,
) -> NDArray[np.float64]:
    """Print a code onto a document image: modules scaled with nearest neighbour,
    rotated about its centre, dark ink multiplied in (quiet zone kept white)."""
    mod = _code_image(text, fmt)
    if fmt == "Code128":
        mod = mod[:1]
        rows = max(1, round(bar_h_px / module_px))
        mod = np.repeat(mod, rows, axis=0)
        pad = np.full((max(1, rows // 8), mod.shape[1]), 255, np.uint8)
        mod = np.vstack([pad, mod, pad])
    big = cv2.resize(
        mod, (round(mod.shape[1] * module_px), round(mod.shape[0] * module_px)),
        interpolation=cv2.INTER_NEAREST,
    )
    h, w = big.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos) + 2, int(h * cos + w * sin) + 2
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    rot = cv2.warpAffine(big, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=255)
    x0, y0 = int(cx - nw / 2), int(cy - nh / 2)
    box = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    box = box @ m[:, :2].T + m[:, 2] + [x0, y0]
    cover = cv2.warpAffine(np.full_like(big, 255), m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=0)
    H, W = img.shape[:2]
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + nw), min(H, y0 + nh)
    if xb <= xa or yb <= ya:
        return box
    patch = rot[ya - y0 : yb - y0, xa - x0 : xb - x0].astype(np.float32)[..., None] / 255.0
    alpha = cover[ya - y0 : yb - y0, xa - x0 : xb - x0].astype(np.float32)[..., None] / 255.0
    region = img[ya:yb, xa:xb].astype(np.float32)
    # Printed in a clear area: the label (quiet zone included) covers whatever was there.
    paper = np.asarray(paper_bgr, np.float32)[None, None, :]
    ink = np.array([40.0, 35.0, 30.0], np.float32)[None, None, :]
    label = paper * patch + ink * (1 - patch)
    out = region * (1 - alpha) + label * alpha
    img[ya:yb, xa:xb] = np.clip(out, 0, 255).astype(np.uint8)
    return box


def _render_a4(
    rng: np.random.Generator, ppm: float, paper: NDArray[np.float64], codes: list[tuple[str, str, float, float]],
    boxes: list[NDArray[np.float64]],
) -> Image:
    w, h = round(210 * ppm), round(297 * ppm)
    img = np.empty((h, w, 3), np.uint8)
    img[:] = _bgr(tuple(paper))
    ink = _bgr(tuple(rng.uniform(15, 60, 3)))
    style = rng.choice(["letter", "form", "certificate", "sparse", "banner"], p=[0.35, 0.2, 0.15, 0.15, 0.15])
    m = ppm * rng.uniform(12, 25)
    lh = ppm * rng.uniform(3.5, 6.0)
    if style == "certificate":
        # A printed border a few mm inside the page edge: a quad that is not the page.
        inset = ppm * rng.uniform(4, 10)
        col = _bgr((rng.uniform(20, 120), rng.uniform(60, 140), rng.uniform(120, 200)))
        cv2.rectangle(img, (int(inset), int(inset)), (int(w - inset), int(h - inset)), col, max(2, int(ppm * 1.5)))
        cv2.rectangle(img, (int(inset * 1.6), int(inset * 1.6)), (int(w - inset * 1.6), int(h - inset * 1.6)), col,
                      max(1, int(ppm * 0.4)))
        m = inset * 2.5
    if style == "banner":
        # A coloured header band running to the page edges.
        col = _bgr(tuple(rng.uniform(60, 200, 3)))
        cv2.rectangle(img, (0, 0), (w, int(ppm * rng.uniform(20, 45))), col, -1)
        m = max(m, ppm * 50)
    # Title
    tw = w * rng.uniform(0.3, 0.6)
    cv2.rectangle(img, (int(w / 2 - tw / 2), int(m)), (int(w / 2 + tw / 2), int(m + lh * 1.1)), ink, -1)
    top = m + lh * 3
    if style == "form":
        rows = int(rng.integers(6, 14))
        rh = (h - top - m) / rows * rng.uniform(0.5, 0.9)
        for r in range(rows + 1):
            y = int(top + r * rh)
            cv2.line(img, (int(m), y), (int(w - m), y), ink, max(1, int(ppm * 0.3)))
        for x in (m, w * rng.uniform(0.3, 0.45), w - m):
            cv2.line(img, (int(x), int(top)), (int(x), int(top + rows * rh)), ink, max(1, int(ppm * 0.3)))
        _text_block(img, rng, m + lh, top + lh * 0.5, w * 0.28, top + rows * rh, rh, ink)
        top = top + rows * rh + lh
    if style != "sparse":
        _text_block(img, rng, m, top, w - m, h - m * 1.5, lh, ink)
    else:
        _text_block(img, rng, m, top, w - m, top + (h - top) * 0.25, lh, ink)
    if rng.random() < 0.6:
        _seal(img, rng, w * rng.uniform(0.55, 0.8), h * rng.uniform(0.7, 0.88), ppm * rng.uniform(18, 22))
    placed: list[tuple[float, float, float]] = []
    for text, fmt, module_mm, angle in codes:
        # Radius of the label (quiet zone included): codes are printed apart.
        radius = module_mm * ppm * (20 if fmt == "QRCode" else 75)
        cx = cy = 0.0
        for _ in range(50):
            cx = rng.uniform(m + radius, w - m - radius)
            cy = rng.uniform(h * 0.15, h * 0.85)
            if all(math.hypot(cx - px, cy - py) > radius + pr for px, py, pr in placed):
                break
        placed.append((cx, cy, radius))
        boxes.append(_paste_code(img, text, fmt, module_mm * ppm, cx, cy, angle, _bgr(tuple(paper)),
                                 bar_h_px=ppm * rng.uniform(8, 14)))
    return img


def _render_card(rng: np.random.Generator, ppm: float) -> Image:
    w, h = round(85.6 * ppm), round(54.0 * ppm)
    style = rng.choice(["id_front", "id_back", "bank", "social"], p=[0.35, 0.25, 0.2, 0.2])
    img = np.empty((h, w, 3), np.uint8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if style == "bank":
        c0 = rng.uniform(30, 160, 3)
        c1 = rng.uniform(30, 200, 3)
    elif style == "social":
        c0 = np.array([rng.uniform(200, 240), rng.uniform(200, 235), rng.uniform(170, 210)])
        c1 = np.array([rng.uniform(180, 230), rng.uniform(210, 240), rng.uniform(200, 240)])
    else:
        c0 = np.array([rng.uniform(215, 245), rng.uniform(215, 240), rng.uniform(205, 235)])
        c1 = np.array([rng.uniform(225, 250), rng.uniform(215, 240), rng.uniform(220, 245)])
    t = (xx / w * 0.7 + yy / h * 0.3)[..., None]
    guil = 0.03 * np.sin(xx * 0.08 + 3 * np.sin(yy * 0.05))[..., None]  # guilloche-like pattern
    img[:] = np.clip((c0 * (1 - t) + c1 * t) * (1 + guil), 0, 255).astype(np.uint8)
    ink = _bgr(tuple(rng.uniform(10, 60, 3)))
    if style == "id_front":
        cv2.rectangle(img, (int(w * 0.64), int(h * 0.15)), (int(w * 0.92), int(h * 0.72)),
                      _bgr(tuple(rng.uniform(120, 200, 3))), -1)
        _text_block(img, rng, w * 0.08, h * 0.1, w * 0.6, h * 0.75, ppm * 2.6, ink)
        cv2.rectangle(img, (int(w * 0.3), int(h * 0.82)), (int(w * 0.92), int(h * 0.88)), ink, -1)
    elif style == "id_back":
        cv2.circle(img, (int(w * 0.16), int(h * 0.28)), int(h * 0.16), (30, 40, 210), -1, cv2.LINE_AA)
        cv2.circle(img, (int(w * 0.16), int(h * 0.28)), int(h * 0.08), (40, 200, 230), -1, cv2.LINE_AA)
        cv2.rectangle(img, (int(w * 0.35), int(h * 0.15)), (int(w * 0.85), int(h * 0.3)), ink, -1)
        _text_block(img, rng, w * 0.3, h * 0.65, w * 0.9, h * 0.9, ppm * 2.6, ink)
    elif style == "bank":
        cv2.rectangle(img, (int(w * 0.1), int(h * 0.35)), (int(w * 0.23), int(h * 0.55)), (70, 170, 210), -1)
        light = _bgr((230, 230, 230))
        _text_block(img, rng, w * 0.1, h * 0.65, w * 0.8, h * 0.75, ppm * 3.0, light)
        _text_block(img, rng, w * 0.1, h * 0.8, w * 0.5, h * 0.9, ppm * 2.0, light)
    else:
        cv2.rectangle(img, (int(w * 0.06), int(h * 0.3)), (int(w * 0.3), int(h * 0.85)),
                      _bgr(tuple(rng.uniform(120, 200, 3))), -1)
        _text_block(img, rng, w * 0.36, h * 0.3, w * 0.93, h * 0.85, ppm * 2.8, ink)
        cv2.rectangle(img, (0, 0), (w, int(h * 0.18)), _bgr(tuple(rng.uniform(40, 160, 3))), -1)
    return img


def _render_strip(
    rng: np.random.Generator, ppm: float, codes: list[tuple[str, str, float, float]],
    boxes: list[NDArray[np.float64]],
) -> Image:
    width_mm = float(rng.choice([58.0, 80.0]))
    length_mm = rng.uniform(120, 260)
    w, h = round(width_mm * ppm), round(length_mm * ppm)
    img = np.empty((h, w, 3), np.uint8)
    g = rng.uniform(225, 248)
    img[:] = _bgr((g - 3, g - 1, g))
    ink = _bgr(tuple(rng.uniform(30, 80, 3)))
    m = ppm * 4
    lh = ppm * 3.2
    _text_block(img, rng, m, m, w - m, h * 0.6, lh, ink)
    y = h * 0.62
    cv2.line(img, (int(m), int(y)), (int(w - m), int(y)), ink, max(1, int(ppm * 0.3)))
    _text_block(img, rng, m, y + lh, w - m, h * 0.75, lh, ink)
    for i, (text, fmt, module_mm, angle) in enumerate(codes):
        cy = h * (0.8 + 0.1 * i)
        # A receipt printer keeps its codes on the paper: narrow the modules to fit.
        modules = _code_image(text, fmt).shape[1]
        module_mm = min(module_mm, (width_mm - 4.0) / modules)
        if fmt == "Code128":
            angle = float(rng.choice([0.0, 180.0]))
        boxes.append(_paste_code(img, text, fmt, module_mm * ppm, w / 2, cy, angle, _bgr((g - 3, g - 1, g)),
                                 bar_h_px=ppm * 10))
    return img


def _rounded_mask(h: int, w: int, radius: float) -> Image:
    mask = np.zeros((h, w), np.uint8)
    r = round(radius)
    if r <= 1:
        mask[:] = 255
        return mask
    cv2.rectangle(mask, (r, 0), (w - 1 - r, h - 1), 255, -1)
    cv2.rectangle(mask, (0, r), (w - 1, h - 1 - r), 255, -1)
    for cx, cy in ((r, r), (w - 1 - r, r), (w - 1 - r, h - 1 - r), (r, h - 1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, cv2.LINE_AA)
    return mask


# -- placement ----------------------------------------------------------------------------


def _place(
    rng: np.random.Generator, doc_wh: tuple[int, int], frame_wh: tuple[int, int], *, cut: bool,
    rotate_any: bool, perspective: float, avoid: list[Quad] | None = None,
) -> Quad | None:
    """Target corners (TL, TR, BR, BL of the document) inside the frame."""
    dw, dh = doc_wh
    fw, fh = frame_wh
    for _ in range(200):
        if rotate_any:
            angle = rng.uniform(0, 2 * math.pi)
        else:
            angle = float(rng.choice([0, math.pi / 2, math.pi, 3 * math.pi / 2])) * (1 if rng.random() < 0.8 else 0)
            angle += rng.normal(0, math.radians(4))
        c, s = math.cos(angle), math.sin(angle)
        pts = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]])
        rot = pts @ np.array([[c, s], [-s, c]])
        rot += rng.uniform(-perspective, perspective, (4, 2)) * max(dw, dh)
        lo, hi = rot.min(axis=0), rot.max(axis=0)
        margin = 0.015 * max(fw, fh)
        if cut:
            # Push a part of the page off the frame.
            cx = rng.uniform(-lo[0] - 0.25 * (hi[0] - lo[0]), fw - hi[0] + 0.25 * (hi[0] - lo[0]))
            cy = rng.uniform(-lo[1] - 0.25 * (hi[1] - lo[1]), fh - hi[1] + 0.25 * (hi[1] - lo[1]))
            q = rot + np.array([cx, cy])
            out = (q[:, 0] < -2) | (q[:, 0] > fw + 2) | (q[:, 1] < -2) | (q[:, 1] > fh + 2)
            inside = (q[:, 0] > 0) & (q[:, 0] < fw) & (q[:, 1] > 0) & (q[:, 1] < fh)
            if out.any() and inside.sum() >= 1:
                return as_quad(q)
            continue
        if (hi - lo)[0] > fw - 2 * margin or (hi - lo)[1] > fh - 2 * margin:
            return None
        cx = rng.uniform(margin - lo[0], fw - margin - hi[0])
        cy = rng.uniform(margin - lo[1], fh - margin - hi[1])
        q = as_quad(rot + np.array([cx, cy]))
        if avoid:
            from drivers.camera.geometry import iou

            grown = [(a - a.mean(axis=0)) * 1.15 + a.mean(axis=0) for a in avoid]
            if any(iou(q, g) > 0 for g in grown):
                continue
        return q
    return None


def _composite(
    frame: Image, doc: Image, mask: Image, quad: Quad, rng: np.random.Generator, drop_shadow: float,
    docmask: Image,
) -> None:
    """Warp `doc` onto `frame` so its pixel-corner rectangle lands on `quad`."""
    h, w = doc.shape[:2]
    src = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32)
    fh, fw = frame.shape[:2]
    pad = 8 + int(drop_shadow)
    x0 = max(0, math.floor(quad[:, 0].min()) - pad)
    y0 = max(0, math.floor(quad[:, 1].min()) - pad)
    x1 = min(fw, math.ceil(quad[:, 0].max()) + pad)
    y1 = min(fh, math.ceil(quad[:, 1].max()) + pad)
    if x1 <= x0 or y1 <= y0:
        return
    dst = (quad - [x0, y0]).astype(np.float32)
    hm = cv2.getPerspectiveTransform(src, dst)
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(doc, hm, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # The mask is padded with zeros so its border is the page edge, sampled bilinearly:
    # an anti-aliased edge at the exact geometric position.
    mpad = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    t = np.array([[1, 0, -1], [0, 1, -1], [0, 0, 1]], np.float64)
    alpha = cv2.warpPerspective(mpad, hm @ t, size, flags=cv2.INTER_LINEAR, borderValue=0)
    region = frame[y0:y1, x0:x1]
    if drop_shadow > 0:
        # A page lying on a desk darkens a thin rim around itself.
        sh = cv2.GaussianBlur(alpha, (0, 0), drop_shadow)
        dx, dy = rng.uniform(-0.5, 1.0, 2) * drop_shadow
        sh = cv2.warpAffine(sh, np.array([[1, 0, dx], [0, 1, dy]], np.float32), size)
        k = rng.uniform(0.15, 0.35)
        factor = 1.0 - k * sh.astype(np.float32) / 255.0
        region[:] = np.clip(region.astype(np.float32) * factor[..., None], 0, 255).astype(np.uint8)
    a = alpha.astype(np.float32)[..., None] / 255.0
    region[:] = (region.astype(np.float32) * (1 - a) + warped.astype(np.float32) * a + 0.5).astype(np.uint8)
    np.maximum(docmask[y0:y1, x0:x1], alpha, out=docmask[y0:y1, x0:x1])


def _finger(frame: Image, rng: np.random.Generator, quad: Quad, ppm: float, corner: bool) -> None:
    """A finger (skin-coloured capsule) pressing the page, reaching over an edge or a
    corner from outside the page."""
    centre = quad.mean(axis=0)
    if corner:
        tip_on = quad[int(rng.integers(0, 4))]
        out_dir = tip_on - centre
    else:
        i = int(rng.integers(0, 4))
        a, b = quad[i], quad[(i + 1) % 4]
        tip_on = a + (b - a) * rng.uniform(0.2, 0.8)
        out_dir = np.array([(b - a)[1], -(b - a)[0]])
        if np.dot(out_dir, tip_on - centre) < 0:
            out_dir = -out_dir
    out_dir = out_dir / (np.linalg.norm(out_dir) + 1e-9)
    ang = rng.normal(0, 0.35)
    c, s = math.cos(ang), math.sin(ang)
    out_dir = np.array([c * out_dir[0] - s * out_dir[1], s * out_dir[0] + c * out_dir[1]])
    width = ppm * rng.uniform(14, 20)
    tip = tip_on - out_dir * ppm * rng.uniform(4, 14)
    # The finger belongs to a hand: it runs on to the frame's edge, mostly.
    reach = rng.uniform(90, 160) if rng.random() < 0.3 else 600.0
    base = tip + out_dir * ppm * reach
    skin = np.array([rng.uniform(90, 170), rng.uniform(120, 185), rng.uniform(160, 235)])
    th = int(width)
    # Soft contact shadow first, then the finger with a lighter ridge along its axis.
    shadow = frame.copy()
    cv2.line(shadow, _pt(tip + 3), _pt(base + 3), (0, 0, 0), int(th * 1.15),
             cv2.LINE_AA)
    cv2.addWeighted(shadow, 0.25, frame, 0.75, 0, dst=frame)
    cv2.line(frame, _pt(tip), _pt(base), _bgr(tuple(skin * 0.85)), th, cv2.LINE_AA)
    cv2.line(frame, _pt(tip), _pt(base), _bgr(tuple(skin)), max(1, int(th * 0.6)),
             cv2.LINE_AA)
    nail = tip + out_dir * width * 0.35
    cv2.circle(frame, _pt(nail), max(1, int(width * 0.25)), _bgr(tuple(skin * 1.08 + 10)), -1,
               cv2.LINE_AA)


def _lighting(
    rng: np.random.Generator, w: int, h: int, quads: list[Quad], tags: list[str], hard: bool,
) -> tuple[Image, Image | None]:
    """Multiplicative light (×1/128, uint8, 3 channels) and additive glare maps."""
    lw, lh = 256, int(256 * h / w)
    yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
    xn, yn = xx / lw, yy / lh
    g = rng.uniform(-0.25, 0.25, 2)
    light = 1.0 + g[0] * (xn - 0.5) + g[1] * (yn - 0.5)
    vig = rng.uniform(0.0, 0.3)
    light *= 1.0 - vig * ((xn - 0.5) ** 2 + (yn - 0.5) ** 2) * 2
    light *= rng.uniform(0.8, 1.1)
    if hard and rng.random() < 0.45:
        # A cast shadow (the resident's arm, the camera's neck): a soft-edged polygon.
        tags.append("shadow")
        mask = np.zeros((lh, lw), np.float32)
        cx, cy = rng.uniform(0, lw), rng.uniform(0, lh)
        r = rng.uniform(0.2, 0.5) * lw
        n = int(rng.integers(3, 6))
        ang = np.sort(rng.uniform(0, 2 * math.pi, n))
        poly = np.stack([cx + r * np.cos(ang) * 2, cy + r * np.sin(ang)], axis=1).astype(np.int32)
        cv2.fillPoly(mask, [poly], 1.0)
        mask = np.asarray(cv2.GaussianBlur(mask, (0, 0), rng.uniform(1.0, 6.0)), dtype=np.float32)
        light *= 1.0 - rng.uniform(0.2, 0.45) * mask
    glare = None
    if hard and rng.random() < 0.35 and quads:
        tags.append("glare")
        q = quads[0]
        t = rng.uniform(0.0, 1.0)
        i = int(rng.integers(0, 4))
        p = q[i] + (q[(i + 1) % 4] - q[i]) * t
        p = p + (q.mean(axis=0) - p) * rng.uniform(0.0, 0.6)
        gx, gy = p[0] / w * lw, p[1] / h * lh
        # A specular spot of the overhead light, 1-5 cm across, on the glossy document
        # only (the desk is matte); often saturated.
        sig = rng.uniform(0.012, 0.045) * lw
        amp = rng.uniform(60, 255)
        gl = amp * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2 * rng.uniform(0.5, 2.0)) / (2 * sig**2))
        glare = np.clip(gl, 0, 255).astype(np.uint8)
    light_u8 = np.clip(light * 128.0, 0, 255).astype(np.uint8)
    tint = rng.normal(1.0, 0.03, 3)
    light3 = np.clip(light_u8[..., None] * tint[None, None, :], 0, 255).astype(np.uint8)
    glare3 = None if glare is None else np.repeat(glare[..., None], 3, axis=2)
    return light3, glare3


# -- the generator ------------------------------------------------------------------------


def make_frame(
    seed: int,
    *,
    size: tuple[int, int] = FULL_SIZE,
    scene: str | None = None,
    doc: str | None = None,
    background: str | None = None,
    hard: bool = True,
    codes: list[tuple[str, str]] | None = None,
    jpeg: bool = True,
) -> SynthFrame:
    """One frame of `size` (w, h). `scene`, `doc` and `background` are drawn from the
    seed unless given; `hard` enables fingers, shadows, glare and strong blur."""
    rng = np.random.default_rng(seed)
    w, h = size
    scene = scene or str(rng.choice(["page"] * 8 + ["empty"]))
    doc = doc or str(rng.choice(DOCS, p=[0.55, 0.3, 0.15]))
    background = background or str(rng.choice(BACKGROUNDS))
    tags: list[str] = []
    if scene == "black":
        # Lens cap on or a sensor that has not started yet: noise around black.
        img = np.zeros((h, w, 3), np.uint8)
        img = _add_noise(img + np.uint8(rng.integers(0, 6)), rng, 2.0)
        return SynthFrame(img, (), scene, "", "black", (), (), seed)
    # Scale: pixels per millimetre. A 13 MP 高拍仪 sees about an A3 sheet (420 mm) across.
    ppm = w / 420.0 * rng.uniform(0.85, 1.2)
    frame, desk_lum = _background(rng, background, w, h, ppm)
    docmask = np.zeros((h, w), np.uint8)
    low_contrast = background in ("white_desk", "light_gray") or (desk_lum > 185)
    if low_contrast:
        tags.append("low_contrast")
    quads: list[Quad] = []
    code_quads: list[Quad] = []
    printed: list[tuple[str, str]] = []
    n_docs = {"page": 1, "cut": 1, "two_pages": 2, "empty": 0}.get(scene, 1)
    for k in range(n_docs):
        kind = doc if k == 0 else str(rng.choice(DOCS))
        paper = _paper_color(rng, desk_lum, low_contrast)
        code_specs: list[tuple[str, str, float, float]] = []
        if codes and k == 0:
            for fmt, text in codes:
                module_mm = rng.uniform(0.35, 0.7) if fmt == "QRCode" else rng.uniform(0.25, 0.45)
                code_specs.append((text, fmt, module_mm, rng.uniform(0, 360)))
            printed.extend(codes)
        doc_boxes: list[NDArray[np.float64]] = []
        # Document resolution: ≈ its size in the frame (warping then barely resamples).
        dppm = ppm * rng.uniform(0.9, 1.1)
        if kind == "a4":
            img = _render_a4(rng, dppm, paper, code_specs, doc_boxes)
            mask = np.full(img.shape[:2], 255, np.uint8)
        elif kind == "id1":
            img = _render_card(rng, dppm)
            mask = _rounded_mask(img.shape[0], img.shape[1], CARD_CORNER_RADIUS_MM * dppm)
        else:
            img = _render_strip(rng, dppm, code_specs, doc_boxes)
            mask = np.full(img.shape[:2], 255, np.uint8)
        # Physical size in the frame: the page scale is ppm, not dppm.
        dw = img.shape[1] / dppm * ppm
        dh = img.shape[0] / dppm * ppm
        quad = None
        for _shrink in range(6):
            quad = _place(
                rng, (int(dw), int(dh)), (w, h), cut=(scene == "cut"),
                rotate_any=rng.random() < 0.4, perspective=rng.uniform(0.0, 0.035), avoid=quads,
            )
            if quad is not None:
                break
            dw, dh = dw * 0.85, dh * 0.85
        if quad is None:
            continue
        _composite(frame, img, mask, quad, rng, drop_shadow=rng.uniform(0, 1.2) * ppm, docmask=docmask)
        quads.append(quad)
        if doc_boxes:
            dh_, dw_ = img.shape[:2]
            src = np.array([[-0.5, -0.5], [dw_ - 0.5, -0.5], [dw_ - 0.5, dh_ - 0.5], [-0.5, dh_ - 0.5]], np.float32)
            hm = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
            for b in doc_boxes:
                code_quads.append(np.asarray(cv2.perspectiveTransform(b.reshape(-1, 1, 2), hm), np.float64).reshape(4, 2))
    if hard and quads and rng.random() < 0.45:
        tags.append("finger")
        for _ in range(int(rng.integers(1, 3))):
            _finger(frame, rng, quads[0], ppm, corner=rng.random() < 0.3)
    if hard and scene == "empty" and rng.random() < 0.3:
        tags.append("hand")
        fake = as_quad([[w * 0.3, h * 0.3], [w * 0.7, h * 0.3], [w * 0.7, h * 0.7], [w * 0.3, h * 0.7]])
        _finger(frame, rng, fake, ppm, corner=False)
    light3, glare3 = _lighting(rng, w, h, quads, tags, hard)
    light_full = cv2.resize(light3, (w, h), interpolation=cv2.INTER_LINEAR)
    frame = _u8(cv2.multiply(frame, light_full, scale=1.0 / 128.0))
    if glare3 is not None:
        glare_full = cv2.resize(glare3, (w, h), interpolation=cv2.INTER_LINEAR)
        glare_full = cv2.multiply(glare_full, cv2.merge([docmask] * 3), scale=1.0 / 255.0)
        frame = _u8(cv2.add(frame, glare_full))
    gamma = rng.uniform(0.85, 1.15)
    lut = np.clip(((np.arange(256) / 255.0) ** gamma) * 255.0, 0, 255).astype(np.uint8)
    frame = _u8(cv2.LUT(frame, lut))
    # Defocus in pixels of a 13 MP frame, scaled to this frame's size.
    sigma = (rng.uniform(0.6, 3.0) if hard else rng.uniform(0.4, 1.2)) * w / FULL_SIZE[0]
    if sigma > 2.0 * w / FULL_SIZE[0]:
        tags.append("blur")
    frame = _u8(cv2.GaussianBlur(frame, (0, 0), sigma))
    frame = _add_noise(frame, rng, rng.uniform(1.5, 5.0))
    if jpeg:
        q = int(rng.integers(70, 95))
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            frame = _u8(cv2.imdecode(buf, cv2.IMREAD_COLOR))
    return SynthFrame(
        np.ascontiguousarray(frame), tuple(quads), scene, doc if quads else "", background,
        tuple(tags), tuple(printed), seed, tuple(code_quads),
    )


def page_set(n: int, *, seed: int = 0, size: tuple[int, int] = FULL_SIZE, hard: bool = True) -> Iterator[SynthFrame]:
    """`n` single-page frames (A4, ID-1 card, receipt strip) over every background."""
    for i in range(n):
        yield make_frame(seed * 100_003 + i, size=size, scene="page", background=BACKGROUNDS[i % len(BACKGROUNDS)],
                         hard=hard)


def empty_set(n: int, *, seed: int = 0, size: tuple[int, int] = FULL_SIZE) -> Iterator[SynthFrame]:
    for i in range(n):
        yield make_frame(seed * 100_003 + 50_000 + i, size=size, scene="empty",
                         background=BACKGROUNDS[i % len(BACKGROUNDS)])


def barcode_payload(rng: np.random.Generator, fmt: str) -> str:
    if fmt == "QRCode":
        return "https://zwfw.example.gov.cn/q?id=" + "".join(rng.choice(list("0123456789ABCDEF"), 12))
    return "SB" + "".join(rng.choice(list("0123456789"), int(rng.integers(10, 16))))


def barcode_frame(seed: int, *, size: tuple[int, int] = FULL_SIZE) -> SynthFrame:
    """A page or receipt with one or two small codes (QR, Code 128) at any angle."""
    rng = np.random.default_rng(seed + 7_000_000)
    kinds = [["QRCode"], ["Code128"], ["QRCode", "Code128"]][seed % 3]
    codes = [(f, barcode_payload(rng, f)) for f in kinds]
    doc = "strip" if (seed % 4 == 1 and len(kinds) == 1) else "a4"
    return make_frame(seed + 7_000_000, size=size, scene="page", doc=doc, codes=codes, hard=False)
