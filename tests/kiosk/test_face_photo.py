"""A dark or blurred live photo is refused with a reason; a usable one becomes a JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.face import take_face_photo


def _scene() -> np.ndarray:
    rng = np.random.default_rng(3)
    img = rng.integers(60, 200, (720, 960, 3), dtype=np.uint8)
    cv2.circle(img, (480, 360), 150, (150, 170, 210), -1)
    cv2.circle(img, (430, 330), 20, (30, 30, 30), -1)
    cv2.circle(img, (530, 330), 20, (30, 30, 30), -1)
    return img


def test_no_camera_frame_is_refused() -> None:
    assert take_face_photo(None).reason == "no_frame"


def test_dark_frame_is_refused() -> None:
    assert take_face_photo(np.full((480, 640, 3), 10, np.uint8)).reason == "too_dark"


def test_blurred_frame_is_refused() -> None:
    blurred = cv2.GaussianBlur(_scene(), (0, 0), 25)
    assert take_face_photo(blurred).reason == "blurred"


def test_sharp_lit_frame_becomes_a_jpeg() -> None:
    photo = take_face_photo(_scene())
    assert photo.ok and photo.jpeg[:2] == b"\xff\xd8"
