"""The live photo for `id_card_and_face` items, which the platform compares with the
card's chip photo (platform-api.yaml, CatalogItem.auth).

What is checked here is only what can be checked without a face model: a frame
exists, is lit, and is sharp. OpenCV 5's wheel ships no Haar cascades and its face
detector (YuNet) needs a model file; a face-present check needs one of them packaged."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

DARK_MEAN = 40.0
BLUR_MIN = 40.0


@dataclass(frozen=True)
class FacePhoto:
    reason: str  # "ok", "no_frame", "too_dark", "blurred"
    jpeg: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def take_face_photo(frame: NDArray[np.uint8] | None) -> FacePhoto:
    if frame is None or frame.size == 0:
        return FacePhoto("no_frame")
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    if float(grey.mean()) < DARK_MEAN:
        return FacePhoto("too_dark")
    h, w = grey.shape[:2]
    centre = grey[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    if float(cv2.Laplacian(centre, cv2.CV_64F).var()) < BLUR_MIN:
        return FacePhoto("blurred")
    scale = min(1.0, 1280 / max(h, w))
    small = cv2.resize(frame, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return FacePhoto("ok", bytes(data)) if ok else FacePhoto("no_frame")
