"""Find the page (A4 sheet, ID-1 card or receipt strip) in a document-camera frame.

Pure numpy/cv2: no clocks, threads or Qt. The pipeline follows hardware-protocols.md
§4.2 (downscale, several candidate generators, quad validation, refine at full
resolution, as SmartDoc 2015's ISPL-CVML did):

1. Halve to about 1000 px on the long side (13 MP: 1052 × 780; 5 MP: 1296 × 972); the
   quads are scored there. Candidates come from that image halved once more (526 ×
   390): print, texture and sensor noise average out there, and every pass costs a
   quarter.
2. Propose quads from cues that fail in different places: regions between Canny edges
   (on the colour gradient, so a blue card on a grey desk of equal lightness still has
   edges; thresholds raised with the desk's texture, and a blurrier second pass over
   speckled laminate or wood); Otsu regions on lightness and on the colour distance
   from the desk seen at the frame's rim; quads on 4 edge *lines* (two near-parallel
   pairs) ranked by how much of each side edge segments cover; and outlines snapped to
   the lines near their sides: each region's, and the parallelogram on every corner
   where two lines' covered runs end. Segments are traced per orientation class, so a
   side touched by print or a finger is not lost in one tangle with them. Lines find a
   page whose outline has gaps (glare, a finger, white on white) where every region
   leaks into the desk. Each candidate's sides are snapped to the strongest colour
   change within 4 px on the scoring image.
3. Score every quad from colour profiles across its sides (one remap for all): a *step*
   (colour differs 3 px and 7 px out from in) or at least a thin dark shadow rim;
   straightness; corners that are not desk. A printed border, a cutting-mat grid line
   or a plank seam is a line, not a step; a finger is straight but has round ends.
   Samples where one foreign thing covers both sides of a side (a finger, a hand, a
   pen) neither count for nor against it.
4. Refit the best sides from edge samples along their normals (RANSAC), so a finger
   over an edge, a rounded card corner or a glare patch only removes samples.
5. Choose: the quad whose colours are most unlike the rest of the frame's (a page is a
   thing of its own; a text block shares its paper with the rest of the page, a patch
   of wood grain is more desk); then any valid quad holding it whose added part is not
   desk, has page corners and steps along its new outline (the page around its header
   band). Then once more with the chosen quad's sides moved out to the next step that
   runs along them (a coloured band to the page's edge, a form's table, a printed
   border, a ruled pad's top margin). A side that the page's edges run past is a rule
   across a page that goes on off the frame: `page_cut`. When the half-size
   candidates give no page, the working-size ones get a stricter second look (only
   where the half size shows straight edge pieces: a plain desk is not looked at
   twice); when nothing valid is left on a textured desk, a third look at a map of the
   texture finds paper of the desk's colour by its smooth margin.
6. Refit the winner's sides on the full-resolution frame (sub-pixel box-step peaks
   along the normals, RANSAC), order the corners from the page's top-left (upright by
   shape, and by the print's direction when it tells).

Rejections are reasons, not exceptions: `no_page`, `page_cut` (a page runs off the
frame), `two_pages`, `too_dark` (lens covered or sensor not started).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import combinations

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera.geometry import NEXT, PREV, Quad, area, as_quad, clockwise, iou, side_lengths

Image = NDArray[np.uint8]
F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

OK = "ok"
NO_PAGE = "no_page"
PAGE_CUT = "page_cut"
TWO_PAGES = "two_pages"
TOO_DARK = "too_dark"
REASONS = (OK, NO_PAGE, PAGE_CUT, TWO_PAGES, TOO_DARK)

# Long-over-short aspect of the documents we expect (ISO 216 A4; ISO/IEC 7810 ID-1).
A4_ASPECT = 297.0 / 210.0
ID1_ASPECT = 85.6 / 54.0


@dataclass(frozen=True)
class DetectorConfig:
    work_long_side: int = 1100  # halve while over 1.3×: 13 MP → 1052×780, 5 MP → 1296×972, 1080p → 960×540
    min_area_frac: float = 0.015  # of the frame; an ID-1 card under a 13 MP 高拍仪 covering A3 is ~3 %
    max_area_frac: float = 0.97
    min_side_frac: float = 0.05  # of the frame's long side
    max_aspect: float = 6.0
    min_angle_deg: float = 60.0  # an overhead camera keeps page corners near 90°
    border_margin_frac: float = 0.0015  # a corner closer than this to the frame edge: cut
    min_support: float = 0.62  # mean share of samples with edge evidence
    min_side_support: float = 0.30  # every side shows itself somewhat (a finger hides < 70 %)
    min_straight: float = 0.65  # mean share of edge samples on the fitted line (pages ≥ 0.8; a
    # hand's fingers and palm closing a quad ≈ 0.57)
    min_side_straight: float = 0.25
    dark_mean: float = 12.0  # mean 8-bit Lab lightness below this and flat: black frame (a black
    # camera base under room light stays above 20)
    dark_std: float = 6.0
    upright_by_text: bool = True  # order the corners by the print's direction when it tells
    two_pages_area_ratio: float = 0.25
    min_unlike_rest: float = 0.29  # colour histogram distance, inside vs rest of frame
    refine_full: bool = True


@dataclass(frozen=True)
class Detection:
    quad: Quad | None  # (4, 2) float64 in source pixels, clockwise from the top-left
    reason: str  # OK or a rejection reason from REASONS
    score: float = 0.0
    kind: str = ""  # "a4", "id1", "strip" or "other", by aspect

    @property
    def found(self) -> bool:
        return self.quad is not None


def _u8(a: object) -> Image:
    """An OpenCV result typed as the uint8 image it is (no copy)."""
    return np.asarray(a, dtype=np.uint8)


# -- features ------------------------------------------------------------------------------

# 8-bit Lab keeps a and b near 128 with a small spread; stretch them ×2 so a colour step
# weighs about like a lightness step of the same perceptual size.
_LAB_LUT = np.stack([
    np.arange(256),
    np.clip((np.arange(256) - 128) * 2 + 128, 0, 255),
    np.clip((np.arange(256) - 128) * 2 + 128, 0, 255),
], axis=1).astype(np.uint8).reshape(256, 1, 3)


@dataclass
class _Level:
    """What candidates are drawn from: the working image halved once more (edges of a
    page's sides survive, print, texture and sensor noise average out, and every
    pass over it costs a quarter)."""

    lab: Image  # smoothed 8-bit Lab, chroma stretched ×2 around 128
    light: Image  # its L channel
    edges: Image
    directed: list[tuple[I64, I64, F32]]  # edge pixels (rows, columns, directions), then those after more blur
    region_lab: Image  # what the region masks split: `lab`, or a smoother copy over texture
    shape: tuple[int, int]  # (h, w)
    desk: F64  # median colour of the frame's rim
    segments: F64 | None = None  # straight edge pieces (`_segments`), once the line candidates have traced them


@dataclass
class _Features:
    small: Image
    lab: Image  # smoothed 8-bit Lab, chroma stretched ×2 around 128
    light: Image  # its L channel
    scale: float  # small / full
    shape: tuple[int, int]  # small (h, w)
    desk: F64  # median colour of the frame's rim
    bins: NDArray[np.int64]  # half-size image of colour bins (16 L × 8 a × 8 b)
    bin_total: F64  # its histogram
    cand: _Level  # candidates are found on this, at half the size
    raw: Image  # Lab (chroma stretched) before smoothing, working size


def _shrink(frame: Image, long_side: int) -> Image:
    """Halve with INTER_AREA while the long side exceeds 1.3 × `long_side`: OpenCV
    averages 2×2 blocks on a fast path (13 MP to 1052×780 in 2 ms; a fractional
    INTER_AREA step takes 12). 13 MP → 1052, 12 MP → 1000, 8 MP → 816, 5 MP → 1296."""
    small = frame
    while max(small.shape[:2]) > 1.3 * long_side:
        small = _u8(cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA))
    return small


def _median_of_counts(counts: NDArray[np.int64]) -> float:
    """The median of the small non-negative integers whose histogram is `counts`,
    exactly as np.median gives it (the mean of the two middle values for an even
    count); a histogram is a tenth of the cost of sorting for a partition."""
    c = np.cumsum(counts)
    n = int(c[-1])
    lo = int(np.searchsorted(c, (n - 1) // 2, side="right"))
    hi = int(np.searchsorted(c, n // 2, side="right"))
    return (lo + hi) / 2


def _colour_gradient(raw: Image, sigma: float, blurred: Image | None = None,
                     ) -> tuple[Image, NDArray[np.int16], NDArray[np.int16], float]:
    """The blurred Lab image (`blurred` when the caller has it already), its Sobel
    derivatives (3 channels, int16) and the median gradient magnitude of the strongest
    channel on every third row and column."""
    lab = _u8(cv2.GaussianBlur(raw, (0, 0), sigma)) if blurred is None else blurred
    dx = np.asarray(cv2.Sobel(lab, cv2.CV_16S, 1, 0), np.int16)
    dy = np.asarray(cv2.Sobel(lab, cv2.CV_16S, 0, 1), np.int16)
    sub = np.abs(dx[::3, ::3]).astype(np.int32) + np.abs(dy[::3, ::3])
    # The channel maximum spelled out: NumPy reduces a length-3 axis slowly.
    strongest = np.maximum(np.maximum(sub[..., 0], sub[..., 1]), sub[..., 2])
    texture = _median_of_counts(np.bincount(strongest.ravel()))
    return lab, dx, dy, texture


def _mod180(x: F32) -> F32:
    """`x % 180` for float32 `x` in [-180, 360), bit for bit as NumPy's remainder gives
    it (fmod, then + 180 where the sign differs; x - 180 is exact above 180), at a third
    of its cost."""
    f180 = np.float32(180.0)
    return np.asarray(np.where(x < 0, x + f180, np.where(x >= f180, x - f180, x)), np.float32)


def _edge_directions(edges: Image, dx: NDArray[np.int16], dy: NDArray[np.int16]) -> tuple[I64, I64, F32]:
    """Edge pixels (rows, columns) and the direction (degrees mod 180) of the gradient
    of the channel that changes most at each: the one Canny followed there."""
    pts = cv2.findNonZero(edges)  # row by row, as np.nonzero, at a tenth of its cost
    if pts is None:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float32)
    xy = np.asarray(pts).reshape(-1, 2).astype(np.int64)
    xs, ys = xy[:, 0], xy[:, 1]
    flat = ys * edges.shape[1] + xs
    gx, gy = dx.reshape(-1, 3)[flat], dy.reshape(-1, 3)[flat]  # (k, 3) int16
    mag = np.abs(gx).astype(np.int32) + np.abs(gy)
    # The first channel of the largest magnitude, as argmax picks it.
    m0, m1, m2 = mag[:, 0], mag[:, 1], mag[:, 2]
    pick = np.where((m0 >= m1) & (m0 >= m2), 0, np.where(m1 >= m2, 1, 2))
    k = np.arange(len(ys))
    theta = _mod180(np.degrees(np.arctan2(gy[k, pick].astype(np.float32), gx[k, pick].astype(np.float32))))
    return ys, xs, theta


def _level(raw: Image, blurred: Image | None = None, desk: F64 | None = None) -> _Level:
    """Edges and region images of a Lab image (chroma stretched). One Canny on the
    colour gradient: per pixel the Lab channel that changes most (a blue card on a grey
    desk of equal lightness still has edges). Thresholds low enough for a 10-level
    step of white paper on a white desk, raised over a textured desk or a noisy sensor
    (speckled laminate, wood grain, a 5 MP frame), where the median gradient is several
    times the ≈ 3 left on a plain one; there a second, blurrier pass too (a page's side
    stays a step, speckles fade). `blurred` and `desk`, when given, are `raw` blurred
    by σ = 1 and its rim's colour (the working image has them already)."""
    lab, dx, dy, texture = _colour_gradient(raw, 1.0, blurred)
    hi = max(30.0, 2.2 * texture)
    # Canny on 3-channel derivatives follows, per pixel, the channel whose gradient is
    # strongest.
    edges = _u8(cv2.Canny(dx, dy, 0.4 * hi, hi, L2gradient=True))
    directed = [_edge_directions(edges, dx, dy)]
    region_lab = lab
    if texture > 6.0:
        region_lab, cdx, cdy, ctex = _colour_gradient(raw, 2.0)
        chi = max(16.0, 2.5 * ctex)
        directed.append(_edge_directions(_u8(cv2.Canny(cdx, cdy, 0.4 * chi, chi, L2gradient=True)), cdx, cdy))
    return _Level(lab, _u8(lab[..., 0]), edges, directed, region_lab, (lab.shape[0], lab.shape[1]),
                  _desk_color(lab) if desk is None else desk)


def _features(frame: Image, long_side: int) -> _Features:
    w = frame.shape[1]
    small = _shrink(frame, long_side)
    scale = small.shape[1] / w
    raw = _u8(cv2.LUT(cv2.cvtColor(small, cv2.COLOR_BGR2Lab), _LAB_LUT))
    lab = _u8(cv2.GaussianBlur(raw, (0, 0), 1.0))
    half_raw = _u8(cv2.resize(raw, (raw.shape[1] // 2, raw.shape[0] // 2), interpolation=cv2.INTER_AREA))
    cand = _level(half_raw)
    half = lab[::2, ::2]
    bins = ((half[..., 0].astype(np.int64) >> 4) << 6) | ((half[..., 1].astype(np.int64) >> 5) << 3) | (
        half[..., 2].astype(np.int64) >> 5)
    return _Features(small, lab, _u8(lab[..., 0]), scale, (small.shape[0], small.shape[1]), _desk_color(lab),
                     bins, np.bincount(bins.ravel(), minlength=1024).astype(np.float64), cand, raw)


# -- sampling ------------------------------------------------------------------------------


def _sample(img: NDArray[np.generic], pts: NDArray[np.floating]) -> F32:
    """Bilinear samples of `img` (h, w[, c]) at points (..., 2) → (..., c) float32."""
    shape = pts.shape[:-1]
    flat = pts.reshape(-1, 2)
    k = len(flat)
    cols = 1024  # remap wants maps under 32767 rows: lay the points out as a 2-D map
    rows = -(-k // cols)
    grid = np.zeros((rows * cols, 2), np.float32)
    grid[:k] = flat
    grid3 = grid.reshape(rows, cols, 2)
    out = cv2.remap(np.asarray(img), grid3[..., 0], grid3[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    arr = np.asarray(out, dtype=np.float32).reshape(rows * cols, -1)[:k]
    return arr.reshape((*shape, arr.shape[-1]))


def _side_frames(q: Quad, n: int, trim: float) -> tuple[F64, F64, F64]:
    """Per side of a clockwise quad: sample points (4, n, 2), outward unit normals
    (4, 2) and lengths (4,)."""
    d = q[NEXT] - q
    lengths = np.sqrt(np.sum(d * d, axis=1))
    t = np.linspace(trim, 1.0 - trim, n)
    pts = q[:, None, :] + t[None, :, None] * d[:, None, :]
    # Clockwise on screen (y down): the outward normal of edge d is (d_y, -d_x).
    normals = np.stack([d[:, 1], -d[:, 0]], axis=1) / (lengths[:, None] + 1e-12)
    return pts, normals, lengths


# -- evidence ------------------------------------------------------------------------------

# Offsets (px, outward positive) of the colour profile taken across each side.
_PROFILE = np.array([-7.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 7.0])
_I_IN7, _I_IN3, _I_OUT3, _I_OUT7 = 0, 2, 8, 10


@dataclass
class _Evidence:
    support: F64  # (C, 4): share of samples with a step or a rim
    steps: F64  # (C, 4): share of samples with a step
    straight: F64  # (C, 4): share of samples whose edge lies within 1.2 px of the side
    corners: I64  # (C,): corners whose inside looks like the page
    samples: NDArray[np.bool_]  # (C, 4, n): which samples along each side show a step
    polarity: F64  # (C, 4): sign of inside-minus-outside lightness over a side's steps (0: mixed)
    contrast: F64  # (C,): median colour inside the outline against median outside
    spread: F64  # (C,): median distance of the outside samples from their median
    side_contrast: F64  # (C, 4): per side, median colour 7 px inside against 7 px outside


def _evidence(lab: Image, quads: F64, n: int = 24) -> _Evidence:
    """Colour profiles across every side of every quad (C, 4, 2), in one remap.

    A step compares the colour outside with the colour inside at 3 px *and* at 7 px
    from the side: a printed border, a grid line or a plank seam is a line a few px
    wide, so at most one of the two distances straddles it. Where paper and desk are
    equally bright (white on white under uneven light) only the page's thin shadow rim
    shows; that counts as evidence, but a page needs two sides with steps. Straightness
    is where the strongest derivative within ±4 px lies: on the side, for a page."""
    h, w = lab.shape[:2]
    d = quads[:, NEXT] - quads
    lengths = np.sqrt(np.sum(d * d, axis=2))
    normals = np.stack([d[..., 1], -d[..., 0]], axis=2) / (lengths[..., None] + 1e-12)
    t = np.linspace(0.1, 0.9, n)
    pts = quads[:, :, None, :] + t[None, None, :, None] * d[:, :, None, :]
    coords = pts[:, :, :, None, :] + _PROFILE[None, None, None, :, None] * normals[:, :, None, None, :]
    prof = _sample(lab, coords)  # (C, 4, n, 11, 3)
    inside_frame = ((coords[..., 0] >= 0) & (coords[..., 0] <= w - 1)
                    & (coords[..., 1] >= 0) & (coords[..., 1] <= h - 1)).all(axis=3)
    step = np.minimum(np.linalg.norm(prof[..., _I_OUT3, :] - prof[..., _I_IN3, :], axis=-1),
                      np.linalg.norm(prof[..., _I_OUT7, :] - prof[..., _I_IN7, :], axis=-1))
    # Paper on a desk differs by ≥ 9 levels even on a white desk; the noise left is
    # ~1 level. Relative to the side's own median too, so a glare spot on one stretch
    # does not decide for the whole side.
    med = np.median(step, axis=2, keepdims=True)
    step_ok = (step >= 6.0) & (step >= 0.35 * med) & inside_frame
    # A rim is a thin line darker than both sides (the page's own shadow), never a
    # lighter one (a cutting mat's printed grid).
    ends = (prof[..., _I_IN7, :] + prof[..., _I_OUT7, :]) / 2
    rim = np.max(ends[..., None, 0] - prof[..., 3:8, 0], axis=-1)
    flat = np.linalg.norm(prof[..., _I_IN7, :] - prof[..., _I_OUT7, :], axis=-1)
    rim_ok = (rim >= 5.0) & (rim >= 1.5 * flat) & inside_frame
    # Derivative at offsets -3..3 (central differences over ±1 px), sub-pixel peak.
    der = np.linalg.norm(prof[..., 3:10, :] - prof[..., 1:8, :], axis=-1)  # offsets -3..3
    j = np.argmax(der, axis=-1)
    jm = np.clip(j, 1, 5)
    y0 = np.take_along_axis(der, (jm - 1)[..., None], axis=-1)[..., 0]
    y1 = np.take_along_axis(der, jm[..., None], axis=-1)[..., 0]
    y2 = np.take_along_axis(der, (jm + 1)[..., None], axis=-1)[..., 0]
    den = y0 - 2 * y1 + y2
    frac = np.clip(np.where(np.abs(den) > 1e-6, 0.5 * (y0 - y2) / np.where(np.abs(den) > 1e-6, den, 1.0), 0.0),
                   -0.5, 0.5)
    pos = (jm - 3) + frac
    # On the line: the peak sits at a steady offset along the side (a thin shadow rim
    # just outside the paper puts it 1-2 px out, consistently).
    strong = (y1 >= 4.0) & (j > 0) & (j < 6) & inside_frame
    centre = np.median(np.where(strong, pos, 0.0), axis=2, keepdims=True)
    on_line = (np.abs(pos - centre) <= 1.2) & (np.abs(pos) <= 2.5) & strong
    denom = np.maximum(inside_frame.sum(axis=2), 1)
    corners = _corner_count(lab, quads, prof[..., _I_OUT7, :], prof[..., _I_IN7, :], lengths)
    edge_ok = step_ok | rim_ok
    c = len(quads)
    med_in = np.median(prof[..., [_I_IN7, _I_IN3], :].reshape(c, -1, 3), axis=1)
    outs = prof[..., [_I_OUT3, _I_OUT7], :].reshape(c, -1, 3)
    med_out = np.median(outs, axis=1)
    contrast = np.linalg.norm(med_in - med_out, axis=1)
    # Against the desk's own spread around the quad: wood grain varies by 10 levels
    # and more, a white laminate by 1-2. A strip of wood between grain lines differs
    # from the wood around it by no more than the wood varies.
    spread = np.median(np.linalg.norm(outs - med_out[:, None, :], axis=2), axis=1)
    # Occluded samples: the same foreign thing on both sides of the side, unlike the
    # page inside and the desk outside (a finger or a hand over the edge, a pen lying
    # across it). They neither show nor deny the edge, so they leave the count, up to
    # 60 % of a side. Only for a quad that stands out from its surroundings as a
    # whole (a text block's lines would otherwise excuse its missing steps).
    tau = np.maximum(8.0, 0.35 * contrast)[:, None, None]
    cin, cout = prof[..., _I_IN7, :], prof[..., _I_OUT7, :]
    occluded = ((np.linalg.norm(cin - med_in[:, None, None, :], axis=-1) > tau)
                & (np.linalg.norm(cout - med_out[:, None, None, :], axis=-1) > tau)
                & (np.linalg.norm(cin - cout, axis=-1) < tau) & ~edge_ok & inside_frame
                & (contrast >= 12.0)[:, None, None])
    denom = np.maximum(denom - np.minimum(occluded.sum(axis=2), 0.6 * denom), 1)
    # Which side of each step is lighter, where a side is consistent about it (≥ 80 %).
    lighter_in = (prof[..., _I_IN7, 0] > prof[..., _I_OUT7, 0]) & step_ok
    lighter_out = (prof[..., _I_IN7, 0] < prof[..., _I_OUT7, 0]) & step_ok
    n_steps = np.maximum(step_ok.sum(axis=2), 1)
    polarity = np.where(lighter_in.sum(axis=2) >= 0.8 * n_steps, 1.0,
                        np.where(lighter_out.sum(axis=2) >= 0.8 * n_steps, -1.0, 0.0))
    # Per side, over its whole length: one sheet against one desk shows about the same
    # step all round; a side drawn along a grain line beside a card shows the desk's own
    # variation.
    side_contrast = np.linalg.norm(np.median(cin, axis=2) - np.median(cout, axis=2), axis=-1)
    return _Evidence(edge_ok.sum(axis=2) / denom, step_ok.sum(axis=2) / denom,
                     (on_line & ~occluded).sum(axis=2) / denom, corners, step_ok, polarity,
                     contrast.astype(np.float64), spread.astype(np.float64), side_contrast.astype(np.float64))


def _clockwise_all(quads: F64) -> F64:
    """Quads (C, 4, 2) clockwise on screen, each starting from its top-most corner
    (then left-most): one spelling per outline, for comparing them."""
    x, y = quads[..., 0], quads[..., 1]
    sa = np.sum(x * y[:, NEXT] - x[:, NEXT] * y, axis=1)
    q = np.where((sa < 0)[:, None, None], quads[:, [0, 3, 2, 1]], quads)
    start = np.argmin(q[..., 1] * 1e6 + q[..., 0], axis=1)
    idx = (start[:, None] + np.arange(4)[None, :]) % 4
    return np.take_along_axis(q, idx[..., None], axis=1)


def _snap(lab: Image, quads: F64, n: int = 16, reach: int = 4) -> F64:
    """Quads (C, 4, 2) found at half the size, each side moved onto the strongest colour
    change within ±`reach` px: the median peak of the derivative across the side over
    each half of its length sets where the side runs there. Cheaper than a refit, and
    enough for the profiles that score the quads (they look 3 and 7 px either side)."""
    if not len(quads):
        return quads
    d = quads[:, NEXT] - quads
    lengths = np.sqrt(np.sum(d * d, axis=2))
    normals = np.stack([d[..., 1], -d[..., 0]], axis=2) / (lengths[..., None] + 1e-12)
    t = np.concatenate([np.linspace(0.08, 0.45, n // 2), np.linspace(0.55, 0.92, n // 2)])
    offs = np.arange(-reach - 1, reach + 2, dtype=np.float64)
    pts = quads[:, :, None, :] + t[None, None, :, None] * d[:, :, None, :]
    coords = pts[:, :, :, None, :] + offs[None, None, None, :, None] * normals[:, :, None, None, :]
    prof = _sample(lab, coords)  # (C, 4, n, m, 3)
    der = np.linalg.norm(prof[..., 2:, :] - prof[..., :-2, :], axis=-1)  # centred on offs[1:-1]
    j = np.argmax(der, axis=-1)
    strong = np.take_along_axis(der, j[..., None], axis=-1)[..., 0] >= 6.0
    pos = offs[1:-1][j]
    half = n // 2

    def median_strong(sl: slice) -> F64:
        # Median over the strong samples of each half (0 where none is strong): the
        # weak ones sort last, the middle of the strong ones is read off.
        v = np.sort(np.where(strong[..., sl], pos[..., sl], np.inf), axis=-1)
        k = strong[..., sl].sum(axis=-1)
        lo = np.take_along_axis(v, np.maximum((k - 1) // 2, 0)[..., None], axis=-1)[..., 0]
        hi = np.take_along_axis(v, np.minimum(k // 2, v.shape[-1] - 1)[..., None], axis=-1)[..., 0]
        return np.asarray(np.where(k > 0, (lo + np.where(k % 2 == 0, hi, lo)) / 2, 0.0), np.float64)

    o1 = median_strong(slice(0, half))
    o2 = median_strong(slice(half, n))
    ta, tb = t[: half].mean(), t[half:].mean()
    # Points the moved side passes through, and its line.
    p1 = quads + ta * d + o1[..., None] * normals
    p2 = quads + tb * d + o2[..., None] * normals
    u = p2 - p1
    nrm = np.stack([-u[..., 1], u[..., 0]], axis=-1)
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True) + 1e-12
    cst = -np.sum(nrm * p1, axis=-1)
    out = np.empty_like(quads)
    for i in range(4):
        a1, b1, c1 = nrm[:, i - 1, 0], nrm[:, i - 1, 1], cst[:, i - 1]
        a2, b2, c2 = nrm[:, i, 0], nrm[:, i, 1], cst[:, i]
        den = a1 * b2 - a2 * b1
        ok = np.abs(den) > 1e-9
        safe = np.where(ok, den, 1.0)
        out[:, i, 0] = np.where(ok, (b1 * c2 - b2 * c1) / safe, quads[:, i, 0])
        out[:, i, 1] = np.where(ok, (c1 * a2 - c2 * a1) / safe, quads[:, i, 1])
    return np.asarray(out, np.float64)


def _corner_count(lab: Image, quads: F64, outside: F32, inside: F32, lengths: F64) -> I64:
    """Corners whose inside does not look like the desk. A finger or a pen
    (a capsule) has straight sides but round ends: its quad's corners lie on the desk.
    The probe sits 6 % of the short side in from both sides, inside the rounded corner
    of an ID-1 card (r = 3.18 mm of 54 mm)."""
    h, w = lab.shape[:2]
    short = np.minimum(lengths[:, 0] + lengths[:, 2], lengths[:, 1] + lengths[:, 3]) / 2
    delta = 0.06 * short
    # References near each corner: the first samples of the side leaving it and the
    # last of the side arriving (a dark header band makes a page's corners dark).
    in_first, in_last = inside[:, :, :3].mean(axis=2), inside[:, :, -3:].mean(axis=2)
    out_first, out_last = outside[:, :, :3].mean(axis=2), outside[:, :, -3:].mean(axis=2)
    u1 = quads[:, NEXT] - quads
    u2 = quads[:, PREV] - quads
    u1 /= np.linalg.norm(u1, axis=2, keepdims=True) + 1e-12
    u2 /= np.linalg.norm(u2, axis=2, keepdims=True) + 1e-12
    sin = np.abs(u1[..., 0] * u2[..., 1] - u1[..., 1] * u2[..., 0])
    probes = quads + (u1 + u2) * (delta[:, None] / np.maximum(sin, 0.2))[..., None]
    vals = _sample(lab, probes)  # (C, 4, 3)
    ref_in = (in_first + in_last[:, PREV]) / 2  # corner i joins sides i-1 and i
    ref_out = (out_first + out_last[:, PREV]) / 2
    # Not desk, rather than like the page: a finger pressing the corner still counts.
    d_out = np.linalg.norm(vals - ref_out, axis=2)
    near_in = (d_out > np.linalg.norm(vals - ref_in, axis=2)) | (
        d_out >= np.maximum(6.0, 0.5 * np.linalg.norm(ref_in - ref_out, axis=2)))
    visible = (probes[..., 0] >= 0) & (probes[..., 0] <= w - 1) & (probes[..., 1] >= 0) & (probes[..., 1] <= h - 1)
    return np.asarray(np.sum(near_in & visible, axis=1), dtype=np.int64)


# -- robust line fitting --------------------------------------------------------------------


def _fit_lines(points: F64, weights: F64, tol: float) -> tuple[F64, NDArray[np.bool_]] | None:
    """One line per side from edge points (4, n, 2) with weights (4, n), zero weight for
    samples without an edge: RANSAC over a fixed set of sample pairs (deterministic),
    then weighted total least squares on the inliers, twice. Returns lines (4, 3) as
    (a, b, c) with unit normals and the inlier masks (4, n), or None."""
    n = points.shape[1]
    half = n // 2
    ia = np.arange(0, half, max(1, half // 8))
    ib = np.arange(half, n, max(1, (n - half) // 6))
    pi, pj = (g.ravel() for g in np.meshgrid(ia, ib, indexing="ij"))
    d = points[:, pj] - points[:, pi]  # (4, P, 2)
    nrm = np.stack([-d[..., 1], d[..., 0]], axis=2)
    nrm /= np.linalg.norm(nrm, axis=2, keepdims=True) + 1e-12
    c = -np.sum(nrm * points[:, pi], axis=2)  # (4, P)
    usable = (weights[:, pi] > 0) & (weights[:, pj] > 0)
    res = np.abs(np.einsum("snk,spk->snp", points, nrm) + c[:, None, :])  # (4, n, P)
    score = np.einsum("snp,sn->sp", (res < tol).astype(np.float64), weights)
    score = np.where(usable, score, -1.0)
    best = np.argmax(score, axis=1)
    inl = (np.take_along_axis(res, best[:, None, None], axis=2)[..., 0] < tol) & (weights > 0)
    lines = np.zeros((4, 3))
    for _ in range(2):
        if np.any(inl.sum(axis=1) < 3):
            return None
        w = weights * inl
        mean = np.einsum("sn,snk->sk", w, points) / w.sum(axis=1, keepdims=True)
        dev = points - mean[:, None, :]
        cov = np.einsum("sn,sni,snj->sij", w, dev, dev)
        _, evecs = np.linalg.eigh(cov)
        nv = evecs[:, :, 0]  # smallest eigenvalue: the normal
        lines = np.concatenate([nv, -np.sum(nv * mean, axis=1, keepdims=True)], axis=1)
        new = (np.abs(np.einsum("snk,sk->sn", points, nv) + lines[:, 2:3]) < tol) & (weights > 0)
        if np.any(new.sum(axis=1) < 3):
            break
        inl = new
    return lines, inl


def _edge_points(
    img: NDArray[np.generic], q: Quad, radius: int, n: int, smooth: int, min_strength: float,
) -> tuple[F64, F64, NDArray[np.bool_]]:
    """Edge points per side: where the mean colour over `smooth` px outside differs most
    from the mean over `smooth` px inside, within ±radius along the normal, refined to
    sub-pixel by a parabola. A box step rather than a derivative, so a printed line or
    a mat's grid line just outside the paper does not outbid the paper's own edge.
    Returns points (4, n, 2), strengths (4, n) and which samples had an edge at all."""
    pts, normals, _ = _side_frames(q, n, 0.1)
    s = smooth
    offs = np.arange(-radius - s, radius + s + 1, dtype=np.float64)
    coords = pts[:, :, None, :] + offs[None, None, :, None] * normals[:, None, None, :]
    prof = _sample(img, coords)  # (4, n, m, c)
    csum = np.concatenate([np.zeros_like(prof[:, :, :1]), np.cumsum(prof, axis=2)], axis=2)
    i = np.arange(s, prof.shape[2] - s)  # centres with a full box on both sides
    der = (csum[:, :, i + s + 1] - csum[:, :, i + 1] - (csum[:, :, i] - csum[:, :, i - s])) / s
    offs = offs[s : len(offs) - s]
    st = np.sqrt(np.sum(der * der, axis=3))  # (4, n, m')
    mm = st.shape[2]
    j = np.argmax(st, axis=2)
    val = np.take_along_axis(st, j[..., None], axis=2)[..., 0]
    jm = np.clip(j, 1, mm - 2)
    y0 = np.take_along_axis(st, (jm - 1)[..., None], axis=2)[..., 0]
    y1 = np.take_along_axis(st, jm[..., None], axis=2)[..., 0]
    y2 = np.take_along_axis(st, (jm + 1)[..., None], axis=2)[..., 0]
    den = y0 - 2 * y1 + y2
    safe = np.where(np.abs(den) > 1e-6, den, 1.0)
    frac = np.clip(np.where(np.abs(den) > 1e-6, 0.5 * (y0 - y2) / safe, 0.0), -0.5, 0.5)
    off = np.where((j == 0) | (j == mm - 1), offs[j], offs[jm] + frac)
    med = np.median(val, axis=1, keepdims=True)
    good = (val >= min_strength) & (val >= 0.25 * med) & (j > 0) & (j < mm - 1)
    return pts + off[..., None] * normals[:, None, :], val.astype(np.float64), good


@dataclass
class _Fit:
    quad: Quad
    straight: F64  # per side: share of samples on the fitted line


def _refit(
    img: NDArray[np.generic], q: Quad, radius: int, n: int, smooth: int, min_strength: float, tol: float,
) -> _Fit | None:
    pts, val, good = _edge_points(img, q, radius, n, smooth, min_strength)
    if np.any(good.sum(axis=1) < 4):
        return None
    fit = _fit_lines(pts, np.where(good, np.sqrt(val), 0.0), tol)
    if fit is None:
        return None
    lines, inl = fit
    straight = inl.sum(axis=1) / n
    corners = []
    for i in range(4):
        p = np.cross(lines[i - 1], lines[i])
        if abs(p[2]) < 1e-9:
            return None
        corners.append(p[:2] / p[2])
    quad = as_quad(corners)
    if not np.all(np.isfinite(quad)):
        return None
    return _Fit(clockwise(quad), straight)


# -- geometry in bulk ----------------------------------------------------------------------


def _lines_of(poly: F64) -> tuple[F64, F64]:
    d = np.roll(poly, -1, axis=0) - poly
    nrm = np.stack([-d[:, 1], d[:, 0]], axis=1)
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True) + 1e-12
    return nrm, -np.sum(nrm * poly, axis=1)


def _combo_quads(nrm: F64, cst: F64, combos: I64) -> tuple[F64, NDArray[np.bool_]]:
    """Corners of the quads whose sides (in cyclic order) are lines `combos` (k, 4),
    and which of them are finite and convex."""
    corners = np.empty((len(combos), 4, 2))
    for s in range(4):
        i, j = combos[:, (s - 1) % 4], combos[:, s]
        a1, b1, c1 = nrm[i, 0], nrm[i, 1], cst[i]
        a2, b2, c2 = nrm[j, 0], nrm[j, 1], cst[j]
        den = a1 * b2 - a2 * b1  # the cross product of the two lines, spelled out
        with np.errstate(divide="ignore", invalid="ignore"):
            corners[:, s, 0] = (b1 * c2 - b2 * c1) / den
            corners[:, s, 1] = (c1 * a2 - c2 * a1) / den
    ok = np.all(np.isfinite(corners), axis=(1, 2))
    corners[~ok] = 0.0
    d1 = corners[:, NEXT] - corners
    d2 = d1[:, NEXT]
    cross = d1[..., 0] * d2[..., 1] - d1[..., 1] * d2[..., 0]
    ok &= np.all(cross > 0, axis=1) | np.all(cross < 0, axis=1)
    return corners, ok


def _areas(corners: F64) -> F64:
    x, y = corners[..., 0], corners[..., 1]
    return np.asarray(np.abs(0.5 * np.sum(x * y[..., NEXT] - x[..., NEXT] * y, axis=-1)))


# -- candidates ----------------------------------------------------------------------------


def _hull_quads(contour: NDArray[np.int32]) -> list[Quad]:
    """Quads from a region's convex hull: the hull itself when it simplifies to 4
    corners; the quad on its 4 longest sides (a finger bulges the hull but leaves
    most of each page side on the hull); the smallest quad on hull sides holding it."""
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    out: list[Quad] = []
    approx = cv2.approxPolyDP(hull, 0.02 * peri, True).reshape(-1, 2).astype(np.float64)
    if len(approx) == 4:
        out.append(as_quad(approx))
    poly = cv2.approxPolyDP(hull, 0.006 * peri, True).reshape(-1, 2).astype(np.float64)
    if len(poly) < 4:
        return out
    lens = np.linalg.norm(np.roll(poly, -1, axis=0) - poly, axis=1)
    top = np.sort(np.argsort(-lens)[:8])
    combos = np.array(list(combinations(top.tolist(), 4)), dtype=np.int64)
    nrm, cst = _lines_of(poly)
    corners, ok = _combo_quads(nrm, cst, combos)
    a = _areas(corners)
    hull_area = float(cv2.contourArea(hull))
    ok &= (a >= 0.5 * hull_area) & (a <= 2.5 * hull_area)
    if ok.any():
        support = lens[combos].sum(axis=1)
        i = int(np.argmax(np.where(ok, support, -1.0)))
        out.append(as_quad(corners[i]))
        small = ok & (a >= 0.98 * hull_area)
        if small.any():
            out.append(as_quad(corners[int(np.argmin(np.where(small, a, np.inf)))]))
    return out


def _region_contours(mask: Image, min_area: float) -> list[NDArray[np.int32]]:
    # CCOMP, not EXTERNAL: a page is a component inside the hole of the desk's component,
    # and EXTERNAL would return the desk only. Holes (text on the page) are skipped.
    contours, hier = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hier is None:
        return []
    top = np.flatnonzero(hier[0][:, 3] < 0)
    return [np.asarray(contours[int(i)], np.int32) for i in top if cv2.contourArea(contours[int(i)]) >= min_area]


def _segments(f: _Level, min_len: float, limit: int = 200) -> F64:
    """Straight pieces of the edges, (k, 4) as x0 y0 x1 y1, the longest first.

    The edges are split first into four overlapping orientation classes (±34° around
    0°, 45°, 90° and 135°): a page's side touched by print, a guilloche or a finger
    would otherwise be traced as one tangle with them, and no straight piece of it
    would be long enough. Every straight line lies wholly in at least one class."""
    polys = []
    mask = np.zeros_like(f.edges)
    flat_mask = mask.reshape(-1)
    for ys, xs, theta in f.directed:
        flat = ys * mask.shape[1] + xs
        for centre in (0.0, 45.0, 90.0, 135.0):
            sel = flat[np.abs(_mod180(theta - centre + 90.0) - 90.0) <= 34.0]
            mask[:] = 0
            flat_mask[sel] = 255
            if len(sel) > 8000:
                # Speckled laminate or wood grain leaves thousands of edge specks, each a
                # contour for findContours to trace and for Python to look at. A contour
                # visits each pixel of its component at most 4 times, so a component of
                # fewer than min_len / 2 pixels has no contour of 2·min_len points: clear
                # those first (the contours of the others come out the same, in order).
                n, labels = cv2.connectedComponents(mask, connectivity=8)
                at = np.asarray(labels).reshape(-1)[sel]
                flat_mask[sel[(np.bincount(at, minlength=n) < min_len / 2)[at]]] = 0
            contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
            # A contour of a 1-px edge runs along it and back: its arc length is twice
            # the edge's, so a straight piece of min_len needs an arc of 2·min_len.
            polys += [cv2.approxPolyDP(c, 1.5, True).reshape(-1, 2) for c in contours if len(c) >= 2 * min_len]
    if not polys:
        return np.zeros((0, 4))
    p0 = np.vstack(polys).astype(np.float64)
    # Each polygon is closed: the piece after its last vertex returns to its first.
    sizes = np.array([len(p) for p in polys])
    nxt = np.arange(len(p0)) + 1
    ends = np.cumsum(sizes)
    nxt[ends - 1] = ends - sizes
    p1 = p0[nxt]
    lens = np.linalg.norm(p1 - p0, axis=1)
    keep = np.flatnonzero(lens >= min_len)
    # The contour of a 1-px edge traces each piece twice, once each way: keep one.
    a, b = p0[keep], p1[keep]
    flip = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    canon = np.where(flip[:, None], np.hstack([b, a]), np.hstack([a, b]))
    _, first = np.unique(canon, axis=0, return_index=True)
    keep = keep[first]
    keep = keep[np.argsort(-lens[keep], kind="stable")][:limit]
    return np.hstack([p0[keep], p1[keep]])


@dataclass
class _Lines:
    nrm: F64  # (m, 2) unit normals
    cst: F64  # (m,)
    dirs: F64  # (m, 2)
    cum: F32  # (m, 2*span+1) cumulative covered length along each line, 1 px bins
    span: int


def _merge_lines(segs: F64, span: int, max_lines: int, min_support: float) -> _Lines | None:
    """Greedy clustering of collinear segments, longest first (a finger or a glare spot
    splits a page side into pieces on one line), then a weighted refit per cluster.
    A segment joins the first cluster whose founding segment's line it lies on (within
    2° and 2.5 px at both ends); the clusters are fitted and measured all at once."""
    k = len(segs)
    d = segs[:, 2:] - segs[:, :2]
    lens = np.linalg.norm(d, axis=1)
    u = d / lens[:, None]
    n0 = np.stack([-u[:, 1], u[:, 0]], axis=1)
    c0 = -np.sum(n0 * segs[:, :2], axis=1)
    cos_tol = math.cos(math.radians(2.0))
    # compat[a, b]: segment b lies on segment a's line.
    compat = ((np.abs(u @ u.T) >= cos_tol) & (np.abs(n0 @ segs[:, :2].T + c0[:, None]) <= 2.5)
              & (np.abs(n0 @ segs[:, 2:].T + c0[:, None]) <= 2.5))
    founder = np.zeros(k, bool)
    label = np.zeros(k, np.int64)
    for i in range(k):
        hit = np.flatnonzero(founder[:i] & compat[:i, i])
        if len(hit):
            label[i] = label[hit[0]]
        else:
            founder[i] = True
            label[i] = int(founder[:i].sum())
    m = int(founder.sum())
    # Weighted total least squares per cluster (endpoints weighted by segment length).
    pts = np.vstack([segs[:, :2], segs[:, 2:]])
    lab2 = np.concatenate([label, label])
    wt = np.concatenate([lens, lens])
    sw = np.bincount(lab2, wt, m)
    mx = np.bincount(lab2, wt * pts[:, 0], m) / sw
    my = np.bincount(lab2, wt * pts[:, 1], m) / sw
    dx, dy = pts[:, 0] - mx[lab2], pts[:, 1] - my[lab2]
    sxx = np.bincount(lab2, wt * dx * dx, m)
    syy = np.bincount(lab2, wt * dy * dy, m)
    sxy = np.bincount(lab2, wt * dx * dy, m)
    # The direction is the major axis; the normal is perpendicular to it.
    ang = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    dirs = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    nrm = np.stack([-dirs[:, 1], dirs[:, 0]], axis=1)
    # Keep the conventions of a line fitted from its normal n: direction (n_y, -n_x).
    dirs = np.stack([nrm[:, 1], -nrm[:, 0]], axis=1)
    cst = -(nrm[:, 0] * mx + nrm[:, 1] * my)
    # Covered length along each line, 1-px bins: +1 where a member starts, -1 where it
    # ends, summed, then whether anything covers each bin.
    ta = np.sum(segs[:, :2] * dirs[label], axis=1)
    tb = np.sum(segs[:, 2:] * dirs[label], axis=1)
    lo = np.clip(np.minimum(ta, tb) + span, 0, 2 * span).astype(np.int64)
    hi = np.clip(np.maximum(ta, tb) + span, 0, 2 * span).astype(np.int64)
    marks = np.zeros((m, 2 * span + 1), np.int32)
    np.add.at(marks, (label, lo), 1)
    np.add.at(marks, (label, hi), -1)
    cov = (np.cumsum(marks, axis=1)[:, : 2 * span] > 0).astype(np.float32)
    sup = cov.sum(axis=1)
    keep = np.flatnonzero(sup >= min_support)
    if len(keep) < 4:
        return None
    order = keep[np.argsort(-sup[keep])][:max_lines]
    cums = np.concatenate([np.zeros((len(order), 1), np.float32), np.cumsum(cov[order], axis=1)], axis=1)
    return _Lines(nrm[order], cst[order], dirs[order], cums.astype(np.float32), span)


def _coverage(lines: _Lines, combos: I64, corners: F64) -> F64:
    """(k, 4): share of each side of each quad covered by edge segments of its line."""
    cover = np.zeros((len(combos), 4))
    for s in range(4):
        li = combos[:, s]
        t0 = np.sum(corners[:, s] * lines.dirs[li], axis=1)
        t1 = np.sum(corners[:, (s + 1) % 4] * lines.dirs[li], axis=1)
        lo = np.clip(np.minimum(t0, t1) + lines.span, 0, 2 * lines.span).astype(np.int64)
        hi = np.clip(np.maximum(t0, t1) + lines.span, 0, 2 * lines.span).astype(np.int64)
        cover[:, s] = (lines.cum[li, hi] - lines.cum[li, lo]) / np.maximum(np.abs(t1 - t0), 1.0)
    return cover


def _runs(lines: _Lines, gap: float) -> tuple[F64, F64]:
    """Per line, the longest run its edges cover with gaps up to `gap` px bridged:
    start and end positions along the line (its `dirs` convention)."""
    cov = (np.diff(lines.cum, axis=1) > 0).astype(np.uint8)
    k = max(1, int(gap))
    closed = np.asarray(cv2.morphologyEx(cov, cv2.MORPH_CLOSE, np.ones((1, k), np.uint8)), np.uint8)
    pad = np.pad(closed.astype(np.int8), ((0, 0), (1, 1)))
    edges = np.diff(pad, axis=1)
    start, end = np.zeros(len(cov)), np.zeros(len(cov))
    for i in range(len(cov)):
        st, en = np.flatnonzero(edges[i] == 1), np.flatnonzero(edges[i] == -1)
        if len(st):
            j = int(np.argmax(en - st))
            start[i], end[i] = st[j] - lines.span, en[j] - lines.span
    return start, end


def _corner_seeds(lines: _Lines, long_side: float, max_lines: int = 60) -> F64:
    """Parallelograms on two roughly perpendicular lines whose covered runs both end
    near the lines' crossing: corner, the far ends of both runs, and the fourth corner
    that completes them."""
    m = min(max_lines, len(lines.cst))
    start, end = _runs(lines, 0.02 * long_side)
    start, end = start[:m], end[:m]
    length = end - start
    ia, ib = np.triu_indices(m, 1)
    perp = np.abs(np.sum(lines.dirs[ia] * lines.dirs[ib], axis=1)) < math.cos(math.radians(60))
    ok_len = (length[ia] >= 0.05 * long_side) & (length[ib] >= 0.05 * long_side)
    ia, ib = ia[perp & ok_len], ib[perp & ok_len]
    if not len(ia):
        return np.zeros((0, 4, 2))
    n1, c1, n2, c2 = lines.nrm[ia], lines.cst[ia], lines.nrm[ib], lines.cst[ib]
    den = n1[:, 0] * n2[:, 1] - n2[:, 0] * n1[:, 1]
    px = (n1[:, 1] * c2 - n2[:, 1] * c1) / den
    py = (c1 * n2[:, 0] - c2 * n1[:, 0]) / den
    p = np.stack([px, py], axis=1)
    out = []
    ta = np.sum(p * lines.dirs[ia], axis=1)
    tb = np.sum(p * lines.dirs[ib], axis=1)
    tol_a = np.maximum(6.0, 0.1 * length[ia])
    tol_b = np.maximum(6.0, 0.1 * length[ib])
    near_a = np.minimum(np.abs(ta - start[ia]), np.abs(ta - end[ia])) <= tol_a
    near_b = np.minimum(np.abs(tb - start[ib]), np.abs(tb - end[ib])) <= tol_b
    keep = np.flatnonzero(near_a & near_b)
    for k in keep[np.argsort(-(length[ia[keep]] + length[ib[keep]]))][:40]:
        i, j = ia[k], ib[k]
        far_i = start[i] if abs(ta[k] - start[i]) > abs(ta[k] - end[i]) else end[i]
        far_j = start[j] if abs(tb[k] - start[j]) > abs(tb[k] - end[j]) else end[j]
        ei = p[k] + (far_i - ta[k]) * lines.dirs[i]
        ej = p[k] + (far_j - tb[k]) * lines.dirs[j]
        out.append(clockwise(as_quad([p[k], ei, ei + ej - p[k], ej])))
    return np.array(out, dtype=np.float64).reshape(-1, 4, 2)


def _frame_ok(corners: F64, shape: tuple[int, int], cfg: DetectorConfig, allow_outside: float) -> NDArray[np.bool_]:
    h, w = shape
    margin = -allow_outside * max(h, w)
    with np.errstate(invalid="ignore"):
        ok = np.all((corners[..., 0] > margin) & (corners[..., 0] < w - 1 - margin)
                    & (corners[..., 1] > margin) & (corners[..., 1] < h - 1 - margin), axis=1)
    a = _areas(corners)
    return np.asarray(ok & (a >= cfg.min_area_frac * h * w) & (a <= cfg.max_area_frac * h * w))


def _best_by_cover(corners: F64, cover: F64, keep: int) -> list[Quad]:
    """The best covered quads, and the largest well-covered ones (a form's table cells
    are perfectly covered; the page around them may have a glare gap)."""
    score = cover.mean(axis=1) + 0.5 * cover.min(axis=1)
    # One side may be mostly hidden (glare over it, a hand): three well covered sides
    # and a trace of the fourth is enough to try.
    srt = np.sort(cover, axis=1)
    usable = (srt[:, 0] >= 0.1) & (srt[:, 1] >= 0.4)
    idx = np.flatnonzero(usable)
    best = idx[np.argsort(-score[idx])][:keep]
    big = np.flatnonzero(usable & (srt[:, 0] >= 0.3))
    big = big[np.argsort(-_areas(corners[big]))][: keep // 2]
    chosen = list(dict.fromkeys(best.tolist() + big.tolist()))
    return [clockwise(as_quad(corners[i])) for i in chosen]


def _line_quads(f: _Level, cfg: DetectorConfig, seeds: list[Quad], keep: int = 10) -> list[Quad]:
    """Quads on 4 edge lines: (1) over the strongest lines of the frame, two roughly
    parallel pairs roughly perpendicular to each other; (2) around each seed quad (a
    region's outline), the lines lying near each of its sides. Ranked by how much of
    each side edge segments cover. This finds a page whose outline has gaps (glare, a
    finger, white on white) where every region leaks into the desk, and a page among
    the long lines of a cutting mat or a form."""
    h, w = f.shape
    long_side = max(h, w)
    segs = _segments(f, 0.03 * long_side)
    f.segments = segs
    if len(segs) < 4:
        return []
    span = int(math.hypot(h, w)) + 4
    lines = _merge_lines(segs, span, 200, 0.03 * long_side)
    if lines is None:
        return []
    out: list[Quad] = []
    # (1) global: the strongest lines.
    m = min(22, len(lines.cst))
    dirs, nrm, cst = lines.dirs[:m], lines.nrm[:m], lines.cst[:m]
    cosang = np.abs(dirs @ dirs.T)
    # A point on line j is -c_j n_j; its distance to line i separates the pair.
    sep = np.abs(nrm @ (-(cst[:, None] * nrm)).T + cst[:, None])
    iu, ju = np.triu_indices(m, 1)
    par = (cosang[iu, ju] >= math.cos(math.radians(25))) & (sep[iu, ju] >= cfg.min_side_frac * long_side)
    pa = np.stack([iu[par], ju[par]], axis=1)
    if len(pa) >= 2:
        xa, xb = np.triu_indices(len(pa), 1)
        perp = np.abs(np.sum(dirs[pa[xa, 0]] * dirs[pa[xb, 0]], axis=1)) < math.cos(math.radians(55))
        xa, xb = xa[perp], xb[perp]
        combos = np.stack([pa[xa, 0], pa[xb, 0], pa[xa, 1], pa[xb, 1]], axis=1)
        distinct = (combos[:, 0] != combos[:, 1]) & (combos[:, 0] != combos[:, 3]) & (
            combos[:, 2] != combos[:, 1]) & (combos[:, 2] != combos[:, 3])
        combos = combos[distinct]
        if len(combos):
            corners, ok = _combo_quads(lines.nrm, lines.cst, combos)
            ok &= _frame_ok(corners, f.shape, cfg, 0.02)
            if ok.any():
                out += _best_by_cover(corners[ok], _coverage(lines, combos[ok], corners[ok]), keep)
    # (2) local: snap each seed's sides to nearby lines (any strength). Seeds are the
    # regions' outlines and the parallelograms on corners where two lines' covered
    # runs end (a page with one side lost in texture still shows two whole sides
    # meeting at a corner).
    loose = replace(cfg, min_angle_deg=40.0, max_aspect=cfg.max_aspect * 1.5)
    corner_seeds = _corner_seeds(lines, long_side)
    if len(corner_seeds):
        corner_seeds = corner_seeds[_geometry_ok(corner_seeds, f.shape, loose)]
    for q in seeds[:12] + _distinct(corner_seeds, 0.01 * long_side, 12):
        d = q[NEXT] - q
        lens = np.linalg.norm(d, axis=1)
        mids = q + d / 2
        per_side = []
        for s_ in range(4):
            u = d[s_] / (lens[s_] + 1e-12)
            # Along this side, or along the opposite one: a finger notching a corner
            # tilts the seed's side, but a page's opposite sides stay near parallel.
            u_opp = d[(s_ + 2) % 4] / (lens[(s_ + 2) % 4] + 1e-12)
            cos12 = math.cos(math.radians(12))
            near = (np.abs(lines.dirs @ u) >= cos12) | (np.abs(lines.dirs @ u_opp) >= cos12)
            dist = np.abs(lines.nrm @ mids[s_] + lines.cst)
            # As far out as a coloured band along the page's edge reaches (a letterhead,
            # a card's stripe: up to a quarter of the page across), where a region stops.
            across = (lens[(s_ + 1) % 4] + lens[(s_ + 3) % 4]) / 2
            near &= dist <= max(0.2 * lens[s_], 0.3 * across) + 3
            idx = np.flatnonzero(near)
            if not len(idx):
                break
            # The lines covering most of this side's span, not the longest in the frame
            # (a cutting mat's grid lines run across the whole frame).
            t0, t1 = lines.dirs[idx] @ q[s_], lines.dirs[idx] @ q[(s_ + 1) % 4]
            lo = np.clip(np.minimum(t0, t1) + lines.span, 0, 2 * lines.span).astype(np.int64)
            hi = np.clip(np.maximum(t0, t1) + lines.span, 0, 2 * lines.span).astype(np.int64)
            cover = (lines.cum[idx, hi] - lines.cum[idx, lo]) / np.maximum(np.abs(t1 - t0), 1.0)
            per_side.append(idx[np.argsort(-cover, kind="stable")[:4]])
        if len(per_side) < 4:
            continue
        combos = np.array(np.meshgrid(*per_side, indexing="ij")).reshape(4, -1).T
        corners, ok = _combo_quads(lines.nrm, lines.cst, combos)
        ok &= _frame_ok(corners, f.shape, cfg, 0.02)
        if ok.any():
            out += _best_by_cover(corners[ok], _coverage(lines, combos[ok], corners[ok]), 6)
    return out


def _desk_color(lab: Image) -> F64:
    """Median colour of the frame's rim (3 % of the short side), per channel."""
    h, w = lab.shape[:2]
    rim = max(2, int(0.03 * min(h, w)))
    counts = np.zeros((3, 256), np.int64)
    for part in (lab[:rim], lab[-rim:], lab[:, :rim], lab[:, -rim:]):
        flat = part.reshape(-1, 3)
        for c in range(3):
            counts[c] += np.bincount(flat[:, c], minlength=256)
    return np.array([_median_of_counts(counts[c]) for c in range(3)], dtype=np.float64)


def _distinct(quads: F64, tol: float, limit: int = 1 << 30) -> list[Quad]:
    """Quads no two of which have all corners within `tol` (the same outline found by
    several masks), in their order, at most `limit`."""
    if not len(quads):
        return []
    # far[i, j]: some corner of quad i lies further than tol from every corner of j.
    d = np.linalg.norm(quads[:, None, :, None, :] - quads[None, :, None, :, :], axis=4)  # (Q, Q, 4, 4)
    far = d.min(axis=3).max(axis=2) > tol
    kept: list[int] = []
    for i in range(len(quads)):
        if all(far[i, k] for k in kept):
            kept.append(i)
            if len(kept) >= limit:
                break
    return [quads[i] for i in kept]


def _candidates(f: _Level, cfg: DetectorConfig) -> F64:
    h, w = f.shape
    min_area = cfg.min_area_frac * h * w
    k3 = np.ones((3, 3), np.uint8)
    masks = [
        cv2.bitwise_not(cv2.dilate(f.edges, k3)),  # (a) regions between edges
    ]
    # (b) lightness, both polarities, and distance from the desk colour.
    _, bright = cv2.threshold(f.light, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    masks.append(cv2.morphologyEx(bright, cv2.MORPH_OPEN, k3, iterations=2))
    masks.append(cv2.morphologyEx(cv2.bitwise_not(bright), cv2.MORPH_OPEN, k3, iterations=2))
    # L1 colour distance from the desk, in integer arithmetic (a float norm over the
    # image costs 10 ms here).
    diff = cv2.absdiff(f.lab, np.append(np.round(f.desk), 0.0).astype(np.float64))  # a scalar: 4 doubles
    dist = cv2.transform(diff, np.ones((1, 3), np.float32))
    _, far = cv2.threshold(dist, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    masks.append(cv2.morphologyEx(far, cv2.MORPH_OPEN, k3, iterations=2))
    quads: list[Quad] = []
    for mask in masks:
        for c in _region_contours(_u8(mask), min_area * 0.5):
            quads += [clockwise(q) for q in _hull_quads(c)]
    seeds = []
    if quads:
        arr = np.array(quads)
        # Seeds may be rough (a finger notches a region, its hull quad leans): only
        # the snapping to lines below makes them pages, so a looser check.
        loose = replace(cfg, min_angle_deg=40.0, max_aspect=cfg.max_aspect * 1.5)
        seeds = _distinct(arr[_geometry_ok(arr, f.shape, loose)], 0.01 * max(h, w))
    quads += _line_quads(f, cfg, seeds)  # (c) quads on edge lines
    return np.array(quads, dtype=np.float64).reshape(-1, 4, 2)


def _dedupe_scored(scored: list[_Scored], tol: float) -> list[_Scored]:
    """Drop quads whose corners all lie within `tol` of a better-scored quad's."""
    if len(scored) < 2:
        return scored
    quads = np.array([s.quad for s in scored])
    keep = np.ones(len(quads), bool)
    shifts = np.stack([np.roll(quads, -k, axis=1) for k in range(4)], axis=1)  # (C, 4, 4, 2)
    for i in range(len(quads)):
        if not keep[i]:
            continue
        d = np.max(np.linalg.norm(shifts[i + 1 :] - quads[i][None, None], axis=3), axis=2).min(axis=1)
        keep[i + 1 :] &= d > tol
    return [s for s, k in zip(scored, keep, strict=True) if k]


# -- validation and scoring -----------------------------------------------------------------


def _geometry_ok(quads: F64, shape: tuple[int, int], cfg: DetectorConfig) -> NDArray[np.bool_]:
    """Convex, big enough, not too thin, corners near 90° — for quads (C, 4, 2)."""
    h, w = shape
    ok = np.all(np.isfinite(quads), axis=(1, 2))
    q = np.where(ok[:, None, None], quads, 0.0)
    d1 = q[:, NEXT] - q
    d0 = d1[:, PREV]  # the side arriving at each corner
    cross = d0[..., 0] * d1[..., 1] - d0[..., 1] * d1[..., 0]
    ok &= np.all(cross > 0, axis=1) | np.all(cross < 0, axis=1)
    a = _areas(q)
    ok &= (a >= cfg.min_area_frac * h * w) & (a <= cfg.max_area_frac * h * w)
    sides = np.linalg.norm(d1, axis=2)
    ok &= sides.min(axis=1) >= cfg.min_side_frac * max(h, w)
    cos = -np.sum(d0 * d1, axis=2) / (sides * sides[:, PREV] + 1e-12)
    ok &= np.all(np.abs(cos) <= math.cos(math.radians(cfg.min_angle_deg)), axis=1)
    pair_a, pair_b = sides[:, 0] + sides[:, 2], sides[:, 1] + sides[:, 3]
    ok &= np.maximum(pair_a, pair_b) <= cfg.max_aspect * np.minimum(pair_a, pair_b)
    return np.asarray(ok)


# A quad with a clean outline (`_Scored.clean_outline`) may share more of its colours
# with the rest of the frame than `min_unlike_rest` allows (paper the colour of the desk).
_MIN_UNLIKE_CLEAN = 0.15
# Its weakest side's step against its strongest's (`_Scored.clean_outline`).
_CLEAN_BALANCE = 0.2


@dataclass
class _Scored:
    quad: Quad
    support: F64
    steps: F64
    straight: F64
    corners: int
    inside: bool
    samples: NDArray[np.bool_]  # (4, n) steps along each side (t from 0.1 to 0.9)
    polarity: F64  # (4,) +1 inside lighter, -1 outside lighter, 0 mixed
    contrast: float  # median colour just inside against just outside the outline
    spread: float  # how much the colours just outside vary (the desk's texture)
    side_contrast: F64  # (4,) median colour just inside against just outside, per side

    @property
    def score(self) -> float:
        return float(0.5 * self.support.mean() + 0.5 * self.straight.mean()
                     + 0.2 * min(self.support.min(), self.straight.min()))

    @property
    def step_sides(self) -> int:
        return int(np.sum(self.steps >= 0.5))

    def plausible(self) -> bool:
        return self.corners >= 2 and self.step_sides >= 2 and float(self.support.mean()) >= 0.45

    def valid(self, cfg: DetectorConfig) -> bool:
        return bool(
            self.support.mean() >= cfg.min_support and self.support.min() >= cfg.min_side_support
            and self.straight.mean() >= cfg.min_straight and self.straight.min() >= cfg.min_side_straight
            and self.corners >= 2 and self._steps_ok()
            # A page differs from the desk as a whole, even white on white (≥ 9
            # levels).
            and self.contrast >= 5.0
        )

    @property
    def clean_outline(self) -> bool:
        """Steps along nearly all of every side, the same side lighter on all four,
        about as strong on all four, and four page corners: a closed outline, as one
        sheet on one desk has and a desk's pattern has not."""
        pol = self.polarity
        # Shade and glare vary a page's step around it by up to 4× (the weakest side at
        # a fifth of the strongest still passes); a side drawn along the desk's own
        # grain beside a card shows a tenth of the card's step.
        sc = self.side_contrast
        return bool(self.steps.min() >= 0.75 and self.corners == 4 and pol[0] != 0 and np.all(pol == pol[0])
                    and sc.min() >= _CLEAN_BALANCE * sc.max())

    @property
    def one_polarity(self) -> bool:
        """Whether the sides with steps agree which side is lighter (mixed sides aside)."""
        pol = self.polarity[(self.steps >= 0.5) & (self.polarity != 0)]
        return bool(len(pol) == 0 or np.all(pol == pol[0]))

    def _steps_ok(self) -> bool:
        """Three sides with steps; or two *adjacent* ones, the other two showing only a
        shadow rim (white paper on a white desk lit from one side). Two opposite step
        sides and two rims are wood grain between plank seams."""
        st = self.steps >= 0.5
        if st.sum() >= 3:
            return True
        if st.sum() != 2 or st[0] == st[2]:
            return False
        # The two must agree which side is lighter, as paper against one desk does; a
        # finger's edge and a grain line picked out of wood need not.
        pol = self.polarity[st]
        return bool(pol[0] != 0 and pol[0] == pol[1])


def _score(f: _Features, quads: F64, cfg: DetectorConfig) -> list[_Scored]:
    if not len(quads):
        return []
    ev = _evidence(f.lab, quads)
    h, w = f.shape
    m = cfg.border_margin_frac * max(h, w)
    inside = np.all((quads[..., 0] >= m) & (quads[..., 0] <= w - 1 - m)
                    & (quads[..., 1] >= m) & (quads[..., 1] <= h - 1 - m), axis=1)
    return [_Scored(quads[i], ev.support[i], ev.steps[i], ev.straight[i], int(ev.corners[i]), bool(inside[i]),
                    ev.samples[i], ev.polarity[i], float(ev.contrast[i]), float(ev.spread[i]),
                    ev.side_contrast[i])
            for i in range(len(quads))]


def _refine_small(f: _Features, q: Quad) -> Quad | None:
    cur = q
    for radius in (6, 3):
        n = int(np.clip(math.sqrt(area(cur)) / 4, 24, 64))
        fit = _refit(f.lab, cur, radius, n, 3, 6.0, 1.2)
        if fit is None:
            return None
        cur = fit.quad
    return cur


def _refine_full(frame: Image, q_small: Quad, scale: float) -> Quad | None:
    """Refit the sides on the full-resolution frame: sub-pixel derivative peaks along
    each normal within the small image's uncertainty (≈ 1.5 px there), RANSAC, meet."""
    inv = 1.0 / scale
    cur = q_small * inv
    per = float(np.sum(side_lengths(cur)))
    # A side may tilt by a few small-image px end to end; a jump to another edge moves
    # the corners much further.
    max_shift = 0.03 * math.sqrt(area(cur)) + 4.0 * inv
    n = int(np.clip(per / 4 / 12, 24, 96))
    smooth = max(2, round(0.75 * inv))
    for radius in (max(4, round(2.5 * inv)), max(3, round(1.0 * inv))):
        fit = _refit(frame, cur, radius, n, smooth, 6.0, max(1.5, 0.3 * inv))
        if fit is None or np.max(np.linalg.norm(fit.quad - cur, axis=1)) > max_shift:
            return None  # lost the edge or drifted to another one: keep the small fit
        cur = fit.quad
    return cur


def classify(q: Quad) -> str:
    """The document kind by aspect: A4 (√2), ID-1 (1.586), a long strip, or other."""
    s = side_lengths(q)
    a, b = (s[0] + s[2]) / 2, (s[1] + s[3]) / 2
    r = max(a, b) / max(min(a, b), 1e-9)
    if abs(r - A4_ASPECT) / A4_ASPECT < 0.05:
        return "a4"
    if abs(r - ID1_ASPECT) / ID1_ASPECT < 0.045:
        return "id1"
    if r > 2.0:
        return "strip"
    return "other"


def order_corners(q: Quad, kind: str | None = None) -> Quad:
    """Clockwise from the page's top-left as the page stands upright on screen:
    portrait documents (A4, strips) stand on a short side, cards lie on a long side;
    the top side is the higher of the two candidates."""
    q = clockwise(as_quad(q))
    kind = kind or classify(q)
    s = side_lengths(q)
    pair02, pair13 = s[0] + s[2], s[1] + s[3]
    if abs(pair02 - pair13) / max(float(s.sum()), 1e-9) < 0.02:
        cands = [0, 1, 2, 3]  # square-ish: the highest side is the top
    elif (pair02 < pair13) == (kind != "id1"):
        cands = [0, 2]
    else:
        cands = [1, 3]
    # The higher side; between two equally high (a page lying exactly sideways) the
    # left one, so the order never depends on where the input started.
    span = float(np.ptp(q[:, 1])) + float(np.ptp(q[:, 0])) + 1e-9
    key = [(round(float(q[i, 1] + q[(i + 1) % 4, 1]) / span, 6), float(q[i, 0] + q[(i + 1) % 4, 0])) for i in cands]
    top = cands[min(range(len(cands)), key=lambda k: key[k])]
    return np.asarray(np.roll(q, -top, axis=0), dtype=np.float64)


def _shared_sides(a: Quad, b: Quad, tol: float) -> int:
    """Sides of `a` lying on the line of a side of `b`: two parts of one page (a header
    band and the body under a rule) line up; a second document does not."""
    na, _ = _lines_of(a)
    nb, cb = _lines_of(b)
    mids = (a + a[NEXT]) / 2
    count = 0
    for i in range(4):
        par = np.abs(nb @ na[i]) >= math.cos(math.radians(3.0))
        near = np.abs(nb @ mids[i] + cb) <= tol
        count += bool(np.any(par & near))
    return count


def _unlike_rest(f: _Features, q: Quad) -> float:
    """Bhattacharyya distance between the colour histogram inside the quad and the one
    of the rest of the frame. A page or card is a thing of its own (≥ 0.31 on every
    generated page, white on white included); a rectangle of wood grain between plank
    seams, or of a cutting mat's grid, is more of the desk (≤ 0.26 on 260 empty
    frames). On a half-size image of 1024 colour bins, from one histogram of the frame."""
    h, w = f.bins.shape
    poly = np.round(q * 0.5).astype(np.int32)
    x0, y0 = np.clip(poly.min(axis=0), 0, [w, h])
    x1, y1 = np.clip(poly.max(axis=0) + 1, 0, [w, h])
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [poly - [x0, y0]], 1)
    inner = np.bincount(f.bins[y0:y1, x0:x1][mask > 0], minlength=1024).astype(np.float64)
    rest = f.bin_total - inner
    si, sr = inner.sum(), rest.sum()
    if si < 16 or sr < 16:
        return 0.0
    bc = float(np.sum(np.sqrt(inner / si * rest / sr)))
    return math.sqrt(max(0.0, 1.0 - bc))


def _continued_sides(lab: Image, q: Quad, steps: F64 | None = None, n: int = 12) -> NDArray[np.bool_]:
    """Per side: whether both neighbouring sides carry on past its ends, as a page's
    edges do beyond a rule printed across it when the page runs off the frame. At a
    true corner the neighbours stop: desk (or a finger) lies beyond. Carrying on means a
    step lying on the side's own line (wood grain steps too, but not on that line), or
    leaving the frame at once. With the sides' `steps`, also a side without steps that
    one side with steps carries on past (a table's border line taken for a side where
    the page runs on)."""
    h, w = lab.shape[:2]
    d = q[NEXT] - q
    length = np.linalg.norm(d, axis=1)
    u = d / (length[:, None] + 1e-12)
    normals = np.stack([u[:, 1], -u[:, 0]], axis=1)
    t = np.linspace(0.04, 0.2, n)
    # Side i runs from corner i to corner i+1: beyond its end and behind its start.
    fwd = q[NEXT][:, None, :] + (t[None, :, None] * length[:, None, None]) * u[:, None, :]
    back = q[:, None, :] - (t[None, :, None] * length[:, None, None]) * u[:, None, :]
    pts = np.concatenate([fwd, back], axis=1)  # (4, 2n, 2)
    coords = pts[:, :, None, :] + _PROFILE[None, None, :, None] * normals[:, None, None, :]
    prof = _sample(lab, coords)  # (4, 2n, 11, 3)
    step = np.minimum(np.linalg.norm(prof[..., _I_OUT3, :] - prof[..., _I_IN3, :], axis=-1),
                      np.linalg.norm(prof[..., _I_OUT7, :] - prof[..., _I_IN7, :], axis=-1))
    der = np.linalg.norm(prof[..., 3:10, :] - prof[..., 1:8, :], axis=-1)  # offsets -3..3
    on_line = np.abs(np.argmax(der, axis=-1) - 3) <= 1
    inside = (pts[..., 0] >= 0) & (pts[..., 0] <= w - 1) & (pts[..., 1] >= 0) & (pts[..., 1] <= h - 1)
    ok = (step >= 6.0) & on_line & inside

    # Two or three samples before the frame's edge are too few to tell an edge going on
    # from a desk's vein or a shadow's end: such a neighbour leaves the frame (it may go
    # on), but only one seen going on for at least `seen_min` samples proves it does.
    seen_min = 4

    def goes_on(sel: slice) -> NDArray[np.bool_]:
        seen = inside[:, sel].sum(axis=1)
        return np.asarray((seen < seen_min) | (ok[:, sel].sum(axis=1) >= 0.6 * np.maximum(seen, 1)))

    past_end, before_start = goes_on(slice(0, n)), goes_on(slice(n, 2 * n))
    in_frame_end = inside[:, :n].sum(axis=1) >= seen_min
    in_frame_start = inside[:, n:].sum(axis=1) >= seen_min
    # Side j is crossed when side j-1 goes on past corner j and side j+1 behind corner
    # j+1, one of them visibly.
    crossed = past_end[PREV] & before_start[NEXT] & (in_frame_end[PREV] | in_frame_start[NEXT])
    if steps is not None:
        st = steps >= 0.5
        crossed |= ~st & ((st[PREV] & past_end[PREV] & in_frame_end[PREV])
                          | (st[NEXT] & before_start[NEXT] & in_frame_start[NEXT]))
    return np.asarray(crossed)


def _side_steps(lab: Image, q: Quad, n: int = 20, keep: int = 2) -> list[list[float]]:
    """Per side of a clockwise quad: outward offsets (px, up to 35 % of the quad across)
    where a colour step runs along most of the side, strongest first. A step, not a
    line: colours 2 px before and after differ, in the median over the side (a finger
    or a glare spot over part of it does not matter)."""
    h, w = lab.shape[:2]
    d = q[NEXT] - q
    lengths = np.linalg.norm(d, axis=1)
    normals = np.stack([d[:, 1], -d[:, 0]], axis=1) / (lengths[:, None] + 1e-12)
    t = np.linspace(0.12, 0.88, n)
    out: list[list[float]] = []
    reach = [int(min(0.35 * (lengths[(i + 1) % 4] + lengths[(i + 3) % 4]) / 2, 0.25 * max(h, w))) for i in range(4)]
    m = max(reach) + 8
    offs = np.arange(-3, m - 3, dtype=np.float64)
    pts = q[:, None, :] + t[None, :, None] * d[:, None, :]  # (4, n, 2)
    coords = pts[:, :, None, :] + offs[None, None, :, None] * normals[:, None, None, :]
    prof = _sample(lab, coords)  # (4, n, m, 3)
    inside = (coords[..., 0] >= 0) & (coords[..., 0] <= w - 1) & (coords[..., 1] >= 0) & (coords[..., 1] <= h - 1)
    step = np.linalg.norm(prof[:, :, 4:] - prof[:, :, :-4], axis=3)  # centred on offs[2:-2]
    step = np.where(inside[:, :, 4:] & inside[:, :, :-4], step, 0.0)
    strength = np.median(step, axis=1)  # (4, m - 4)
    centre = offs[2:-2]
    for i in range(4):
        s_ = strength[i]
        peak = (s_[1:-1] >= s_[:-2]) & (s_[1:-1] > s_[2:]) & (s_[1:-1] >= 6.0)
        k = np.flatnonzero(peak) + 1
        k = k[(centre[k] >= 4) & (centre[k] <= reach[i])]
        k = k[np.argsort(-s_[k])][:keep]
        out.append([float(centre[j]) for j in k])
    return out


def _extensions(f: _Features, seeds: list[Quad], keep: int = 1) -> F64:
    """Quads with some sides of each seed moved out to the steps `_side_steps` finds."""
    out = []
    for q in seeds:
        steps = _side_steps(f.lab, q, keep=keep)
        if not any(steps):
            continue
        nrm, cst = _lines_of(q)  # inward normals
        choices = [[0.0, *st] for st in steps]
        for offs in np.array(np.meshgrid(*choices, indexing="ij")).reshape(4, -1).T[1:]:
            la = np.concatenate([nrm, (cst + offs)[:, None]], axis=1)
            corners = np.empty((4, 2))
            for i in range(4):
                p = np.cross(la[i - 1], la[i])
                corners[i] = p[:2] / p[2] if abs(p[2]) > 1e-12 else q[i]
            out.append(corners)
    return np.array(out, dtype=np.float64).reshape(-1, 4, 2)


def _grow(q: Quad, d: float) -> Quad:
    """The clockwise quad with every side moved outward by d."""
    nrm, cst = _lines_of(q)  # inward normals
    la = np.concatenate([nrm, (cst + d)[:, None]], axis=1)
    out = np.empty((4, 2))
    for i in range(4):
        p = np.cross(la[i - 1], la[i])
        out[i] = p[:2] / p[2] if abs(p[2]) > 1e-12 else q[i]
    return out


def _extra_is_not_desk(f: _Features, outer: Quad, inner: Quad) -> bool:
    """Whether what a larger quad adds around a smaller one differs from what lies just
    outside the larger one, measured against the desk's own spread: a page's margin or
    header band differs from the desk; a strip of wood grain up to the next grain line
    does not."""
    h, w = f.shape
    x0, y0 = np.floor(outer.min(axis=0)).astype(int) - 12
    x1, y1 = np.ceil(outer.max(axis=0)).astype(int) + 12
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return False
    off = np.array([x0, y0], np.float64)
    m_out = np.zeros((y1 - y0, x1 - x0), np.uint8)
    m_in = np.zeros_like(m_out)
    cv2.fillPoly(m_out, [np.round(outer - off).astype(np.int32)], 255)
    cv2.fillPoly(m_in, [np.round(inner - off).astype(np.int32)], 255)
    k = np.ones((5, 5), np.uint8)
    extra = _u8(cv2.erode(m_out, k)) & ~_u8(cv2.dilate(m_in, k))
    ring = _u8(cv2.dilate(m_out, k, iterations=2)) & ~_u8(cv2.dilate(m_out, k))
    if np.count_nonzero(extra) < 20 or np.count_nonzero(ring) < 20:
        return False
    roi = f.lab[y0:y1, x0:x1]
    ring_px = roi[ring > 0].astype(np.float32)
    b = np.median(ring_px, axis=0)
    # Desk-like: as close to the desk's median as 80 % of the desk around is (wood
    # grain and speckles spread far; a plain laminate hardly at all).
    near = max(4.0, float(np.percentile(np.linalg.norm(ring_px - b, axis=1), 80)))
    extra_d = np.linalg.norm(roi[extra > 0].astype(np.float32) - b, axis=1)
    return bool(np.mean(extra_d <= near) <= 0.5)


def _extension_support(outer: _Scored, inner: Quad) -> float:
    """Steps along the parts of a larger quad's outline that do not run on a smaller
    quad's outline: around a header band or a text block they are the page's edges; a
    quad stretched over the desk to a plank seam or a grain line has none there."""
    n = outer.samples.shape[1]
    d = outer.quad[NEXT] - outer.quad
    t = np.linspace(0.1, 0.9, n)
    pts = outer.quad[:, None, :] + t[None, :, None] * d[:, None, :]
    nrm, cst = _lines_of(inner)  # inward normals of a clockwise quad
    dist = np.einsum("snk,lk->snl", pts, nrm) + cst[None, None, :]
    off_inner = np.any(dist < -2.0, axis=2) | np.all(np.abs(dist) > 2.0, axis=2)
    if off_inner.sum() < 4:
        return 1.0
    return float(outer.samples[off_inner].mean())


def _outermost(f: _Features, good: list[_Scored], min_unlike: float) -> _Scored | None:
    """The best quad, then the best valid quad holding it, and so on: a header band, a
    table or a text block lies inside the page, never around it."""
    # Start from the quad that is most a thing of its own: its colours unlike the rest
    # of the frame's (a text block or a header band shares its paper with the rest of
    # the page, a rectangle of wood grain is more of the desk), with a good outline.
    unlike = {id(s): _unlike_rest(f, s.quad) for s in good}

    def own_thing(s: _Scored) -> bool:
        # Grey paper on grey marble, cream paper on beige laminate: the colours alone
        # hardly tell the page from the desk, but an outline this clean does: a step
        # on every side with the same side lighter all round, and page corners. Wood
        # grain or marble veins give a step on a side or two, never a closed one.
        return unlike[id(s)] >= min_unlike or (unlike[id(s)] >= _MIN_UNLIKE_CLEAN and s.clean_outline)

    # Near the threshold, the sides must also agree which side of them is lighter, as
    # paper against one desk does; a rectangle pieced from a finger's edge, a grain line
    # and a plank seam need not. A clearly distinct thing (a colourful card with a dark
    # band against a light desk) may disagree.
    ranked = [s for s in good if own_thing(s) and (unlike[id(s)] >= 0.5 or s.one_polarity)]
    if not ranked:
        return None
    best = max(ranked, key=lambda s: s.score + 0.5 * unlike[id(s)])
    while True:
        a_best = area(best.quad)
        holders = []
        for s in good:
            a = area(s.quad)
            if a <= a_best * 1.003:
                continue
            # A holder only slightly larger (a line just outside the paper) must score
            # about as well; a much larger one (the page around its header band) may
            # score lower, its longer outline being interrupted more often. It must
            # look like a page all round: 3 page corners and a step on every side (a
            # quad stretched over the desk to a plank seam has neither).
            slack = float(np.clip((a / a_best - 1.0) * 2.0, 0.03, 0.25))
            if s.score < max(0.9, best.score - slack) or s.corners < 2 or float(s.steps.min()) < 0.3:
                continue
            inter, _ = cv2.intersectConvexConvex(s.quad.astype(np.float32), best.quad.astype(np.float32))
            if inter < 0.97 * a_best:
                continue
            # What it adds must not be desk: its colours stay as unlike the rest of the
            # frame as the smaller quad's (a strip of wood grain added to a page makes
            # it more like the desk), or its own edges there show steps nearly all along,
            # or, where a finger hides some, it holds something other than desk.
            if not own_thing(s):
                continue
            # And what it adds is bounded by steps along most of its new outline, with page
            # corners (a finger or a shadow over the desk next to the page has neither a
            # straight step all along nor a page's corners), and is not desk: unlike the
            # desk just around, or making the whole more unlike the rest of the frame
            # (a white page's margin on a white desk; a strip of desk would make it less).
            # A clean outline all round (`clean_outline`) closes the page by itself
            # around print or a dark box on it, where the paper is too like a veined desk
            # for the colours to tell. Around an outline as clean and as lit (the same
            # side lighter) it is the same sheet's edge again, a grid line or a grain
            # line just beyond it; there the colours must tell.
            same_again = best.clean_outline and best.polarity[0] == s.polarity[0]
            if (s.corners >= 3 and _extension_support(s, best.quad) >= 0.7
                    and (unlike[id(s)] >= unlike[id(best)] + 0.02 or (s.clean_outline and not same_again)
                         or _extra_is_not_desk(f, s.quad, best.quad))):
                holders.append(s)
        if not holders:
            return best
        best = max(holders, key=lambda s: s.score)
    return best


# -- the detector --------------------------------------------------------------------------


class PageDetector:
    """Stateless page finder; one instance serves every frame (thread-safe)."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()

    def detect(self, frame: Image) -> Detection:
        cfg = self.config
        if frame.ndim == 2:
            frame = _u8(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
        f = _features(frame, cfg.work_long_side)
        mean, std = cv2.meanStdDev(f.light)
        if float(mean[0, 0]) < cfg.dark_mean and float(std[0, 0]) < cfg.dark_std:
            return Detection(None, TOO_DARK)
        best, valid, good, crossed = self._choose(f, f.cand)
        segs = f.cand.segments
        if best is None and segs is not None and len(segs) >= 3:
            # Nothing at half the size: a card's faint or finger-broken outline may still
            # show at the working size (twice the cost, paid on misses). What only the
            # finer look finds must look like a page all round: steps on three sides, page
            # corners, and colours well apart from the desk's own variation (not a strip
            # of wood between grain lines and plank seams). Steps that straight show at
            # half the size as straight edge pieces, where speckle and noise average out
            # and no threshold is higher: without three of them (a plain desk) the finer
            # look has nothing to find, and is not paid for.
            best2, valid2, good2, crossed2 = self._choose(f, _level(f.raw, f.lab, f.desk))
            if best2 is not None and (best2.corners < 3 or best2.step_sides < 3
                                      or best2.contrast < 3.0 * best2.spread):
                best2 = None
            if best2 is not None or valid2:
                best, valid, good, crossed = best2, valid2, good2, crossed2
        if best is None and not valid and len(f.cand.directed) > 1:
            # Nothing valid on a textured desk (the blurrier edge pass ran): paper of the
            # desk's colour on a speckled laminate may still show by its smooth margin.
            best3, valid3, good3, crossed3 = self._smooth_look(f)
            if best3 is not None:
                best, valid, good, crossed = best3, valid3, good3, crossed3
        if best is None:
            return Detection(None, PAGE_CUT if crossed or any(not s.inside for s in valid) else NO_PAGE)
        grown = _grow(best.quad, 0.01 * max(f.shape))
        others = [s for s in good if iou(s.quad, grown) == 0.0
                  and _shared_sides(s.quad, best.quad, 0.015 * max(f.shape)) < 2
                  and area(s.quad) >= cfg.two_pages_area_ratio * area(best.quad)
                  and s.score >= 0.8 and s.step_sides >= 3 and s.corners >= 3
                  and _unlike_rest(f, s.quad) >= cfg.min_unlike_rest]
        if others:
            return Detection(None, TWO_PAGES, best.score)
        q_full = best.quad / f.scale
        if cfg.refine_full and f.scale < 1.0:
            r = _refine_full(frame, best.quad, f.scale)
            if r is not None and _geometry_ok(r[None] * f.scale, f.shape, cfg)[0]:
                q_full = r
        kind = classify(q_full)
        ordered = order_corners(q_full, kind)
        if cfg.upright_by_text and kind != "id1":
            ordered = _upright(f.small, ordered * f.scale) / f.scale
        return Detection(ordered, OK, best.score, kind)

    def _choose(self, f: _Features, level: _Level) -> tuple[_Scored | None, list[_Scored], list[_Scored], list[_Scored]]:
        """Candidates from `level`, scored on the working image: the page (or None),
        the valid quads, those inside the frame, and those a page's edges run past."""
        cfg = self.config
        cands = _candidates(level, cfg) * (f.shape[1] / level.shape[1])
        if len(cands):
            cands = cands[_geometry_ok(cands, f.shape, cfg)]
            cands = _snap(f.lab, cands)
            cands = cands[_geometry_ok(cands, f.shape, cfg)]
            # Outlines found by several cues snap to the same edges: score each once.
            if len(cands):
                key = np.round(_clockwise_all(cands) / 1.5).reshape(len(cands), -1)
                cands = cands[np.sort(np.unique(key, axis=0, return_index=True)[1])]
        scored = sorted((s for s in _score(f, cands, cfg) if s.plausible()), key=lambda s: -s.score)
        scored = _dedupe_scored(scored, 0.004 * max(f.shape))
        # Refine the best few, and the largest plausible ones: an outline found a few
        # px off scores below a text block's, yet refines to the page.
        by_area = sorted(scored, key=lambda s: -area(s.quad))
        picked: list[_Scored] = []
        for s in scored[:3] + by_area[:2]:
            if all(s is not p for p in picked):
                picked.append(s)
        # A quad already straight on every side sits on its edges; refining it would only
        # move it by a fraction of a pixel (the full-resolution fit does that).
        refined = [r for r in (_refine_small(f, s.quad) for s in picked if s.straight.min() < 0.9) if r is not None]
        rq = np.array(refined).reshape(-1, 4, 2)
        if len(rq):
            rq = rq[_geometry_ok(rq, f.shape, cfg)]
        # Every plausible quad competes, refined or not: a page whose outline the line
        # candidates already traced may score below its own print and be smaller than
        # quads spilling onto the desk.
        final = _dedupe_scored(sorted(scored + _score(f, rq, cfg), key=lambda s: -s.score), 0.002 * max(f.shape))
        # The best dozen and the largest few are plenty (and bound the time).
        big = sorted(final[12:], key=lambda s: -area(s.quad))[:4]
        final = final[:12] + big
        valid = [s for s in final if s.valid(cfg)]
        # A side the page's edges run past is a rule across the page, not its edge: the
        # page goes on, off the frame when nothing else closes it.
        crossed = [s for s in valid if _continued_sides(f.lab, s.quad, s.steps).any()]
        valid = [s for s in valid if all(s is not c for c in crossed)]
        good = [s for s in valid if s.inside]
        best = _outermost(f, good, cfg.min_unlike_rest) if good else None
        if best is not None:
            # Sides moved out to the next step running along them: a page whose own edge
            # is faint or interrupted around a strong inner outline (a coloured band to
            # its edge, a table, a printed border, a receipt's rule, a ruled pad's top
            # margin) is found from the inner one.
            more = [s for s in self._extended(f, [best.quad]) if s.inside and not _continued_sides(f.lab, s.quad).any()]
            if more:
                good += more
                best = _outermost(f, good, cfg.min_unlike_rest)
        return best, valid, good, crossed

    def _smooth_look(self, f: _Features) -> tuple[_Scored | None, list[_Scored], list[_Scored], list[_Scored]]:
        """On a speckled desk (a granite-look laminate) paper of about the desk's colour
        still differs from it: the desk is textured at a few px, the paper's margin is
        smooth. Candidates and scores from a map of that texture instead of colour: the
        page is a smooth band (its margin) around its print, its sides steps in texture
        all round, smoother inside on every side."""
        light = f.cand.light.astype(np.float32)
        detail = cv2.absdiff(light, cv2.GaussianBlur(light, (0, 0), 1.5))
        tex = np.asarray(cv2.GaussianBlur(detail, (0, 0), 2.0), np.float32)
        # Textured (the desk, and print alike) at 60 levels, the desk's median texture
        # at 1.5× that, so most of the desk is flat at 60 and a smooth margin shows as a
        # step down of 40 or more.
        k = 90.0 / max(float(np.median(tex)), 0.5)
        t8 = _u8(np.clip(tex * k, 0, 60))
        # A sheet's margin is a smooth band of some size; a speckled desk has only
        # specks of smooth (other desks, smooth all over, have no speckle to tell by).
        smooth = float(np.mean(t8 < 20))
        if not 0.01 <= smooth <= 0.5:
            return None, [], [], []
        half = _u8(cv2.merge([t8, np.full_like(t8, 128), np.full_like(t8, 128)]))
        lab = _u8(cv2.resize(half, (f.shape[1], f.shape[0]), interpolation=cv2.INTER_LINEAR))
        ft = replace(f, lab=lab, light=_u8(lab[..., 0]))
        # Blurred over a few px, a texture step is found about its side but is not sharp.
        loose = PageDetector(replace(self.config, min_straight=0.3, min_side_straight=0.1))
        best, valid, good, crossed = loose._choose(ft, _level(half))
        # Smoother inside along nearly all of every side: a margin all round. (Corners
        # tell little here: print may come close to them, and the probe then meets it.)
        if best is None or best.corners < 2 or best.steps.min() < 0.75 or not np.all(best.polarity == -1):
            return None, valid, good, crossed
        return best, valid, good, crossed

    def _extended(self, f: _Features, seeds: list[Quad]) -> list[_Scored]:
        """Valid quads with sides of the seeds moved out to the next steps running along
        them (`_side_steps`): a page whose own edge is faint or interrupted around a
        strong inner outline (a coloured band to its edge, a table, a printed border,
        a receipt's rule) is found from the inner one."""
        cfg = self.config
        ext = _extensions(f, seeds)
        if not len(ext):
            return []
        ext = ext[_geometry_ok(ext, f.shape, cfg)]
        scored = sorted((s for s in _score(f, ext, cfg) if s.plausible()), key=lambda s: -s.score)
        # Moved by whole pixels along the old sides' directions: refit the best.
        ref = [r for r in (_refine_small(f, s.quad) for s in scored[:2]) if r is not None]
        rq = np.array(ref).reshape(-1, 4, 2)
        if len(rq):
            scored += _score(f, rq[_geometry_ok(rq, f.shape, cfg)], cfg)
        return [s for s in scored if s.valid(cfg)]


def _upright(small: Image, q: Quad) -> Quad:
    """`q` (clockwise, page upright by shape) reordered so its print reads upright,
    judged on a 320 px flattened copy of the working image (about a millisecond)."""
    from drivers.camera.orientation import rotate_quad, text_rotation

    s = side_lengths(q)
    w, h = (s[0] + s[2]) / 2, (s[1] + s[3]) / 2
    k = 320.0 / max(w, h, 1.0)
    ow, oh = max(16, int(w * k)), max(16, int(h * k))
    dst = np.array([[0, 0], [ow, 0], [ow, oh], [0, oh]], np.float32)
    m = cv2.getPerspectiveTransform(q.astype(np.float32), dst)
    flat = cv2.warpPerspective(small, m, (ow, oh), flags=cv2.INTER_AREA)
    turn = text_rotation(np.asarray(flat, dtype=np.uint8))
    return rotate_quad(q, turn) if turn else q


def warm_up(detector: PageDetector, shape: tuple[int, ...]) -> None:
    """Run the detector once on a drawn page of `shape`: the first call in a process
    pays for allocator growth, OpenCV's thread pool and NumPy's first uses (≈ 100 ms),
    which a command line timing each image should not report as detection time."""
    h, w = int(shape[0]), int(shape[1])
    img = np.full((h, w, 3), 70, np.uint8)
    cv2.rectangle(img, (w // 4, h // 5), (3 * w // 4, 4 * h // 5), (235, 235, 235), -1)
    for k in range(8):
        y = h // 4 + k * h // 14
        cv2.line(img, (w // 3, y), (2 * w // 3, y), (30, 30, 30), max(1, h // 200))
    detector.detect(img)


def detect_page(frame: Image, config: DetectorConfig | None = None) -> Detection:
    return PageDetector(config).detect(frame)
