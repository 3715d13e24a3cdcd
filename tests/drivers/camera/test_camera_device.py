"""The camera as a device: stalls, unplugging mid-capture, black frames, a camera that
gives less than asked, pushed images. Driven through DeviceRunner.run_once with a fake
clock: no threads, no sleeping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest

from drivers.camera import synth
from drivers.camera.device import CameraConfig, CameraDriver, CaptureFailed, PageCaptured, PreviewUpdated
from drivers.camera.pipeline import PagePipeline
from drivers.camera.source import CameraUnavailable, FileSource, OpenCVSource, SimCamera, SimSource
from drivers.health import DeviceState
from drivers.runner import DeviceRunner
from tests.drivers.camera.conftest import FakeClock

SMALL = (960, 720)


def sim_driver(clock: FakeClock, camera: SimCamera, **cfg: Any) -> tuple[CameraDriver, list[object]]:
    src = SimSource(camera, preview_size=SMALL, still_size=(1920, 1440), fps=10, clock=clock, wait=clock.advance)
    cfg.setdefault("preview", True)
    drv = CameraDriver(src, pipeline=PagePipeline(clock=clock), config=CameraConfig(**cfg), clock=clock)
    return drv, []


def run(runner: DeviceRunner[CameraDriver], events: list[object], rounds: int) -> None:
    for _ in range(rounds):
        runner.run_once()


def test_a_page_lying_still_is_captured_once(clock: FakeClock) -> None:
    cam = SimCamera("page", seed=3, doc="a4")
    drv, events = sim_driver(clock, cam)
    runner = DeviceRunner("camera", drv, clock=clock)
    runner.on_event(lambda _n, e: events.append(e))
    run(runner, events, 25)  # 2.5 s of frames at 10 fps
    assert runner.health.state is DeviceState.READY
    previews = [e for e in events if isinstance(e, PreviewUpdated)]
    assert previews and previews[-1].result.quad is not None
    shots = [e for e in events if isinstance(e, PageCaptured)]
    assert len(shots) == 1
    page = shots[0].page
    assert page.kind == "a4" and page.jpeg_bytes[:2] == b"\xff\xd8"


def test_camera_stalls_then_recovers(clock: FakeClock) -> None:
    cam = SimCamera("empty", seed=1)
    drv, _ = sim_driver(clock, cam, stall_timeout_s=2.0)
    runner = DeviceRunner("camera", drv, clock=clock)
    run(runner, [], 3)
    assert runner.health.state is DeviceState.READY
    cam.stall()
    run(runner, [], 30)  # 0.15 s per poll: 4.5 s without a frame
    assert runner.health.state is DeviceState.OFFLINE
    assert runner.health.reason == "disconnected"
    cam.resume()
    clock.advance(5.0)  # past the runner's reconnect backoff
    run(runner, [], 3)
    assert runner.health.state is DeviceState.READY
    assert runner.reconnects >= 1


def test_unplugged_mid_capture(clock: FakeClock) -> None:
    cam = SimCamera("page", seed=3, doc="a4")
    drv, events = sim_driver(clock, cam)
    runner = DeviceRunner("camera", drv, clock=clock)
    runner.on_event(lambda _n, e: events.append(e))
    run(runner, events, 4)
    fut = runner.call(lambda d: d.capture())
    cam.unplug()
    runner.run_once()
    with pytest.raises((CameraUnavailable, ConnectionError)):
        fut.result(timeout=0)
    assert runner.health.state is DeviceState.OFFLINE
    clock.advance(5.0)
    runner.run_once()  # still unplugged: reopening fails, stays offline
    assert runner.health.state is DeviceState.OFFLINE
    cam.plug()
    clock.advance(10.0)
    run(runner, events, 2)
    assert runner.health.state is DeviceState.READY


def test_black_frames_degrade_the_camera(clock: FakeClock) -> None:
    cam = SimCamera("black")
    drv, events = sim_driver(clock, cam, black_frames_degraded=5)
    runner = DeviceRunner("camera", drv, clock=clock)
    runner.on_event(lambda _n, e: events.append(e))
    run(runner, events, 8)
    assert runner.health.state is DeviceState.DEGRADED
    assert runner.health.reason == "black_frames"
    assert all(e.result.reason == "too_dark" for e in events if isinstance(e, PreviewUpdated))


def test_pushed_image_is_captured_as_if_the_camera_took_it(clock: FakeClock) -> None:
    cam = SimCamera("empty")
    drv, events = sim_driver(clock, cam)
    runner = DeviceRunner("camera", drv, clock=clock)
    runner.on_event(lambda _n, e: events.append(e))
    f = synth.make_frame(9, scene="page", doc="id1", hard=False, size=(2104, 1560))
    drv.push_image(f.image)
    runner.run_once()
    shots = [e for e in events if isinstance(e, PageCaptured)]
    assert len(shots) == 1 and shots[0].pushed and shots[0].page.kind == "id1"


def test_pushed_corrupt_file_fails_cleanly(clock: FakeClock, tmp_path: Any) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not really")
    drv, events = sim_driver(clock, SimCamera("empty"))
    runner = DeviceRunner("camera", drv, clock=clock)
    runner.on_event(lambda _n, e: events.append(e))
    drv.push_file(str(bad))
    runner.run_once()
    assert CaptureFailed("unreadable_image") in events
    assert runner.health.state is not DeviceState.OFFLINE


def test_without_a_capture_screen_frames_are_read_but_not_processed(clock: FakeClock) -> None:
    drv, events = sim_driver(clock, SimCamera("page", seed=3, doc="a4"), preview=False)
    runner = DeviceRunner("camera", drv, clock=clock)
    runner.on_event(lambda _n, e: events.append(e))
    run(runner, events, 5)
    assert events == []
    assert runner.health.state is DeviceState.READY
    frame = drv.latest_frame()
    assert frame is not None and frame.shape == (SMALL[1], SMALL[0], 3)
    drv.set_preview(True)
    run(runner, events, 2)
    assert any(isinstance(e, PreviewUpdated) for e in events)


def test_file_source_plays_images_as_frames(clock: FakeClock, tmp_path: Any) -> None:
    for i in range(2):
        f = synth.make_frame(20 + i, scene="page", doc="a4", hard=False, size=SMALL)
        cv2.imwrite(str(tmp_path / f"p{i}.jpg"), f.image)
    src = FileSource(str(tmp_path / "*.jpg"), fps=5, hold_s=1.0, clock=clock, wait=clock.advance)
    src.open()
    shapes = {src.read(0.5).image.shape for _ in range(10)}  # type: ignore[union-attr]
    assert shapes == {(SMALL[1], SMALL[0], 3)}
    src.close()


def test_file_source_without_files_is_unavailable(tmp_path: Any) -> None:
    with pytest.raises(CameraUnavailable):
        FileSource(str(tmp_path / "*.png")).open()


# -- OpenCV, behind a fake VideoCapture ------------------------------------------------------


class FakeVideoCapture:
    """cv2.VideoCapture's surface: records settings, serves frames of the size the
    'camera' really gives, fails grabs once unplugged."""

    def __init__(self, give: tuple[int, int], opened: bool = True) -> None:
        self.give = give
        self.opened = opened
        self.calls: list[tuple[int, float]] = []
        self.props: dict[int, float] = {}
        self.unplugged = False
        self.grabs = 0

    def isOpened(self) -> bool:
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.calls.append((prop, value))
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            return float(min(self.give[0], self.props.get(prop, self.give[0])))
        if prop == cv2.CAP_PROP_FRAME_HEIGHT:
            return float(min(self.give[1], self.props.get(prop, self.give[1])))
        return float(self.props.get(prop, 0.0))

    def grab(self) -> bool:
        self.grabs += 1
        return not self.unplugged

    def retrieve(self) -> tuple[bool, np.ndarray]:
        w = int(self.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self.get(cv2.CAP_PROP_FRAME_HEIGHT))
        return True, np.full((h, w, 3), 90, np.uint8)

    def release(self) -> None:
        self.opened = False


def factory(fake: FakeVideoCapture) -> Callable[[int | str, int], FakeVideoCapture]:
    def make(device: int | str, api: int) -> FakeVideoCapture:
        assert api == cv2.CAP_V4L2
        return fake
    return make


def test_opencv_source_asks_for_mjpg_before_the_size_and_one_buffer() -> None:
    fake = FakeVideoCapture(give=(1920, 1080))
    src = OpenCVSource(0, capture_factory=factory(fake), warmup_frames=1)
    src.open()
    try:
        props = [p for p, _ in fake.calls]
        assert props.index(cv2.CAP_PROP_FOURCC) < props.index(cv2.CAP_PROP_FRAME_WIDTH) < props.index(
            cv2.CAP_PROP_FPS)
        assert (cv2.CAP_PROP_BUFFERSIZE, 1) in fake.calls
        frame = src.read(2.0)
        assert frame is not None and frame.image.shape == (1080, 1920, 3)
        assert src.negotiated is not None and src.negotiated.ok
    finally:
        src.close()


def test_a_camera_giving_less_than_asked_is_degraded(clock: FakeClock) -> None:
    fake = FakeVideoCapture(give=(1280, 720))
    src = OpenCVSource(0, capture_factory=factory(fake), warmup_frames=0)
    drv = CameraDriver(src, config=CameraConfig(poll_wait_s=2.0, preview=True))
    drv.open()
    try:
        drv.poll()
        h = drv.health()
        assert h.state is DeviceState.DEGRADED and h.reason == "resolution"
        assert "1280x720" in h.detail
    finally:
        drv.close()


def test_opencv_camera_unplugged_raises_for_the_runner() -> None:
    fake = FakeVideoCapture(give=(1920, 1080))
    src = OpenCVSource(0, capture_factory=factory(fake), warmup_frames=0, max_grab_failures=2)
    src.open()
    try:
        assert src.read(2.0) is not None
        fake.unplugged = True
        with pytest.raises(CameraUnavailable):
            for _ in range(50):
                src.read(2.0)
    finally:
        src.close()


def test_opencv_still_switches_to_full_size_and_back() -> None:
    fake = FakeVideoCapture(give=(4208, 3120))
    src = OpenCVSource(0, capture_factory=factory(fake), warmup_frames=0)
    src.open()
    try:
        still = src.still(5.0)
        assert still is not None and still.still and still.image.shape == (3120, 4208, 3)
        frame = src.read(2.0)
        assert frame is not None and frame.image.shape == (1080, 1920, 3)
    finally:
        src.close()


def test_camera_that_does_not_open_is_unavailable() -> None:
    src = OpenCVSource("/dev/video9", capture_factory=factory(FakeVideoCapture((640, 480), opened=False)))
    with pytest.raises(CameraUnavailable):
        src.open()


def test_simulated_still_shows_the_page_the_preview_showed() -> None:
    """The simulated camera drew its 4:3 still as another scene than its 16:9 preview,
    so a resident tapping 拍照 in the simulated hall got a photo of the bare desk."""
    from drivers.camera.geometry import iou
    from drivers.camera.page import detect_page

    camera = SimCamera("page", seed=4, doc="a4")
    src = SimSource(camera, fps=1000)
    src.open()
    preview = src.read(1.0)
    still = src.still(1.0)
    assert preview is not None and still is not None
    seen = detect_page(preview.image).quad
    taken = detect_page(still.image).quad
    assert seen is not None and taken is not None
    scale = still.image.shape[1] / preview.image.shape[1]
    assert iou(np.asarray(seen) * scale, taken) > 0.9
