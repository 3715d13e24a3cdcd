"""The live photo for `id_card_and_face` items, which the platform compares with the
card's chip photo (platform-api.yaml, CatalogItem.auth).

Checked here, in this order, each with the reason the face screen explains:
- a frame exists (`no_frame`), is lit (`too_dark`) and sharp (`blurred`);
- exactly one face is in it (`no_face`, `several_faces`), big enough to compare with the
  chip photo (`face_too_small`) and wholly in the picture (`off_centre`).

The face detector is dlib's HOG frontal face detector (`dlib.get_frontal_face_detector`,
from the `dlib-bin` wheel), whose model is compiled into the library: nothing to
download or ship. OpenCV 5's wheel has no Haar cascades, and its YuNet detector needs a
model file. The HOG detector finds upright faces looking roughly at the camera (its five
filters: frontal, turned a little left or right, tilted a little), which is what the
comparison needs anyway; a face in profile or upside down reads as `no_face`.

Images are never logged; `FacePhoto.jpeg` is kept out of its repr."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any

import cv2
import dlib
import numpy as np
from numpy.typing import NDArray

DARK_MEAN = 40.0
BLUR_MIN = 40.0

# Detection runs on a grey copy at most this long, upsampled once: dlib's HOG window is
# 80×80 px, so one upsampling finds faces from ~40 px here, i.e. ~6 % of the frame's long
# side, below FACE_MIN_SHARE: a resident standing too far back hears "come closer", not
# "no face". Measured on the 2-core dev machine with bench/bench_face.py: ~60-90 ms for a
# 1280×720 frame (without upsampling ~11 ms, but faces under 12.5 % go unseen). It runs
# once per tap on "Take photo", off the GUI thread.
DETECT_LONG_SIDE = 640
DETECT_UPSAMPLE = 1

# The face box (dlib's box runs from the eyebrows to the chin, cheek to cheek) must be at
# least this share of the frame's long side. The box is ~12 cm wide on an adult: at arm's
# length (~50 cm) from a camera with a ~65° field of view it fills ~18 %; at 12 % on a
# 1280×720 frame it is ~150 px, about twice the face on the card's chip photo (the whole
# photo is 102×126 px), so the platform's comparison has the detail it needs.
FACE_MIN_SHARE = 0.12

# Another face counts only when it is about as big as the resident's, i.e. about as near
# the camera: two people side by side leave the platform to guess whom to compare. A
# relative or a helper standing behind an elderly resident shows a clearly smaller face
# (under 70 %: ~1.4× as far away); refusing every photo with someone in the background
# would leave such a resident stuck at this step, and the resident's face is still the
# biggest one by far.
OTHER_FACE_SHARE = 0.7

# dlib reports anything scoring above 0; below ~0.3 that was, on the test photo, a fold of
# a space suit as big as the face. A resident looking at the camera scores ~0.7-1.4; one
# turned away or half hidden scores low and is asked to look straight at the camera.
FACE_MIN_SCORE = 0.3

# The whole head must be in the picture: the face box grown by this share of its size on
# each side (forehead, hair, chin) has to fit in the frame.
HEAD_MARGIN = 0.25

REASONS = ("ok", "no_frame", "too_dark", "blurred", "no_face", "several_faces", "face_too_small", "off_centre")


@dataclass(frozen=True)
class FacePhoto:
    reason: str  # one of REASONS
    jpeg: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


@dataclass(frozen=True)
class FaceBox:
    """A detected face in frame pixels, with dlib's detection score (higher: surer)."""

    left: float
    top: float
    width: float
    height: float
    score: float


# Running dlib's detector loads the image into the detector's own scanner (a non-const
# operator(), dlib/image_processing/object_detector_abstract.h), so two threads must not
# run one detector at once, hence the lock. Building it takes ~0.25 s: on first use, not
# at import.
_detector_lock = threading.Lock()


@functools.cache
def _frontal_detector() -> Any:
    return dlib.get_frontal_face_detector()


def find_faces(grey: NDArray[np.uint8]) -> list[FaceBox]:
    """The clear upright frontal faces in a grey frame, in frame pixels, biggest first."""
    h, w = grey.shape[:2]
    scale = min(1.0, DETECT_LONG_SIDE / max(h, w))
    small = cv2.resize(grey, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    small = np.ascontiguousarray(small, dtype=np.uint8)
    with _detector_lock:
        rects, scores, _ = _frontal_detector().run(small, DETECT_UPSAMPLE, 0.0)
    faces = [FaceBox(r.left() / scale, r.top() / scale, r.width() / scale, r.height() / scale, float(s))
             for r, s in zip(rects, scores, strict=True) if s >= FACE_MIN_SCORE]
    return sorted(faces, key=lambda f: f.width * f.height, reverse=True)


def face_problem(faces: list[FaceBox], frame_size: tuple[int, int]) -> str | None:
    """Why these faces (biggest first) in a (w, h) frame do not make a usable photo."""
    if not faces:
        return "no_face"
    face = faces[0]
    if any(f.width >= OTHER_FACE_SHARE * face.width for f in faces[1:]):
        return "several_faces"
    w, h = frame_size
    if face.width < FACE_MIN_SHARE * max(w, h):
        return "face_too_small"
    mx, my = HEAD_MARGIN * face.width, HEAD_MARGIN * face.height
    if face.left - mx < 0 or face.top - my < 0 or face.left + face.width + mx > w or face.top + face.height + my > h:
        return "off_centre"
    return None


def take_face_photo(frame: NDArray[np.uint8] | None) -> FacePhoto:
    if frame is None or frame.size == 0:
        return FacePhoto("no_frame")
    grey = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8) if frame.ndim == 3 else frame
    if float(grey.mean()) < DARK_MEAN:
        return FacePhoto("too_dark")
    h, w = grey.shape[:2]
    centre = grey[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    if float(cv2.Laplacian(centre, cv2.CV_64F).var()) < BLUR_MIN:
        return FacePhoto("blurred")
    problem = face_problem(find_faces(grey), (w, h))
    if problem is not None:
        return FacePhoto(problem)
    scale = min(1.0, 1280 / max(h, w))
    small = cv2.resize(frame, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return FacePhoto("ok", bytes(data)) if ok else FacePhoto("no_frame")
