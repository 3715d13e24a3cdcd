"""Find the page (A4 sheet, ID-1 card or receipt strip) in a document-camera frame.

Pure numpy/cv2: no clocks, threads or Qt. The pipeline follows hardware-protocols.md
§4.2 (downscale, several candidate generators, quad validation, refine at full
resolution, as SmartDoc 2015's ISPL-CVML did):

1. Halve to about 1000 px on the long side (13 MP: 1052 × 780).
2. Propose quads from cues that fail in different places: regions between Canny edges
   (per Lab channel, so a blue card on a grey desk of equal lightness still has
   edges); Otsu regions on lightness and on the colour distance from the desk seen at
   the frame's rim; quads on 4 edge *lines* (two near-parallel pairs) ranked by how
   much of each side edge segments cover; and each region's outline snapped to the
   lines near its sides. Lines find a page whose outline has gaps (glare, a finger,
   white on white) where every region leaks into the desk.
3. Score every quad from colour profiles across its sides (one remap for all): a *step*
   (colour differs 3 px and 7 px out from in) or at least a thin dark shadow rim;
   straightness; corners that are not desk. A printed border, a cutting-mat grid line
   or a plank seam is a line, not a step; a finger is straight but has round ends.
4. Refit the best sides from edge samples along their normals (RANSAC), so a finger
   over an edge, a rounded card corner or a glare patch only removes samples.
5. Choose: the quad whose colours are most unlike the rest of the frame's (a page is a
   thing of its own; a text block shares its paper with the rest of the page, a patch
   of wood grain is more desk); then any valid quad holding it whose added part is not
   desk (the page around its header band). A side that the page's edges run past is a
   rule across a page that goes on off the frame: `page_cut`.
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
    work_long_side: int = 1100  # 13 MP halves twice to 1052×780, 1080p once to 960×540
    min_area_frac: float = 0.015  # of the frame; an ID-1 card under a 13 MP 高拍仪 covering A3 is ~3 %
    max_area_frac: float = 0.97
    min_side_frac: float = 0.05  # of the frame's long side
    max_aspect: float = 6.0
    min_angle_deg: float = 60.0  # an overhead camera keeps page corners near 90°
    border_margin_frac: float = 0.0015  # a corner closer than this to the frame edge: cut
    min_support: float = 0.62  # mean share of samples with edge evidence
    min_side_support: float = 0.30  # every side shows itself somewhat (a finger hides < 70 %)
    min_straight: float = 0.55  # mean share of edge samples on the fitted line
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
class _Features:
    small: Image
    lab: Image  # smoothed 8-bit Lab, chroma stretched ×2 around 128
    light: Image  # its L channel
    edges: Image
    scale: float  # small / full
    shape: tuple[int, int]  # small (h, w)
    desk: F64  # median colour of the frame's rim
    bins: NDArray[np.int64]  # half-size image of colour bins (16 L × 8 a × 8 b)
    bin_total: F64  # its histogram


def _features(frame: Image, long_side: int) -> _Features:
    w = frame.shape[1]
    # Halve with INTER_AREA until the long side fits: OpenCV averages 2×2 blocks on a
    # fast path (13 MP to 1052×780 in 2 ms; one fractional INTER_AREA step takes 12).
    small = frame
    while max(small.shape[:2]) > long_side:
        small = _u8(cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA))
    scale = small.shape[1] / w
    lab = _u8(cv2.GaussianBlur(cv2.LUT(cv2.cvtColor(small, cv2.COLOR_BGR2Lab), _LAB_LUT), (0, 0), 1.0))
    chans = [_u8(c) for c in cv2.split(lab)]
    # Thresholds low enough for a 10-level step of white paper on a white desk (Sobel
    # ≈ 25 after the blur) and above the noise left after averaging k² pixels (≈ 3).
    edges = _u8(cv2.Canny(chans[0], 12, 30, L2gradient=True))
    edges |= _u8(cv2.Canny(chans[1], 12, 30, L2gradient=True))
    edges |= _u8(cv2.Canny(chans[2], 12, 30, L2gradient=True))
    half = cv2.resize(lab, (lab.shape[1] // 2, lab.shape[0] // 2), interpolation=cv2.INTER_NEAREST)
    bins = ((half[..., 0].astype(np.int64) >> 4) << 6) | ((half[..., 1].astype(np.int64) >> 5) << 3) | (
        half[..., 2].astype(np.int64) >> 5)
    return _Features(small, lab, chans[0], edges, scale, (small.shape[0], small.shape[1]), _desk_color(lab),
                     bins, np.bincount(bins.ravel(), minlength=1024).astype(np.float64))


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
    contrast: F64  # (C,): median colour inside the outline against median outside,
    # in units of a third of the spread outside (plain levels on a flat desk)


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
    # Against the desk's own spread around the quad: wood grain varies by 10 levels
    # and more, a white laminate by 1-2.
    spread = np.median(np.linalg.norm(outs - med_out[:, None, :], axis=2), axis=1)
    contrast = np.linalg.norm(med_in - med_out, axis=1)
    del spread
    # Which side of each step is lighter, where a side is consistent about it (≥ 80 %).
    lighter_in = (prof[..., _I_IN7, 0] > prof[..., _I_OUT7, 0]) & step_ok
    lighter_out = (prof[..., _I_IN7, 0] < prof[..., _I_OUT7, 0]) & step_ok
    n_steps = np.maximum(step_ok.sum(axis=2), 1)
    polarity = np.where(lighter_in.sum(axis=2) >= 0.8 * n_steps, 1.0,
                        np.where(lighter_out.sum(axis=2) >= 0.8 * n_steps, -1.0, 0.0))
    return _Evidence(edge_ok.sum(axis=2) / denom, step_ok.sum(axis=2) / denom,
                     on_line.sum(axis=2) / denom, corners, step_ok, polarity, contrast.astype(np.float64))


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


def _segments(edges: Image, min_len: float, limit: int = 200) -> F64:
    """Straight pieces of the edge contours, (k, 4) as x0 y0 x1 y1, the longest first."""
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    # A contour of a 1-px edge runs along it and back: its arc length is twice the
    # edge's, so a straight piece of min_len needs an arc of 2·min_len.
    polys = [cv2.approxPolyDP(c, 1.5, True).reshape(-1, 2) for c in contours if len(c) >= 2 * min_len]
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
    keep = keep[np.argsort(-lens[keep])][:limit]
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
    splits a page side into pieces on one line), then a weighted refit per cluster."""
    k = len(segs)
    d = segs[:, 2:] - segs[:, :2]
    lens = np.linalg.norm(d, axis=1)
    u = d / lens[:, None]
    ln_n = np.zeros((k, 2))
    ln_c = np.zeros(k)
    ln_d = np.zeros((k, 2))
    label = np.zeros(k, np.int64)
    m = 0
    cos_tol = math.cos(math.radians(2.0))
    for i in range(k):
        a, b = segs[i, :2], segs[i, 2:]
        if m:
            ok = (np.abs(ln_d[:m] @ u[i]) >= cos_tol) & (np.abs(ln_n[:m] @ a + ln_c[:m]) <= 2.5) & (
                np.abs(ln_n[:m] @ b + ln_c[:m]) <= 2.5)
            hit = np.flatnonzero(ok)
            if len(hit):
                label[i] = hit[0]
                continue
        n = np.array([-u[i, 1], u[i, 0]])
        ln_n[m], ln_c[m], ln_d[m] = n, -float(n @ a), u[i]
        label[i] = m
        m += 1
    nrm, cst, dirs, cums, sup = [], [], [], [], []
    for li in range(m):
        mem = np.flatnonzero(label == li)
        pts = np.vstack([segs[mem, :2], segs[mem, 2:]])
        wt = np.repeat(lens[mem], 2)
        mean = (pts * wt[:, None]).sum(axis=0) / wt.sum()
        cov = ((pts - mean) * wt[:, None]).T @ (pts - mean)
        n = np.linalg.eigh(cov)[1][:, 0]
        dv = np.array([n[1], -n[0]])
        ta, tb = segs[mem, :2] @ dv, segs[mem, 2:] @ dv
        cov1 = np.zeros(2 * span, np.float32)
        for lo, hi in zip(np.minimum(ta, tb), np.maximum(ta, tb), strict=True):
            cov1[int(np.clip(lo + span, 0, 2 * span)) : int(np.clip(hi + span, 0, 2 * span))] = 1.0
        total = float(cov1.sum())
        if total < min_support:
            continue
        nrm.append(n)
        cst.append(-float(n @ mean))
        dirs.append(dv)
        cums.append(np.concatenate([[0.0], np.cumsum(cov1)]).astype(np.float32))
        sup.append(total)
    if len(sup) < 4:
        return None
    order = np.argsort(-np.array(sup))[:max_lines]
    return _Lines(np.array(nrm)[order], np.array(cst)[order], np.array(dirs)[order],
                  np.array(cums)[order], span)


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


def _line_quads(f: _Features, cfg: DetectorConfig, seeds: list[Quad], keep: int = 10) -> list[Quad]:
    """Quads on 4 edge lines: (1) over the strongest lines of the frame, two roughly
    parallel pairs roughly perpendicular to each other; (2) around each seed quad (a
    region's outline), the lines lying near each of its sides. Ranked by how much of
    each side edge segments cover. This finds a page whose outline has gaps (glare, a
    finger, white on white) where every region leaks into the desk, and a page among
    the long lines of a cutting mat or a form."""
    h, w = f.shape
    long_side = max(h, w)
    segs = _segments(f.edges, 0.03 * long_side)
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
    # (2) local: snap each seed's sides to nearby lines (any strength).
    for q in seeds:
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
            near &= dist <= 0.2 * lens[s_] + 3
            idx = np.flatnonzero(near)[:5]
            if not len(idx):
                break
            per_side.append(idx)
        if len(per_side) < 4:
            continue
        combos = np.array(np.meshgrid(*per_side, indexing="ij")).reshape(4, -1).T
        corners, ok = _combo_quads(lines.nrm, lines.cst, combos)
        ok &= _frame_ok(corners, f.shape, cfg, 0.02)
        if ok.any():
            out += _best_by_cover(corners[ok], _coverage(lines, combos[ok], corners[ok]), 4)
    return out


def _desk_color(lab: Image) -> F64:
    h, w = lab.shape[:2]
    rim = max(2, int(0.03 * min(h, w)))
    ring = np.concatenate([lab[:rim].reshape(-1, 3), lab[-rim:].reshape(-1, 3),
                           lab[:, :rim].reshape(-1, 3), lab[:, -rim:].reshape(-1, 3)])
    return np.asarray(np.median(ring, axis=0), dtype=np.float64)


def _distinct(quads: F64, tol: float) -> list[Quad]:
    """Quads no two of which have all corners within `tol` (the same outline found by
    several masks)."""
    out: list[Quad] = []
    for q in quads:
        if all(np.max(np.min(np.linalg.norm(q[:, None, :] - o[None, :, :], axis=2), axis=1)) > tol for o in out):
            out.append(q)
    return out


def _candidates(f: _Features, cfg: DetectorConfig) -> F64:
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
                    ev.samples[i], ev.polarity[i], float(ev.contrast[i])) for i in range(len(quads))]


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
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(q * 0.5).astype(np.int32)], 1)
    inner = np.bincount(f.bins[mask > 0], minlength=1024).astype(np.float64)
    rest = f.bin_total - inner
    si, sr = inner.sum(), rest.sum()
    if si < 16 or sr < 16:
        return 0.0
    bc = float(np.sum(np.sqrt(inner / si * rest / sr)))
    return math.sqrt(max(0.0, 1.0 - bc))


def _continued_sides(lab: Image, q: Quad, n: int = 12) -> NDArray[np.bool_]:
    """Per side: whether both neighbouring sides carry on past its ends, as a page's
    edges do beyond a rule printed across it when the page runs off the frame. At a
    true corner the neighbours stop: desk (or a finger) lies beyond. Carrying on means a
    step lying on the side's own line (wood grain steps too, but not on that line), or
    leaving the frame at once."""
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

    def goes_on(sel: slice) -> NDArray[np.bool_]:
        seen = inside[:, sel].sum(axis=1)
        return np.asarray((seen < 3) | (ok[:, sel].sum(axis=1) >= 0.6 * np.maximum(seen, 1)))

    past_end, before_start = goes_on(slice(0, n)), goes_on(slice(n, 2 * n))
    in_frame_end = inside[:, :n].sum(axis=1) >= 3
    in_frame_start = inside[:, n:].sum(axis=1) >= 3
    # Side j is crossed when side j-1 goes on past corner j and side j+1 behind corner
    # j+1, one of them visibly.
    return np.asarray(past_end[PREV] & before_start[NEXT] & (in_frame_end[PREV] | in_frame_start[NEXT]))


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
    a = np.median(roi[extra > 0].astype(np.float32), axis=0)
    ring_px = roi[ring > 0].astype(np.float32)
    b = np.median(ring_px, axis=0)
    spread = float(np.median(np.linalg.norm(ring_px - b, axis=1)))
    return bool(np.linalg.norm(a - b) >= max(5.0, 3.0 * spread))


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
    # Near the threshold, the sides must also agree which side of them is lighter, as
    # paper against one desk does; a rectangle pieced from a finger's edge, a grain line
    # and a plank seam need not. A clearly distinct thing (a colourful card with a dark
    # band against a light desk) may disagree.
    ranked = [s for s in good if unlike[id(s)] >= min_unlike and (unlike[id(s)] >= 0.5 or s.one_polarity)]
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
            if unlike[id(s)] < min_unlike:
                continue
            if unlike[id(s)] >= unlike[id(best)] - 0.03:
                holders.append(s)
                continue
            ext = _extension_support(s, best.quad)
            if ext >= 0.85 or (ext >= 0.55 and _extra_is_not_desk(f, s.quad, best.quad)):
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
        cands = _candidates(f, cfg)
        if len(cands):
            cands = cands[_geometry_ok(cands, f.shape, cfg)]
        scored = sorted((s for s in _score(f, cands, cfg) if s.plausible()), key=lambda s: -s.score)
        scored = _dedupe_scored(scored, 0.004 * max(f.shape))
        # Refine the best few, and the largest plausible ones: an outline found a few
        # px off scores below a text block's, yet refines to the page.
        by_area = sorted(scored, key=lambda s: -area(s.quad))
        picked: list[_Scored] = []
        for s in scored[:4] + by_area[:2]:
            if all(s is not p for p in picked):
                picked.append(s)
        # A quad already straight on every side sits on its edges; refining it would only
        # move it by a fraction of a pixel (the full-resolution fit does that).
        refined = [r for r in (_refine_small(f, s.quad) for s in picked if s.straight.min() < 0.9) if r is not None]
        rq = np.array(refined).reshape(-1, 4, 2)
        if len(rq):
            rq = rq[_geometry_ok(rq, f.shape, cfg)]
        final = picked + _score(f, rq, cfg)
        valid = [s for s in final if s.valid(cfg)]
        # A side the page's edges run past is a rule across the page, not its edge: the
        # page goes on, off the frame when nothing else closes it.
        crossed = [s for s in valid if _continued_sides(f.lab, s.quad).any()]
        valid = [s for s in valid if all(s is not c for c in crossed)]
        good = [s for s in valid if s.inside]
        best = _outermost(f, good, cfg.min_unlike_rest) if good else None
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
