"""Read the barcodes on a document-camera still: QR codes on licences and forms, Code 128
on receipts, PDF417/Data Matrix on some certificates.

zxing-cpp first, pyzbar second (the design card: zxing-cpp decoded 90 % of its sample
suite against pyzbar's 42 %, and 22/24 against 19/24 on synthetic 13 MP frames). A 13 MP
frame is not decoded whole at full size:

1. zxing on the frame halved (a tenth of the pixels) finds the large codes;
2. a localiser finds the small ones: code modules make dense, strong gradients in a
   compact blob (text makes them in long thin lines with gaps); each blob's rotated
   box is cut out of the *full-resolution* frame, turned square to the axes (zxing
   reads 1-D codes only near 0°/90°) and decoded again, by zxing then pyzbar.
3. Results are deduplicated by (format, text).

A wrong payload is worse than none: only symbologies with a checksum or error
correction are enabled (no Code 39 or ITF, whose reads from text-like noise are a known
failure), and zxing's results carry `valid`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Image = NDArray[np.uint8]

_Z = zxingcpp.BarcodeFormat
ZXING_FORMATS = (
    _Z.QRCode, _Z.MicroQRCode, _Z.DataMatrix, _Z.PDF417, _Z.Aztec, _Z.Code128, _Z.EAN13, _Z.EAN8, _Z.UPCA,
)
# pyzbar's names for the same symbologies, mapped onto zxing-cpp's (INTERFACES.md §3
# shows "QRCode").
_ZBAR_NAMES = {"QRCODE": "QRCode", "CODE128": "Code128", "EAN13": "EAN13", "EAN8": "EAN8", "UPCA": "UPCA"}


@dataclass(frozen=True)
class Code:
    format: str  # zxing-cpp's name: "QRCode", "Code128", "DataMatrix", …
    text: str = field(repr=False)  # a payload may carry personal data
    corners: tuple[tuple[float, float], ...] = field(default=(), repr=False)  # source pixels, when known
    reader: str = "zxing"  # "zxing" or "pyzbar"


@dataclass(frozen=True)
class DecoderConfig:
    first_pass_long_side: int = 2200  # halve until the long side fits (13 MP: once)
    locate_long_side: int = 2200
    max_crops: int = 10
    use_pyzbar: bool = True  # the second reader, on crops zxing could not read
    budget_s: float = 1.0  # stop trying further crops after this long (caps a pathological still)


def _halve_to(img: Image, long_side: int) -> tuple[Image, float]:
    scale = 1.0
    while max(img.shape[:2]) > long_side:
        img = np.asarray(cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA),
                         dtype=np.uint8)
        scale /= 2.0
    return img, scale


def _gray(img: Image) -> Image:
    return img if img.ndim == 2 else np.asarray(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def _zxing(img: Image, *, downscale: bool = True) -> list[zxingcpp.Barcode]:
    try:
        # A tuple of formats: zxing-cpp 3 deprecates OR-ing them (its stub still says BarcodeFormats).
        return [r for r in zxingcpp.read_barcodes(img, formats=ZXING_FORMATS, try_rotate=True,  # type: ignore[arg-type]
                                                   try_downscale=downscale, try_invert=False) if r.valid]
    except (ValueError, RuntimeError):  # zxing rejects degenerate images
        return []


def _pyzbar(img: Image) -> list[tuple[str, str, NDArray[np.float64]]]:
    """pyzbar's reads as (format, text, polygon in img pixels)."""
    try:
        from pyzbar import pyzbar
    except ImportError:  # libzbar0 missing: zxing alone (the Makefile installs it)
        return []
    symbols = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128, pyzbar.ZBarSymbol.EAN13,
               pyzbar.ZBarSymbol.EAN8, pyzbar.ZBarSymbol.UPCA]
    out = []
    for r in pyzbar.decode(img, symbols=symbols):
        name = _ZBAR_NAMES.get(r.type)
        if name is None:
            continue
        try:
            text = r.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        poly = np.array([[p.x, p.y] for p in r.polygon], np.float64).reshape(-1, 2)
        out.append((name, text, poly))
    return out


def _zx_poly(r: zxingcpp.Barcode) -> NDArray[np.float64]:
    p = r.position
    return np.array([[p.top_left.x, p.top_left.y], [p.top_right.x, p.top_right.y],
                     [p.bottom_right.x, p.bottom_right.y], [p.bottom_left.x, p.bottom_left.y]], np.float64)


def _to_frame(poly: NDArray[np.float64], scale: float, inv: NDArray[np.float64] | None) -> NDArray[np.float64]:
    if inv is not None:
        poly = poly @ inv[:, :2].T + inv[:, 2]
    return np.asarray(poly / scale, np.float64)


@dataclass
class _Read:
    format: str
    text: str
    poly: NDArray[np.float64]  # frame pixels
    reader: str
    attempt: int  # which image it came from: reads off one image are not independent


def _same_place(a: NDArray[np.float64], b: NDArray[np.float64]) -> bool:
    """Whether two reads lie on one symbol: either's centre inside (or within a tenth of
    its size of) the other's hull; a 1-D read's polygon may be a thin line."""
    if len(a) == 0 or len(b) == 0:
        return False
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    size = max(float(np.ptp(a, axis=0).max()), float(np.ptp(b, axis=0).max()), 1.0)
    for poly, c in ((a, cb), (b, ca)):
        if len(poly) >= 3:
            hull = cv2.convexHull(poly.astype(np.float32))
            if cv2.pointPolygonTest(hull, (float(c[0]), float(c[1])), True) > -0.1 * size:
                return True
    return bool(np.linalg.norm(ca - cb) < 0.25 * size)


def _resolve(reads: list[_Read]) -> list[Code]:
    """One code per symbol. Reads of one symbol that disagree mean a misread: a Code 128
    checksum is one symbol mod 103, so now and then a damaged scan line passes it (seen
    on generated frames: a true and a false payload from the same bars). The text read
    off more independent images wins; a tie reports nothing for that symbol."""
    groups: list[list[_Read]] = []
    for r in reads:
        for g in groups:
            if any(o.format == r.format and _same_place(o.poly, r.poly) for o in g):
                g.append(r)
                break
        else:
            groups.append([r])
    out = []
    for g in groups:
        votes: dict[str, set[int]] = {}
        for r in g:
            votes.setdefault(r.text, set()).add(r.attempt)
        ranked = sorted(votes.items(), key=lambda kv: -len(kv[1]))
        if len(ranked) > 1 and len(ranked[0][1]) == len(ranked[1][1]):
            log.info("barcode-conflict %s: %d readings, none confirmed", g[0].format, len(ranked))
            continue
        text = ranked[0][0]
        first = next(r for r in g if r.text == text)
        corners = tuple((float(x), float(y)) for x, y in first.poly)
        out.append(Code(first.format, text, corners, first.reader))
    return out


# -- locating small codes --------------------------------------------------------------------


@dataclass(frozen=True)
class _Blob:
    rect: tuple[tuple[float, float], tuple[float, float], float]  # cv2 RotatedRect in the located image
    score: float


def _locate(gray: Image, max_blobs: int) -> list[_Blob]:
    """Blobs of dense, strong gradients the size of a code. A QR code or a bar code is
    a compact block where nearly every pixel lies on a strong edge; a line of text is a
    thin band with gaps, a photo has softer gradients."""
    gx = cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_16S, 0, 1, ksize=3)
    mag = cv2.addWeighted(cv2.convertScaleAbs(gx), 0.5, cv2.convertScaleAbs(gy), 0.5, 0)
    # Strong edges (a module against paper steps by 60+ levels even when blurred), then
    # their density over a window of a few modules: over 43 % inside a code; a word or
    # a rule is dense only along its borders, and the gaps between text lines break it.
    _, strong = cv2.threshold(mag, 60, 255, cv2.THRESH_BINARY)
    dens = np.asarray(cv2.boxFilter(strong, cv2.CV_8U, (15, 15)), dtype=np.uint8)
    blobs: list[_Blob] = []
    # Two density levels: the lower finds blurred or sparse codes, the higher separates a
    # code from text crowding its quiet zone (together they form one ragged blob).
    for level in (110, 160):
        for b in _dense_blobs(dens, level):
            if all(math.hypot(b.rect[0][0] - o.rect[0][0], b.rect[0][1] - o.rect[0][1]) > 8 for o in blobs):
                blobs.append(b)
    blobs.sort(key=lambda b: -b.score)
    return blobs[:max_blobs]


def _dense_blobs(dens: Image, level: int) -> list[_Blob]:
    _, dense = cv2.threshold(dens, level, 255, cv2.THRESH_BINARY)
    # A small closing only: a code's quiet zone is 4 modules (QR), a larger one would
    # weld the code to the text beside it.
    dense = cv2.morphologyEx(dense, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    dense = cv2.morphologyEx(dense, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    # Components, not outer contours: the rule around a certificate is dense too, and
    # its outline would swallow the code inside it.
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dense, connectivity=8)
    h, w = dens.shape[:2]
    blobs = []
    for i in range(1, n):
        x, y, bw, bh, a = (int(v) for v in stats[i])
        if a < 250 or a > 0.05 * h * w or min(bw, bh) < 12:
            continue
        ys, xs = np.nonzero(labels[y : y + bh, x : x + bw] == i)
        pts = np.stack([xs + x, ys + y], axis=1).astype(np.float32)
        rect = cv2.minAreaRect(pts)
        (rw, rh) = rect[1]
        if min(rw, rh) < 12:
            continue
        fill = a / max(rw * rh, 1.0)
        elong = max(rw, rh) / max(min(rw, rh), 1.0)
        if fill < 0.5 or elong > 12:
            continue
        density = float(dens[ys + y, xs + x].mean()) / 255.0
        blobs.append(_Blob(((float(rect[0][0]), float(rect[0][1])), (float(rw), float(rh)), float(rect[2])),
                           density * fill / math.sqrt(elong)))
    return blobs


def _crop(frame: Image, blob: _Blob, scale: float) -> tuple[Image, NDArray[np.float64]]:
    """The blob's box cut from the full frame, turned square to the axes, with a quiet
    zone around it. Returns the crop and the affine map from crop to frame pixels."""
    (cx, cy), (rw, rh), ang = blob.rect
    cx, cy, rw, rh = cx / scale, cy / scale, rw / scale, rh / scale
    # Grow: the blob hugs the modules; a decoder wants the quiet zone too (10 modules
    # for Code 128, 4 for QR), and the density filter shaved the ends.
    pad = 0.25 * max(rw, rh) + 30
    out_w, out_h = int(rw + 2 * pad), int(rh + 2 * pad)
    m = cv2.getRotationMatrix2D((cx, cy), ang, 1.0)
    m[0, 2] += out_w / 2 - cx
    m[1, 2] += out_h / 2 - cy
    crop = cv2.warpAffine(frame, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inv = cv2.invertAffineTransform(m)
    return np.asarray(crop, dtype=np.uint8), np.asarray(inv, np.float64)


# -- the decoder -----------------------------------------------------------------------------


class BarcodeDecoder:
    """Stateless; one instance can serve every still. `clock` only bounds the effort."""

    def __init__(self, config: DecoderConfig | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or DecoderConfig()
        self._clock = clock

    def decode(self, frame: Image) -> list[Code]:
        cfg = self.config
        start = self._clock()
        gray = _gray(frame)
        reads: list[_Read] = []
        small, scale = _halve_to(gray, cfg.first_pass_long_side)
        for r in _zxing(small):
            reads.append(_Read(r.format.name, r.text, _to_frame(_zx_poly(r), scale, None), "zxing", 0))
        loc, lscale = (small, scale) if cfg.locate_long_side == cfg.first_pass_long_side else _halve_to(
            gray, cfg.locate_long_side)
        crops = 0
        for k, blob in enumerate(_locate(loc, cfg.max_crops * 2), start=1):
            if self._clock() - start > cfg.budget_s:
                log.debug("barcode budget spent")
                break
            centre = np.array(blob.rect[0]) / lscale
            if any(_same_place(r.poly, centre[None]) for r in reads):
                continue  # already read
            crop, inv = _crop(gray, blob, lscale)
            crops += 1
            hits = [_Read(r.format.name, r.text, _to_frame(_zx_poly(r), 1.0, inv), "zxing", k) for r in _zxing(crop)]
            up = 1.0
            if not hits and max(crop.shape) < 1200:
                # Modules of 3 px blurred by the lens: zxing's binariser resolves them
                # once the crop is upsampled (cubic), which costs little on a crop.
                up = 2.0
                crop = np.asarray(cv2.resize(crop, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
                inv = inv @ np.array([[1 / up, 0, 0], [0, 1 / up, 0], [0, 0, 1]])
                hits = [_Read(r.format.name, r.text, _to_frame(_zx_poly(r), 1.0, inv), "zxing", k)
                        for r in _zxing(crop, downscale=False)]
            formats = [h.format for h in hits]
            # pyzbar where zxing read nothing, and as a second opinion where zxing read
            # two different texts of one format off this crop.
            if cfg.use_pyzbar and (not hits or len(formats) > len(set(formats))):
                hits += [_Read(f, t, _to_frame(p, 1.0, inv), "pyzbar", -k) for f, t, p in _pyzbar(crop)]
            reads += hits
            if crops >= cfg.max_crops:
                break
        return _resolve(reads)


def decode(frame: Image, config: DecoderConfig | None = None) -> list[Code]:
    return BarcodeDecoder(config).decode(frame)
