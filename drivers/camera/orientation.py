"""Which way up a page is, from its print: cheap checks on a small copy.

Lines of text make the row profile of ink far more uneven than the column profile, so
they tell the lines' direction; the side where lines start flush is the left (Chinese
and Latin documents alike run left to right). Centred or justified print does not tell,
and then nothing is turned. Cards are not judged: their print is blocks and photos.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera.geometry import Quad, as_quad

Image = NDArray[np.uint8]


def text_rotation(img: Image) -> int:
    """Degrees (0, 90, 180, 270) to turn `img` clockwise so its text stands upright, or
    0 when the print does not tell. Cheap: on a 320 px copy.

    Lines of text make the row profile of ink far more uneven than the column profile;
    then the side where lines start flush is the left (Chinese and Latin text alike run
    left to right in documents)."""
    g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    h, w = g.shape[:2]
    k = 320.0 / max(h, w)
    small = cv2.resize(g, (max(16, int(w * k)), max(16, int(h * k))), interpolation=cv2.INTER_AREA)
    ink = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 12)
    m = max(2, int(0.05 * min(small.shape)))
    ink = ink[m:-m, m:-m]
    if ink.mean() < 0.01:
        return 0
    rows, cols = ink.mean(axis=1), ink.mean(axis=0)
    rv = float(np.std(rows) / (rows.mean() + 1e-6))
    cv = float(np.std(cols) / (cols.mean() + 1e-6))
    if max(rv, cv) < 0.6 or abs(rv - cv) < 0.25 * max(rv, cv):
        return 0  # no clear line direction
    horizontal = rv > cv
    lines = ink if horizontal else ink.T
    starts, ends = [], []
    for band in _bands(lines.mean(axis=1)):
        seg = lines[band[0] : band[1]].max(axis=0)
        xs = np.flatnonzero(seg)
        if len(xs) > 3:
            starts.append(xs[0])
            ends.append(xs[-1])
    if len(starts) < 4:
        return 0
    s_spread, e_spread = float(np.std(starts)), float(np.std(ends))
    if abs(s_spread - e_spread) < 0.2 * max(s_spread, e_spread, 1.0):
        return 0  # centred or justified: the print does not tell
    flush_first = s_spread < e_spread
    if horizontal:
        return 0 if flush_first else 180
    # Lines running down the image: flush at the top means the page's left edge is at
    # the top, so it lies turned a quarter clockwise; turn it back (270 clockwise).
    return 270 if flush_first else 90


def _bands(profile: NDArray[np.floating]) -> list[tuple[int, int]]:
    on = profile > max(0.02, 0.3 * float(profile.max()))
    bands, start = [], None
    for i, v in enumerate(on):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start >= 2:
                bands.append((start, i))
            start = None
    if start is not None and len(on) - start >= 2:
        bands.append((start, len(on)))
    return bands


def rotate_quad(quad: Quad, degrees: int) -> Quad:
    """The same corners, reordered so the page turned clockwise by `degrees` starts at
    its new top-left."""
    steps = (degrees // 90) % 4
    return np.asarray(np.roll(as_quad(quad), steps, axis=0), dtype=np.float64)


def rotate_image(img: Image, degrees: int) -> Image:
    steps = (degrees // 90) % 4
    if steps == 0:
        return img
    code = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}[steps]
    return np.asarray(cv2.rotate(img, code), dtype=np.uint8)
