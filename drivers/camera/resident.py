"""A resident looking into the camera, for the simulated hall's face photo (the face
screen of `id_card_and_face` items): kiosk/face.py looks for a real face with a face
detector, so a drawn one will not do.

The face is NASA's portrait of astronaut Eileen Collins (public domain), as scikit-image
ships it (skimage/data/astronaut.png, 512 px), downscaled to 256 px, JPEG quality 85:
`resident_face.jpg` beside this file (tests/data/face_astronaut.jpg is the same file)."""

from __future__ import annotations

import functools
from importlib import resources

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]

# VGA: the photo is 256 px, and a larger frame would be an upscale that kiosk/face.py's
# blur check rightly refuses.
FACE_FRAME_SIZE = (640, 480)
FACE_SHARE = 0.18  # face box / frame long side: a resident at arm's length (kiosk/face.py)
_FACE_BOX = (88.0, 41.0, 45.0)  # left, top, size of dlib's face box on the 256 px photo
_WALL = (176, 180, 184)  # BGR, a light grey wall behind the resident


@functools.cache
def _photo() -> Image:
    data = resources.files("drivers.camera").joinpath("resident_face.jpg").read_bytes()
    return np.asarray(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), dtype=np.uint8)


def resident_frame(size: tuple[int, int] = FACE_FRAME_SIZE, share: float = FACE_SHARE) -> Image:
    """A (w, h) BGR frame with the resident's face centred, its box `share` of the long side."""
    w, h = size
    left, top, box = _FACE_BOX
    s = share * max(w, h) / box
    cx, cy = left + box / 2, top + box / 2
    m = np.array([[s, 0.0, w / 2 - s * cx], [0.0, s, 0.36 * h - s * cy]], np.float32)
    frame = cv2.warpAffine(_photo(), m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=_WALL)
    return np.asarray(frame, dtype=np.uint8)
