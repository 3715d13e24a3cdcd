"""Is the page sharp and free of glare, and has it lain still long enough to shoot?

Pure functions and one small state object, with no clocks (timestamps are passed in),
after hardware-protocols.md §4.2 step 6:

- blur: the width of the page's own edge. Every page has one (paper against desk),
  whatever is printed on it, and a defocused lens widens it: the steepest slope of a
  step of height Δ blurred by a Gaussian of σ is Δ / (σ√(2π)). The median over 64
  profiles across the four sides gives σ in pixels, expressed for a 13 MP frame. (The
  variance of the Laplacian the reference names depends on what is printed: a page of
  text stays "sharp" at a 5 px defocus, a plain card is "blurred" in focus.)
- glare: the share of near-saturated, colourless pixels on the page (V > 240 and
  S < 30), rejected above 5 % of the page as an eKYC capture guide suggests.
Thresholds are starting points to tune per camera model, as the reference says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera.geometry import NEXT, Quad, as_quad, clockwise

Image = NDArray[np.uint8]

BLURRED = "blurred"
GLARE = "glare"

_PROBE_LONG_SIDE = 640  # the page is measured warped to this long side


@dataclass(frozen=True)
class QualityConfig:
    # Defocus σ in pixels of a 13 MP frame. Generated pages measure 0.5-1.2 in focus,
    # 1.6-1.9 at a 1.5 px blur, 2.3-3.2 at 3 px; print stays legible to about 3.
    max_blur_px: float = 3.0
    max_glare: float = 0.05  # share of the page
    glare_v: int = 240
    glare_s: int = 30


_REF_LONG_SIDE = 4208  # blur is expressed in pixels of a 13 MP frame


@dataclass(frozen=True)
class Quality:
    blur_px: float  # estimated defocus σ, 13 MP pixels (nan when no edge could be measured)
    glare: float  # share of the page's pixels washed out by a reflection
    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.reasons


def page_probe(frame: Image, quad: Quad, long_side: int = _PROBE_LONG_SIDE) -> Image:
    """The page warped flat to at most `long_side` px on its long side."""
    q = as_quad(quad).astype(np.float32)
    w = float(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3])))
    h = float(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1])))
    # Shrink to the probe size, never enlarge.
    k = min(1.0, long_side / max(w, h, 1.0))
    ow, oh = max(8, round(w * k)), max(8, round(h * k))
    dst = np.array([[0, 0], [ow - 1, 0], [ow - 1, oh - 1], [0, oh - 1]], np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    return np.asarray(cv2.warpPerspective(frame, m, (ow, oh), flags=cv2.INTER_AREA), dtype=np.uint8)


def edge_blur_px(frame: Image, quad: Quad, n: int = 16) -> float:
    """Defocus σ (frame pixels) from the steepest slope across the page's edges."""
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    q = clockwise(as_quad(quad))
    d = q[NEXT] - q
    length = np.linalg.norm(d, axis=1, keepdims=True) + 1e-12
    normals = np.stack([d[:, 1], -d[:, 0]], axis=1) / length  # outward, clockwise on screen
    t = np.linspace(0.2, 0.8, n)
    pts = q[:, None, :] + t[None, :, None] * d[:, None, :]
    step = 0.5
    offs = np.arange(-20.0, 20.0 + step, step)
    coords = (pts[:, :, None, :] + offs[None, None, :, None] * normals[:, None, None, :]).astype(np.float32)
    flat = coords.reshape(1, -1, 2)
    prof = cv2.remap(gray, flat[..., 0], flat[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    prof = np.asarray(prof, np.float32).reshape(4 * n, len(offs))
    # Against sensor noise: a 1 px Gaussian along the profile, taken out below.
    prof = cv2.GaussianBlur(prof, (0, 0), sigmaX=1.0 / step, sigmaY=1e-3)
    slope = np.abs(np.diff(prof, axis=1)) / step
    j = np.argmax(slope, axis=1)
    sig = []
    far = int(8 / step)
    for r in range(4 * n):
        a, b = int(j[r]) - far, int(j[r]) + far
        if a < 4 or b > len(offs) - 4:
            continue
        lo, hi = float(np.median(prof[r, : a + 1])), float(np.median(prof[r, b:]))
        delta = abs(hi - lo)
        s = float(slope[r, j[r]])
        if delta < 10 or s <= 0:
            continue  # no visible edge here (a finger, glare, white on white)
        sig.append(delta / (s * math.sqrt(2 * math.pi)))
    if len(sig) < 6:
        return float("nan")
    return math.sqrt(max(0.0, float(np.median(sig)) ** 2 - 1.0))


def measure(frame: Image, quad: Quad, config: QualityConfig | None = None) -> Quality:
    cfg = config or QualityConfig()
    blur = edge_blur_px(frame, quad) * _REF_LONG_SIDE / max(frame.shape[:2])
    probe = page_probe(frame, quad)
    if probe.ndim == 2:
        probe = np.asarray(cv2.cvtColor(probe, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    # Trim the rim: the page edge and the desk beyond it are not the page.
    hh, ww = probe.shape[:2]
    m = max(2, int(0.04 * min(hh, ww)))
    hsv = cv2.cvtColor(probe[m : hh - m, m : ww - m], cv2.COLOR_BGR2HSV)
    washed = (hsv[..., 2] > cfg.glare_v) & (hsv[..., 1] < cfg.glare_s)
    glare = float(np.count_nonzero(washed)) / max(washed.size, 1)
    reasons = []
    if blur > cfg.max_blur_px:  # nan compares False: no edge, no verdict
        reasons.append(BLURRED)
    if glare > cfg.max_glare:
        reasons.append(GLARE)
    return Quality(blur, glare, tuple(reasons))


@dataclass(frozen=True)
class AutoCaptureConfig:
    still_s: float = 0.8  # the page must rest this long
    max_shift_frac: float = 0.01  # corner movement allowed, of the page's diagonal
    rearm_shift_frac: float = 0.08  # after a shot: move this much (or leave) to shoot again


class AutoCapture:
    """Fires once when a page has lain still for `still_s`. Fed (quad, timestamp) for
    every preview frame; `None` when no page is seen. No clock inside: the caller's
    timestamps decide, so tests replay a sequence exactly.

    After firing it waits for the page to leave or move clearly before firing again, so
    one placement gives one capture."""

    def __init__(self, config: AutoCaptureConfig | None = None) -> None:
        self.config = config or AutoCaptureConfig()
        self._anchor: Quad | None = None
        self._since: float | None = None
        self._fired_at: Quad | None = None

    def reset(self) -> None:
        self._anchor = None
        self._since = None
        self._fired_at = None

    def still_for(self, t: float) -> float:
        """Seconds the current page has rested, as of `t` (0 when none)."""
        return 0.0 if self._since is None else max(0.0, t - self._since)

    def update(self, quad: Quad | None, t: float, ok: bool = True) -> bool:
        """Feed one frame's page (or None) at time `t`; True when a capture should be
        taken now. `ok` False (blur, glare) holds the timer without firing."""
        cfg = self.config
        if quad is None:
            self._anchor = None
            self._since = None
            self._fired_at = None
            return False
        q = as_quad(quad)
        diag = float(np.linalg.norm(q[2] - q[0]))
        if self._fired_at is not None:
            if _shift(q, self._fired_at) > cfg.rearm_shift_frac * diag:
                self._fired_at = None
            else:
                return False
        if self._anchor is None or _shift(q, self._anchor) > cfg.max_shift_frac * diag:
            self._anchor = q
            self._since = t
            return False
        if not ok or self._since is None:
            self._since = t if self._since is None else self._since
            return False
        if t - self._since >= cfg.still_s:
            self._fired_at = q
            self._anchor = None
            self._since = None
            return True
        return False


def _shift(a: Quad, b: Quad) -> float:
    """Largest corner movement between two quads, whatever corner each starts from."""
    return float(min(np.max(np.linalg.norm(np.roll(a, k, axis=0) - b, axis=1)) for k in range(4)))
