"""The live photo for face comparison: a dark or blurred frame, a frame without a face,
with two people, with the resident too far away or half out of the picture is refused
with a reason; a resident looking at the camera becomes a JPEG.

The face is tests/data/face_astronaut.jpg (NASA, public domain; tests/data/README.md):
256 px, its face box 45 px at (88, 41)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.camera.device import CameraDriver
from drivers.camera.resident import resident_frame
from drivers.camera.source import SimCamera
from kiosk.face import REASONS, find_faces, take_face_photo

PHOTO = Path(__file__).resolve().parents[1] / "data" / "face_astronaut.jpg"
WALL = (176, 180, 184)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    img = cv2.imread(str(PHOTO), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def _resident(photo: np.ndarray, size: tuple[int, int] = (640, 480), share: float = 0.18,
              at: tuple[float, float] = (0.5, 0.4)) -> np.ndarray:
    """The photo scaled so the face box is `share` of the frame's long side, its centre at
    `at` (fractions of w, h), on a plain wall."""
    w, h = size
    s = share * max(w, h) / 45
    cx, cy = 88 + 22.5, 41 + 22.5
    m = np.array([[s, 0, at[0] * w - s * cx], [0, s, at[1] * h - s * cy]], np.float32)
    return cv2.warpAffine(photo, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=WALL)


def _scene() -> np.ndarray:
    """A lit, sharp frame with a drawn 'face' (two dark eyes on a disc): no real face."""
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


def test_blurred_frame_is_refused(photo: np.ndarray) -> None:
    blurred = cv2.GaussianBlur(_resident(photo), (0, 0), 6)
    assert take_face_photo(blurred).reason == "blurred"


def test_face_photo_accepts_resident_looking_at_camera(photo: np.ndarray) -> None:
    taken = take_face_photo(_resident(photo))
    assert taken.ok and taken.jpeg[:2] == b"\xff\xd8"
    back = cv2.imdecode(np.frombuffer(taken.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert back.shape == (480, 640, 3)


def test_face_photo_accepts_grey_frame(photo: np.ndarray) -> None:
    grey = cv2.cvtColor(_resident(photo), cv2.COLOR_BGR2GRAY)
    assert take_face_photo(grey).ok


def test_face_photo_refuses_frame_without_face() -> None:
    assert take_face_photo(_scene()).reason == "no_face"


def test_face_photo_refuses_face_turned_upside_down(photo: np.ndarray) -> None:
    # The frontal detector finds upright faces only; the resident is asked to face the camera.
    assert take_face_photo(cv2.rotate(_resident(photo), cv2.ROTATE_180)).reason == "no_face"


def test_face_photo_refuses_two_faces(photo: np.ndarray) -> None:
    one = _resident(photo)
    assert take_face_photo(np.hstack([one, one])).reason == "several_faces"


def test_face_photo_keeps_resident_with_small_helper_behind(photo: np.ndarray) -> None:
    frame = _resident(photo)  # the resident's face box: ~115 px
    frame[0:120, 0:130] = _resident(photo, size=(130, 120), share=0.4)  # ~50 px, someone further back
    assert len(find_faces(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))) == 2
    assert take_face_photo(frame).ok


def test_face_photo_refuses_face_too_small(photo: np.ndarray) -> None:
    far = _resident(photo, size=(1280, 720), share=0.075)
    assert take_face_photo(far).reason == "face_too_small"


def test_face_photo_refuses_face_cut_by_frame_edge(photo: np.ndarray) -> None:
    tall = _resident(photo, at=(0.5, 0.1))  # a tall resident: forehead above the frame
    assert take_face_photo(tall).reason == "off_centre"


def test_simulated_camera_shows_a_face_the_check_accepts() -> None:
    assert take_face_photo(resident_frame()).ok
    assert take_face_photo(CameraDriver("sim://").face_frame()).ok
    covered = SimCamera("black")
    assert take_face_photo(CameraDriver("sim://", sim=covered).face_frame()).reason == "too_dark"


def test_simulated_resident_is_the_test_photo() -> None:
    shipped = Path(__file__).resolve().parents[2] / "drivers" / "camera" / "resident_face.jpg"
    assert shipped.read_bytes() == PHOTO.read_bytes()


def test_every_reason_has_resident_text() -> None:
    from kiosk.strings import TEXTS
    from screens import face_screen  # registers the face screen's texts

    assert face_screen.FaceScreen
    for reason in REASONS:
        zh, en = TEXTS[f"face.{reason}"]
        assert zh and en, reason
