"""Where frames come from: a UVC document camera through OpenCV, the `sim://` camera,
or image files played back as frames (INTERFACES.md §2 `[devices.camera] source`).

Every source gives the newest frame (`read`) and a full-resolution still (`still`), and
raises `CameraUnavailable` when the camera is gone; the device runner then closes it and
opens it again with backoff (drivers/runner.py).

OpenCV on V4L2, after hardware-protocols.md §4.1:
- open with an explicit backend (`cv2.CAP_V4L2`);
- set FOURCC = MJPG *first*, then width and height, then FPS: OpenCV's V4L backend
  otherwise settles on YUYV, which USB 2.0 carries only at low resolution;
- read the size back and check the frames' shape too (`set()` may report success while
  the frames keep another size, opencv issue #29254);
- `CAP_PROP_BUFFERSIZE` = 1, and a grab thread that keeps only the newest frame, so the
  preview is never a few frames late;
- a still: switch to the sensor's full size (OpenCV resets the stream, hundreds of ms),
  discard the buffered and first frames (a stale or pre-exposure frame otherwise), take
  one, switch back;
- a stalled or unplugged camera blocks `grab()` in `select()` for 10 s unless
  `OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT` is set before the first capture is opened; we set
  it (if the environment did not) and also time frames out ourselves;
- `CAP_PROP_READ_TIMEOUT_MSEC` does not work on V4L2 (FFmpeg only), so it is not used.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np
from numpy.typing import NDArray

from drivers.camera import resident, synth
from drivers.health import DeviceUnavailable

log = logging.getLogger(__name__)

Image = NDArray[np.uint8]

PREVIEW_SIZE = (1920, 1080)
STILL_SIZE = synth.FULL_SIZE  # 4208 × 3120, 13 MP
# The simulated camera's still has the preview's 16:9 shape: synth draws the same scene
# at any size of one aspect (same seed, same page, scaled), so the still the resident
# asks for shows the page the preview showed. At 4:3 it drew another scene. 12.5 MP.
SIM_STILL_SIZE = (4704, 2646)
SELECT_TIMEOUT_S = 2  # OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT (seconds), instead of 10


class CameraUnavailable(DeviceUnavailable):
    """The camera is unplugged, stalled, or cannot be opened; the runner reconnects."""


@dataclass(frozen=True)
class Frame:
    image: Image = field(repr=False)  # BGR
    seq: int  # increases by one per frame the source delivered
    t: float  # monotonic capture time (the source's clock)
    still: bool = False


@dataclass(frozen=True)
class Negotiated:
    """What the camera actually gave, against what was asked (for health and logs)."""

    asked: tuple[int, int]
    got: tuple[int, int]
    fourcc: str = ""
    fps: float = 0.0

    @property
    def ok(self) -> bool:
        return self.asked == self.got


class FrameSource(Protocol):
    def open(self) -> None: ...
    def close(self) -> None: ...
    def read(self, timeout_s: float) -> Frame | None: ...
    def still(self, timeout_s: float) -> Frame | None: ...
    @property
    def negotiated(self) -> Negotiated | None: ...


def _sleep_wait(seconds: float) -> None:
    threading.Event().wait(max(0.0, seconds))


# -- image files -----------------------------------------------------------------------------


class FileSource:
    """Image files (a glob, sorted) played back as frames: each file is shown for
    `hold_s` at `fps`, then the next, looping. A still is the current file itself."""

    def __init__(self, pattern: str, *, fps: float = 10.0, hold_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic, wait: Callable[[float], None] = _sleep_wait) -> None:
        self.pattern = pattern
        self.fps = fps
        self.hold_s = hold_s
        self._clock = clock
        self._wait = wait
        self._files: list[str] = []
        self._cache: dict[str, Image] = {}
        self._seq = 0
        self._started = 0.0
        self._last_t: float | None = None
        self._negotiated: Negotiated | None = None

    @property
    def negotiated(self) -> Negotiated | None:
        return self._negotiated

    def open(self) -> None:
        self._files = sorted(glob.glob(self.pattern))
        if not self._files:
            raise CameraUnavailable(f"no image files match {self.pattern!r}")
        self._started = self._clock()
        self._seq = 0
        self._last_t = None

    def close(self) -> None:
        self._cache.clear()

    def _current(self) -> Image:
        k = int((self._clock() - self._started) / self.hold_s) % len(self._files)
        path = self._files[k]
        if path not in self._cache:
            from drivers.camera.pipeline import decode_image_file

            img = decode_image_file(path)
            if img is None:
                log.warning("camera file unreadable: %s", os.path.basename(path))
                img = np.zeros((480, 640, 3), np.uint8)
            self._cache = {path: img}  # one decoded file at a time: 13 MP stills are 40 MB
        img = self._cache[path]
        if self._negotiated is None:
            self._negotiated = Negotiated((img.shape[1], img.shape[0]), (img.shape[1], img.shape[0]), "file", self.fps)
        return img

    def read(self, timeout_s: float) -> Frame | None:
        if self._last_t is not None:
            due = self._last_t + 1.0 / self.fps
            lag = due - self._clock()
            if lag > timeout_s:
                self._wait(timeout_s)
                return None
            if lag > 0:
                self._wait(lag)
        self._seq += 1
        self._last_t = self._clock()
        return Frame(self._current(), self._seq, self._last_t)

    def still(self, timeout_s: float) -> Frame | None:
        self._seq += 1
        return Frame(self._current(), self._seq, self._clock(), still=True)


# -- the simulated camera --------------------------------------------------------------------


class SimCamera:
    """The `sim://` camera's state, with the knobs tests and the dev tools turn: what
    lies under it (a page, nothing, two pages, a page off the edge, a black frame), and
    faults: a stall (frames stop, the device stays), an unplug (the device is gone).
    Thread-safe: the knobs are turned from another thread than the one reading."""

    SCENES = ("page", "empty", "two_pages", "cut", "black")

    def __init__(self, scene: str = "page", seed: int = 1, *, doc: str | None = None, hard: bool = False) -> None:
        if scene not in self.SCENES:
            raise ValueError(f"unknown sim camera scene {scene!r}")
        self._lock = threading.Lock()
        self.scene = scene
        self.seed = seed
        self.doc = doc
        self.hard = hard
        self.plugged = True
        self.stalled = False
        self._frames: dict[tuple[str, int, tuple[int, int]], Image] = {}

    def set_scene(self, scene: str, seed: int | None = None) -> None:
        if scene not in self.SCENES:
            raise ValueError(f"unknown sim camera scene {scene!r}")
        with self._lock:
            self.scene = scene
            if seed is not None:
                self.seed = seed

    def unplug(self) -> None:
        with self._lock:
            self.plugged = False

    def plug(self) -> None:
        with self._lock:
            self.plugged = True
            self.stalled = False

    def stall(self) -> None:
        with self._lock:
            self.stalled = True

    def resume(self) -> None:
        with self._lock:
            self.stalled = False

    def face_frame(self) -> Image:
        """What the camera sees while a resident looks into it for the face photo: a
        real face (drivers/camera/resident.py), or black while the lens is covered."""
        with self._lock:
            covered = self.scene == "black"
        if covered:
            return np.zeros((resident.FACE_FRAME_SIZE[1], resident.FACE_FRAME_SIZE[0], 3), np.uint8)
        return resident.resident_frame()

    def render(self, size: tuple[int, int]) -> Image:
        """The current scene at `size` (w, h), rendered once and kept: a page lying still."""
        with self._lock:
            key = (self.scene, self.seed, size)
            scene, seed, doc, hard = self.scene, self.seed, self.doc, self.hard
        img = self._frames.get(key)
        if img is None:
            img = synth.make_frame(seed, size=size, scene=scene, doc=doc, hard=hard).image
            with self._lock:
                if len(self._frames) > 4:
                    self._frames.clear()
                self._frames[key] = img
        return img


class SimSource:
    """Frames from a `SimCamera` at `fps`, preview size for `read`, sensor size for
    `still`; it stalls and unplugs when the camera does."""

    def __init__(self, camera: SimCamera | None = None, *, preview_size: tuple[int, int] = PREVIEW_SIZE,
                 still_size: tuple[int, int] = SIM_STILL_SIZE, fps: float = 15.0,
                 clock: Callable[[], float] = time.monotonic, wait: Callable[[float], None] = _sleep_wait) -> None:
        self.camera = camera or SimCamera()
        self.preview_size = preview_size
        self.still_size = still_size
        self.fps = fps
        self._clock = clock
        self._wait = wait
        self._seq = 0
        self._last_t: float | None = None
        self._open = False

    @property
    def negotiated(self) -> Negotiated | None:
        return Negotiated(self.preview_size, self.preview_size, "MJPG", self.fps) if self._open else None

    def open(self) -> None:
        if not self.camera.plugged:
            raise CameraUnavailable("sim camera unplugged")
        self._open = True
        self._last_t = None

    def close(self) -> None:
        self._open = False

    def _check(self) -> None:
        if not self._open:
            raise CameraUnavailable("sim camera not open")
        if not self.camera.plugged:
            raise CameraUnavailable("sim camera unplugged")

    def read(self, timeout_s: float) -> Frame | None:
        self._check()
        if self.camera.stalled:
            self._wait(timeout_s)
            self._check()
            return None
        if self._last_t is not None:
            lag = self._last_t + 1.0 / self.fps - self._clock()
            if lag > timeout_s:
                self._wait(timeout_s)
                return None
            if lag > 0:
                self._wait(lag)
        img = self.camera.render(self.preview_size)
        self._seq += 1
        self._last_t = self._clock()
        return Frame(img, self._seq, self._last_t)

    def still(self, timeout_s: float) -> Frame | None:
        self._check()
        if self.camera.stalled:
            self._wait(timeout_s)
            return None
        img = self.camera.render(self.still_size)
        self._seq += 1
        return Frame(img, self._seq, self._clock(), still=True)


# -- OpenCV / V4L2 ---------------------------------------------------------------------------


class VideoCaptureLike(Protocol):
    """The part of cv2.VideoCapture we use (tests pass a fake with this shape)."""

    def isOpened(self) -> bool: ...
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def grab(self) -> bool: ...
    def retrieve(self) -> tuple[bool, Any]: ...
    def release(self) -> None: ...


def _fourcc_str(value: float) -> str:
    v = int(value)
    return "".join(chr((v >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00")


@dataclass
class _StillRequest:
    size: tuple[int, int]
    done: threading.Event = field(default_factory=threading.Event)
    frame: Frame | None = None


class OpenCVSource:
    """A UVC camera by index or path (`/dev/videoN`, better `/dev/v4l/by-id/…`)."""

    def __init__(
        self,
        device: int | str,
        *,
        preview_size: tuple[int, int] = PREVIEW_SIZE,
        still_size: tuple[int, int] = STILL_SIZE,
        fps: float = 15.0,
        fourcc: str = "MJPG",
        warmup_frames: int = 5,
        max_grab_failures: int = 3,
        capture_factory: Callable[[int | str, int], VideoCaptureLike] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = device
        self.preview_size = preview_size
        self.still_size = still_size
        self.fps = fps
        self.fourcc = fourcc
        self.warmup_frames = warmup_frames
        self.max_grab_failures = max_grab_failures
        self._factory = capture_factory or _default_capture
        self._clock = clock
        self._cap: VideoCaptureLike | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._returned = 0
        self._seq = 0
        self._dead: str | None = None
        self._still: _StillRequest | None = None
        self._negotiated: Negotiated | None = None

    @property
    def negotiated(self) -> Negotiated | None:
        return self._negotiated

    def open(self) -> None:
        # Read once by OpenCV and cached: it must be in the environment before the first
        # capture is opened (hardware-protocols.md §4.1).
        os.environ.setdefault("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", str(SELECT_TIMEOUT_S))
        cap = self._factory(self.device, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(f"cannot open camera {self.device!r}")
        self._cap = cap
        self._dead = None
        self._latest = None
        self._returned = 0
        self._negotiated = self._configure(self.preview_size)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="camera-grab", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=3.0)
            self._thread = None
        if self._cap is not None:
            try:
                self._cap.release()
            finally:
                self._cap = None

    def _configure(self, size: tuple[int, int]) -> Negotiated:
        cap = self._cap
        assert cap is not None
        # Order matters: FOURCC, then size, then FPS (opencv issues #9084, #12404).
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*self.fourcc))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        # One buffer: the newest frame, not one from 4 buffers ago (PR #11047).
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        neg = Negotiated(size, got, _fourcc_str(cap.get(cv2.CAP_PROP_FOURCC)), float(cap.get(cv2.CAP_PROP_FPS)))
        if not neg.ok:
            log.warning("camera gave %dx%d for %dx%d asked", got[0], got[1], size[0], size[1])
        return neg

    def _grab_one(self) -> Image | None:
        cap = self._cap
        if cap is None or not cap.grab():
            return None
        ok, img = cap.retrieve()
        if not ok or img is None:
            return None
        return np.asarray(img, dtype=np.uint8)

    def _run(self) -> None:
        failures = 0
        warm = self.warmup_frames
        while not self._stop.is_set():
            req = self._still
            if req is not None:
                self._take_still(req)
                warm = self.warmup_frames
                continue
            img = self._grab_one()
            if img is None:
                failures += 1
                if failures >= self.max_grab_failures:
                    self._die("no frames (unplugged?)")
                    return
                continue
            failures = 0
            if warm > 0:
                warm -= 1  # auto-exposure and white balance settle (hardware-protocols.md §4.1)
                continue
            if self._negotiated is not None and (img.shape[1], img.shape[0]) != self._negotiated.got:
                # The frames are what count (opencv #29254): record what really arrives.
                self._negotiated = Negotiated(self._negotiated.asked, (img.shape[1], img.shape[0]),
                                              self._negotiated.fourcc, self._negotiated.fps)
            with self._cond:
                self._seq += 1
                self._latest = Frame(img, self._seq, self._clock())
                self._cond.notify_all()

    def _take_still(self, req: _StillRequest) -> None:
        try:
            self._configure(req.size)
            img = None
            # Discard the frames buffered before the switch and the first after it.
            for _ in range(self.warmup_frames + 2):
                img = self._grab_one()
                if self._stop.is_set():
                    break
            if img is not None:
                with self._cond:
                    self._seq += 1
                    req.frame = Frame(img, self._seq, self._clock(), still=True)
        finally:
            if self._cap is not None:
                self._negotiated = self._configure(self.preview_size)
            self._still = None
            req.done.set()

    def _die(self, why: str) -> None:
        with self._cond:
            self._dead = why
            self._cond.notify_all()

    def read(self, timeout_s: float) -> Frame | None:
        """The newest frame not returned before, waiting up to `timeout_s`."""
        deadline = self._clock() + timeout_s
        with self._cond:
            while True:
                if self._dead is not None:
                    raise CameraUnavailable(self._dead)
                if self._latest is not None and self._latest.seq > self._returned:
                    self._returned = self._latest.seq
                    return self._latest
                left = deadline - self._clock()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def still(self, timeout_s: float) -> Frame | None:
        if self._dead is not None:
            raise CameraUnavailable(self._dead)
        req = _StillRequest(self.still_size)
        self._still = req
        if not req.done.wait(timeout_s):
            return None
        return req.frame


def _default_capture(device: int | str, api: int) -> VideoCaptureLike:
    cap: VideoCaptureLike = cv2.VideoCapture(device, api)
    return cap


# -- choosing a source -----------------------------------------------------------------------


def open_source(spec: str, *, sim: SimCamera | None = None, clock: Callable[[], float] = time.monotonic,
                wait: Callable[[float], None] = _sleep_wait, **kwargs: Any) -> FrameSource:
    """The source a config value names: `sim://[camera]?scene=page&seed=1&size=1920x1080`,
    a camera index (`0`) or device path (`/dev/video0`), or a glob of image files."""
    spec = spec.strip()
    if spec.startswith("sim:"):
        parts = urlsplit(spec)
        qs = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        camera = sim or SimCamera(qs.get("scene", "page"), int(qs.get("seed", "1")), doc=qs.get("doc"),
                                  hard=qs.get("hard", "0") in ("1", "true", "yes"))
        size = PREVIEW_SIZE
        if "size" in qs:
            w, _, h = qs["size"].partition("x")
            size = (int(w), int(h))
        return SimSource(camera, preview_size=size, fps=float(qs.get("fps", "15")), clock=clock, wait=wait,
                         **kwargs)
    if spec.isdigit():
        return OpenCVSource(int(spec), clock=clock, **kwargs)
    if spec.startswith("/dev/"):
        return OpenCVSource(spec, clock=clock, **kwargs)
    return FileSource(spec, clock=clock, wait=wait, **kwargs)
