"""A material's capture session without Qt or threads: which placements auto-capture
may take, stills judged by the camera's own pipeline (blurred, glaring, not a page),
corners set by hand, retakes and deletions, the `auto_capture_s` setting."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers.camera import synth
from drivers.camera.geometry import as_quad, iou
from drivers.camera.pipeline import PagePipeline
from kiosk.capture import (
    EMPTY_FRAMES_TO_ARM,
    LIVE_LONG_SIDE,
    CaptureSession,
    Placement,
    Shot,
    by_hand,
    develop,
    guidance,
    live_view,
    make_still,
    read_image,
    unmoved,
)
from kiosk.config import ConfigError, parse_config

PIPELINE = PagePipeline()


def a4_frame(seed: int = 5, size: tuple[int, int] = (1920, 1080)) -> synth.SynthFrame:
    return synth.make_frame(seed, scene="page", doc="a4", hard=False, size=size)


def quad_at(x: float, y: float, w: float = 400, h: float = 560) -> np.ndarray:
    return as_quad([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def ok_shot(tag: bytes) -> Shot:
    return Shot("ok", tag, np.zeros((4, 3, 3), np.uint8))


def test_page_left_from_the_last_material_is_not_taken_by_itself() -> None:
    placement = Placement()
    for _ in range(20):
        placement.seen(quad_at(100, 100))
    assert not placement.armed  # it lay there when the screen opened
    placement.seen(None)  # one frame the detector missed
    placement.seen(quad_at(100, 100))
    assert not placement.armed
    for _ in range(EMPTY_FRAMES_TO_ARM):
        placement.seen(None)
    assert placement.armed  # the desk was cleared: the next page is new


def test_page_laid_on_an_empty_desk_right_after_opening_is_taken() -> None:
    placement = Placement()
    placement.seen(None)  # the first frame: nothing there
    placement.seen(quad_at(100, 100))
    assert placement.armed


def test_page_moved_clearly_counts_as_placed_anew() -> None:
    placement = Placement()
    placement.seen(quad_at(100, 100))
    placement.seen(quad_at(103, 101))  # a nudge
    assert not placement.armed
    placement.seen(quad_at(250, 160))
    assert placement.armed


def test_detection_missing_one_frame_does_not_rearm_a_page_just_taken() -> None:
    placement = Placement()
    for _ in range(EMPTY_FRAMES_TO_ARM):
        placement.seen(None)
    placement.seen(quad_at(100, 100))
    placement.taken()
    assert not placement.armed and placement.taken_once
    placement.seen(None)  # one frame the detector missed
    placement.seen(quad_at(100, 100))
    assert not placement.armed


def test_page_lying_still_after_its_photo_is_not_told_to_keep_still() -> None:
    frame = np.zeros((1080, 1920, 3), np.uint8)
    before = live_view(frame, quad_at(100, 100), "ok")
    assert unmoved(before, quad_at(101, 100))
    assert not unmoved(before, quad_at(180, 130))
    session = CaptureSession("x")
    session.add(ok_shot(b"1"))
    session.live = live_view(frame, quad_at(100, 100), "ok", still=True)
    assert guidance(session, camera_ok=True, busy=False, auto=True) == "next"


@pytest.mark.parametrize(("reason", "key"), [
    ("no_page", "place"), ("glare", "live_glare"), ("blurred", "live_blurred"), ("page_cut", "live_page_cut"),
])
def test_live_guidance_follows_the_picture(reason: str, key: str) -> None:
    frame = np.zeros((1080, 1920, 3), np.uint8)
    session = CaptureSession("x")
    quad = None if reason in ("no_page", "page_cut") else quad_at(100, 100)
    session.live = live_view(frame, quad, reason, still=True)
    assert guidance(session, camera_ok=True, busy=False, auto=True) == key


def test_guidance_counts_down_only_for_a_new_placement_with_auto_capture_on() -> None:
    frame = np.zeros((1080, 1920, 3), np.uint8)
    session = CaptureSession("x")
    session.live = live_view(frame, quad_at(100, 100), "ok", still=True, hold=0.5)
    assert guidance(session, camera_ok=True, busy=False, auto=True) == "ready"
    for _ in range(EMPTY_FRAMES_TO_ARM):
        session.placement.seen(None)
    assert guidance(session, camera_ok=True, busy=False, auto=True) == "holding"
    assert guidance(session, camera_ok=True, busy=False, auto=False) == "ready"
    assert guidance(session, camera_ok=False, busy=False, auto=True) == "camera_offline"


def test_live_view_is_small_and_its_outline_scaled() -> None:
    f = a4_frame()
    view = live_view(f.image, f.quads[0], "ok")
    assert max(view.image.shape[:2]) == LIVE_LONG_SIDE and view.image.flags["C_CONTIGUOUS"]
    assert view.frame_quad is not None
    assert np.allclose(view.frame_quad, f.quads[0], atol=1e-6)


def test_played_still_is_found_flattened_and_kept() -> None:
    f = a4_frame(size=(2400, 1800))
    shot, still, view = develop(f.image, PIPELINE)
    assert shot.ok and shot.jpeg[:2] == b"\xff\xd8" and shot.thumb is not None
    assert still is not None and still.quad is not None and iou(still.quad, f.quads[0]) > 0.95
    assert view is not None and view.played and view.quad is not None


def test_blurred_still_is_refused_with_its_reason() -> None:
    f = a4_frame(size=(2400, 1800))
    blurred = np.asarray(cv2.GaussianBlur(f.image, (0, 0), 9), np.uint8)
    shot, still, _view = develop(blurred, PIPELINE)
    assert shot.reason == "blurred" and shot.jpeg == b""
    assert still is not None  # its corners can still be set by hand


def test_empty_desk_still_is_refused_and_kept_for_corners_by_hand() -> None:
    f = synth.make_frame(7, scene="empty", hard=False, size=(1920, 1080))
    shot, still, _view = develop(f.image, PIPELINE)
    assert shot.reason == "no_page"
    assert still is not None and still.quad is None
    corners = still.corners()
    assert len(corners) == 4 and corners[0][0] > 0 and corners[2][0] < 1920  # inset from the edges


def test_unreadable_image_file_is_refused_not_raised(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "page.jpg"
    bad.write_bytes(b"\xff\xd8 not a picture")
    shot, still, view = develop(read_image(bad), PIPELINE)
    assert shot.reason == "unreadable" and still is None and view is None


def test_corners_by_hand_flatten_the_page_to_its_true_shape() -> None:
    frame = np.full((1080, 1920, 3), 60, np.uint8)
    corners = [(700.0, 140.0), (1270.0, 140.0), (1270.0, 946.0), (700.0, 946.0)]  # 570 × 806: 1 : √2
    cv2.rectangle(frame, (700, 140), (1270, 946), (235, 235, 235), -1)
    shot = by_hand(make_still(frame), corners, PIPELINE)
    assert shot.ok and shot.by_hand
    page = cv2.imdecode(np.frombuffer(shot.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert page is not None and abs(page.shape[0] / page.shape[1] - 2 ** 0.5) < 0.02


def test_corners_that_cross_are_refused() -> None:
    still = make_still(a4_frame().image)
    crossed = [(100.0, 100.0), (900.0, 900.0), (900.0, 100.0), (100.0, 900.0)]
    assert by_hand(still, crossed, PIPELINE).reason == "corners"
    tiny = [(100.0, 100.0), (110.0, 100.0), (110.0, 110.0), (100.0, 110.0)]
    assert by_hand(still, tiny, PIPELINE).reason == "corners"


def test_retake_replaces_the_page_in_place() -> None:
    session = CaptureSession("x", max_pages=2)
    session.add(ok_shot(b"1"))
    session.add(ok_shot(b"2"))
    assert session.full
    session.retake(0)
    assert not session.full  # a retake may shoot although the pages are all there
    session.add(ok_shot(b"1b"))
    assert session.pages == [b"1b", b"2"] and session.replacing is None and session.full


def test_corners_set_wrong_on_a_kept_page_still_replace_that_page_when_set_again() -> None:
    frame = np.full((1080, 1920, 3), 60, np.uint8)
    session = CaptureSession("x")
    session.add(ok_shot(b"1"), make_still(frame))
    session.add(ok_shot(b"2"), make_still(frame))
    session.add(ok_shot(b"3"), make_still(frame))
    still = session.still
    assert still is not None and still.page == 2
    session.add(Shot("corners"), still, replace=still.page)  # crossed corners: refused
    assert session.still is not None and session.still.page == 2
    session.add(ok_shot(b"3b"), session.still, replace=session.still.page)
    assert session.pages == [b"1", b"2", b"3b"]


def test_too_many_pages_is_a_refusal_not_a_lost_page() -> None:
    session = CaptureSession("x", max_pages=1)
    session.add(ok_shot(b"1"))
    assert session.add(ok_shot(b"2")).reason == "too_many_pages"
    assert session.pages == [b"1"]


def test_deleting_a_page_forgets_which_page_a_still_gave() -> None:
    still = make_still(np.zeros((100, 100, 3), np.uint8))
    session = CaptureSession("x")
    session.add(ok_shot(b"1"), still)
    session.add(ok_shot(b"2"), still)
    assert session.still is not None and session.still.page == 1
    session.delete(0)
    assert session.pages == [b"2"] and session.still is not None and session.still.page == 0
    session.delete(0)
    assert session.pages == [] and session.still is not None and session.still.page is None
    assert session.target is None


def test_auto_capture_seconds_is_a_camera_setting() -> None:
    cfg = parse_config('[devices.camera]\nsource = "sim://"\nauto_capture_s = 1.5\n')
    assert cfg.device("camera").auto_capture_s == 1.5
    assert parse_config('[devices.camera]\nauto_capture_s = 0\n').device("camera").auto_capture_s == 0
    with pytest.raises(ConfigError, match="auto_capture_s"):
        parse_config('[devices.camera]\nauto_capture_s = 0.1\n')
    with pytest.raises(ConfigError, match="auto_capture_s"):
        parse_config('[devices.printer]\nauto_capture_s = 1\n')
