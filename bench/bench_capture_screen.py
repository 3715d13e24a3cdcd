"""Capture screen bench (issue 5): the live preview as the kiosk runs it.

    .venv/bin/python bench/bench_capture_screen.py [--seconds 5] [--camera-fps 30] [--camera-idle-ms 0]

The real window offscreen at 1080 × 1920, the real terminal and device registry, a
simulated 1920 × 1080 camera (`sim://`, a page lying on the desk) delivering up to
`--camera-fps` frames a second, so our side is what limits the rate. The camera's
runner thread finds the page on every frame and shrinks it; the GUI thread draws.

Prints, for `--seconds` after a warm-up:
- preview fps actually drawn (new pictures painted by the capture screen), and the
  frames the camera thread produced;
- the GUI thread's stalls: the longest gap between ticks of a 5 ms timer, and its p99;
- full garbage collections during the run and the longest (they pause every thread);
- detection ms per preview frame (PagePipeline.process_preview on the camera thread).
Twice: as wired, and with the camera's runner not pausing between polls (its poll
already waits in `read()` for the next frame; kiosk/devices.py pauses it 50 ms, which
caps the preview at 1 / (detection + 50 ms)). Targets: ≥ 15 fps drawn, GUI stall well
under a frame (≤ 50 ms). Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from drivers.id_reader.identity import Identity, IdType  # noqa: E402
from drivers.runner import DeviceRunner  # noqa: E402
from kiosk.config import Config, DeviceConfig  # noqa: E402
from kiosk.terminal import Terminal  # noqa: E402
from kiosk.visit import Step  # noqa: E402
from screens.capture_screen import CaptureScreen  # noqa: E402
from screens.ops import QtBackground  # noqa: E402
from screens.window import KioskWindow  # noqa: E402

SECURITY_GUARD = "4601001010100200"  # 保安员证核发: its exam result is a one- or two-page A4 material
MATERIAL = "exam_result"


def resident() -> Identity:
    return Identity(
        id_type=IdType.RESIDENT, name="测试", gender="female", birth_date=dt.date(1980, 1, 1),
        id_number="110105198001010028", valid_from=dt.date(2015, 3, 1), valid_until=None, nation="汉",
        address="北京市东城区", issuer="北京市公安局东城分局",
    )


def pump(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def to_capture(window: KioskWindow) -> CaptureScreen:
    m = window.machine
    m.start()
    m.choose_apply()
    m.card_read(resident())
    m.confirm_identity()
    m.choose_item(SECURITY_GUARD)
    m.begin_application()
    m.accept_commitment("bench", dt.datetime.now().astimezone(), b"\x89PNG")
    if m.step is Step.FORM:
        m.form_done({"residence_address": "海南省海口市", "education": "college", "phone": "13800138000"})
    m.start_capture(MATERIAL)
    screen = window.current_screen()
    assert isinstance(screen, CaptureScreen), m.step
    return screen


@contextlib.contextmanager
def camera_runner_idle(idle_s: float | None) -> Iterator[None]:
    """What-if only: the registry builds the camera's runner with another pause between
    polls (kiosk/devices.py gives every device but the scanner 50 ms). None: as wired."""
    import kiosk.devices

    wired = kiosk.devices.DeviceRunner  # type: ignore[attr-defined]
    if idle_s is None:
        yield
        return

    class Runner(DeviceRunner[Any]):
        def __init__(self, name: str, driver: Any, **kwargs: Any) -> None:
            if name == "camera":
                kwargs["idle_poll_s"] = idle_s
            super().__init__(name, driver, **kwargs)

    kiosk.devices.DeviceRunner = Runner  # type: ignore[attr-defined,misc]
    try:
        yield
    finally:
        kiosk.devices.DeviceRunner = wired  # type: ignore[attr-defined]


def measure(app: QApplication, args: argparse.Namespace, idle_s: float | None) -> None:
    label = "as wired (camera runner pauses 50 ms between polls)" if idle_s is None else (
        f"what-if: camera runner pauses {idle_s * 1000:g} ms between polls")
    with tempfile.TemporaryDirectory() as tmp, camera_runner_idle(idle_s):
        devices = dict(Config().devices)
        devices["camera"] = DeviceConfig("camera", port=f"sim://?size=1920x1080&fps={args.camera_fps:g}")
        config = Config(storage_dir=Path(tmp) / "storage", devices=devices)
        terminal = Terminal(config, background=QtBackground(), start_sync=False)
        window = KioskWindow(terminal)
        window.allow_close = True
        window.resize(1080, 1920)
        window.show()
        terminal.devices.start()
        deadline = time.monotonic() + 15
        while not terminal.camera_ready() and time.monotonic() < deadline:
            pump(20)
        screen = to_capture(window)
        pump(int(args.warmup * 1000))  # first frames: allocator growth, OpenCV's thread pool
        pauses: list[float] = []
        started: list[float] = [0.0]

        def collector(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                started[0] = time.perf_counter()
            elif info.get("generation") == 2:
                pauses.append((time.perf_counter() - started[0]) * 1000)

        ticks: list[float] = []
        detect_ms: list[float] = []
        seen: list[object] = [None]

        def tick() -> None:
            ticks.append(time.perf_counter())
            session = terminal.capture
            view = session.live if session is not None else None
            if view is not None and view is not seen[0]:
                seen[0] = view
                detect_ms.append(view.detect_ms)

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        drawn0 = screen.preview.frames_drawn
        gc.callbacks.append(collector)
        t0 = time.perf_counter()
        timer.start()
        pump(int(args.seconds * 1000))
        timer.stop()
        wall = time.perf_counter() - t0
        gc.callbacks.remove(collector)
        drawn = screen.preview.frames_drawn - drawn0
        session = terminal.capture
        taken = len(session.pages) if session is not None else 0
        window.timer.stop()  # its once-a-second tick would look at the storage dir being removed
        window.close()
        terminal.stop()
        window.deleteLater()
        app.processEvents()

    gaps = np.diff(np.asarray(ticks)) * 1000 if len(ticks) > 1 else np.zeros(1)
    print(f"\n== {label}; load average {os.getloadavg()[0]:.1f}; {wall:.1f} s after {args.warmup:g} s warm-up")
    print(f"preview drawn:     {drawn / wall:5.1f} fps ({drawn} new pictures painted; "
          f"{len(detect_ms)} produced by the camera thread)")
    print(f"GUI thread stall:  max {gaps.max():5.1f} ms, p99 {np.percentile(gaps, 99):5.1f} ms, "
          f"median {np.median(gaps):4.1f} ms between ticks of a 5 ms timer ({len(ticks)} ticks)")
    print(f"full garbage collections: {len(pauses)}, longest {max(pauses, default=0.0):5.1f} ms "
          "(they stop every thread, the GUI's too)")
    if detect_ms:
        print(f"detection:         median {statistics.median(detect_ms):5.1f} ms, "
              f"p90 {np.percentile(detect_ms, 90):5.1f} ms per 1080p preview frame (camera thread)")
    print(f"pages taken by themselves: {taken} (the page lay there when the screen opened)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--camera-fps", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--camera-idle-ms", type=float, default=0.0,
                    help="the what-if run: the camera runner's pause between polls; negative: skip it")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    print(f"{os.cpu_count()} CPUs; simulated camera 1920x1080 at up to {args.camera_fps:g} fps, "
          "a page lying on the desk; window 1080x1920 offscreen")
    measure(app, args, None)
    if args.camera_idle_ms >= 0:
        measure(app, args, args.camera_idle_ms / 1000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
