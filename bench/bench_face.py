"""Face photo bench: what the face screen's check (kiosk/face.py) costs per frame.

    .venv/bin/python bench/bench_face.py [--runs 30] [--size 1280x720]

Prints median and p95 milliseconds per frame for:
- detect: the face detector alone (grey copy downscaled to 640 px, upsampled once);
- photo, face: `take_face_photo` on a frame with the resident in it (light, blur, face
  checks and the JPEG);
- photo, no face: `take_face_photo` on a lit, sharp frame without a face (no JPEG);
and, once, the first call, which builds dlib's detector.

The resident is the simulated camera's photo (drivers/camera/resident.py), scaled to the
frame with some sensor noise so the upscaled photo passes the blur check as a real
camera frame would. The dev machine has 2 cores; the face check runs once per tap on
"Take photo", off the GUI thread, so ~100 ms is fine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.camera.resident import resident_frame
from kiosk.face import find_faces, take_face_photo


def _ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--size", default="1280x720")
    args = ap.parse_args()
    w, _, h = args.size.partition("x")
    size = (int(w), int(h))

    rng = np.random.default_rng(7)
    face = resident_frame(size)
    face = np.clip(face + rng.normal(0, 4, face.shape), 0, 255).astype(np.uint8)
    empty = rng.integers(60, 200, (size[1], size[0], 3), dtype=np.uint8)
    grey = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)

    t0 = time.perf_counter()
    first = take_face_photo(face)
    print(f"first call (builds the detector): {(time.perf_counter() - t0) * 1000:.0f} ms, reason {first.reason}")
    if not first.ok or take_face_photo(empty).reason != "no_face":
        print("bench frames are not what they should be: a face accepted, no face refused")
        return 1

    print(f"{size[0]}x{size[1]}, {args.runs} runs        median    p95")
    for name, fn in (("detect", lambda: find_faces(grey)),
                     ("photo, face", lambda: take_face_photo(face)),
                     ("photo, no face", lambda: take_face_photo(empty))):
        median, p95 = _ms(fn, args.runs)
        print(f"  {name:<16} {median:8.1f} ms {p95:6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
