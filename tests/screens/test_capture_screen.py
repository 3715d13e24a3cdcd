"""The capture screen with the simulated document camera (`sim://`, real driver, real
runner thread, real pipeline): a live picture with the page outlined while the GUI
keeps turning, a photo taken by itself only once a new page lies still, corners set
by hand when no page is found, the camera pulled out mid-photo, elderly mode."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea

from drivers.camera.source import SimCamera
from kiosk.capture import LIVE_LONG_SIDE, read_image
from kiosk.config import Config, DeviceConfig
from kiosk.strings import t
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import find_intent
from screens.capture_screen import CaptureScreen, CornerEditor
from screens.ops import QtBackground
from screens.window import KioskWindow
from tests.fakes import FakeClock
from tests.screens.test_application_screens import resident

SECURITY_GUARD = "4601001010100200"  # 保安员证核发: exam result, 1-2 A4 pages
TOURS = Path(__file__).resolve().parents[2] / "tours"


@dataclass
class Hall:
    terminal: Terminal
    window: KioskWindow
    background: QtBackground
    clock: FakeClock

    @property
    def camera(self) -> SimCamera:
        runner = self.terminal.devices.runner("camera")
        assert runner is not None
        sim = runner.driver.sim
        assert isinstance(sim, SimCamera)
        return sim

    @property
    def screen(self) -> CaptureScreen:
        screen = self.window.current_screen()
        assert isinstance(screen, CaptureScreen)
        return screen

    def text(self, key: str) -> str:
        return t(f"capture.{key}", self.terminal.machine.visit.language)

    def click(self, intent: str) -> None:
        button = find_intent(self.screen, intent)
        assert button is not None, f"no visible button {intent!r}"
        assert button.isEnabled(), f"{intent} is disabled"
        button.click()
        QApplication.processEvents()


def make_hall(qtbot, tmp_path: Path, scene: str, *, elderly: bool = False,  # type: ignore[no-untyped-def]
              auto_capture_s: float = 0.3) -> Hall:
    devices = dict(Config().devices)
    devices["camera"] = DeviceConfig("camera", port="sim://", auto_capture_s=auto_capture_s)
    config = Config(storage_dir=tmp_path / "storage", devices=devices)
    clock = FakeClock()
    background = QtBackground()
    terminal = Terminal(config, clock=clock, background=background, start_sync=False)
    window = KioskWindow(terminal)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    hall = Hall(terminal, window, background, clock)
    # What lies under the camera (the driver makes its own SimCamera: the URL's scene
    # would not reach it).
    hall.camera.doc = "a4"
    hall.camera.set_scene(scene, seed=3)
    terminal.devices.start()
    qtbot.waitUntil(terminal.camera_ready, timeout=10_000)
    m = terminal.machine
    m.start()
    m.set_elderly(elderly)
    m.choose_apply()
    m.card_read(resident())
    m.confirm_identity()
    m.choose_item(SECURITY_GUARD)
    m.begin_application()
    m.accept_commitment("test", dt.datetime.now().astimezone(), b"\x89PNG")
    if m.step is Step.FORM:
        m.form_done({"residence_address": "海南省海口市", "education": "college", "phone": "13800138000"})
    m.start_capture("exam_result")
    assert m.step is Step.CAPTURE
    return hall


@pytest.fixture
def hall_factory(qtbot, tmp_path: Path) -> Iterator[object]:  # type: ignore[no-untyped-def]
    made: list[Hall] = []

    def make(scene: str, **kwargs: bool) -> Hall:
        hall = make_hall(qtbot, tmp_path, scene, **kwargs)
        made.append(hall)
        return hall

    yield make
    for hall in made:
        hall.window.close()
        hall.background.wait()
        hall.terminal.stop()


def frames_drawn(hall: Hall) -> int:
    return hall.screen.preview.frames_drawn


def test_capture_screen_keeps_gui_responsive_while_detecting(qtbot, hall_factory) -> None:  # type: ignore[no-untyped-def]
    hall = hall_factory("page")
    threads: set[str] = set()
    hall.terminal.on_capture_changed(lambda: threads.add(threading.current_thread().name))
    ticks = [0]
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    qtbot.waitUntil(lambda: frames_drawn(hall) >= 1, timeout=10_000)
    start_frames = frames_drawn(hall)
    timer.start()
    qtbot.waitUntil(lambda: frames_drawn(hall) >= start_frames + 10, timeout=30_000)
    timer.stop()
    frames = frames_drawn(hall) - start_frames
    # The page is found on the camera's thread: between two preview frames the GUI
    # thread is free to turn its event loop several times.
    assert ticks[0] >= 3 * frames, (ticks[0], frames)
    view = hall.screen.preview.view
    assert view is not None and view.quad is not None  # the page is outlined
    assert max(view.image.shape[:2]) <= LIVE_LONG_SIDE  # the GUI is handed a small picture
    assert view.detect_ms > 0
    # Found and shrunk on the camera's own thread, handed over when ready.
    assert threads and threading.main_thread().name not in threads


def test_page_left_on_the_desk_is_not_taken_by_itself(qtbot, hall_factory) -> None:  # type: ignore[no-untyped-def]
    hall = hall_factory("page")
    qtbot.waitUntil(lambda: hall.screen.guide.text() == hall.text("ready"), timeout=20_000)
    seen = frames_drawn(hall)
    qtbot.waitUntil(lambda: frames_drawn(hall) >= seen + 12, timeout=30_000)  # well past the 0.3 s rest
    session = hall.terminal.capture
    assert session is not None and session.pages == []
    assert hall.screen.guide.text() == hall.text("ready")


def test_auto_capture_waits_for_still_page(qtbot, hall_factory) -> None:  # type: ignore[no-untyped-def]
    hall = hall_factory("empty")
    cam = hall.camera
    guides: list[str] = []
    moving = [True]
    seed = [100]

    def frame_seen() -> None:  # the camera's thread, every preview frame
        if moving[0]:
            seed[0] += 1
            cam.set_scene("page", seed=seed[0])  # the page lands somewhere else every frame

    qtbot.waitUntil(lambda: hall.screen.guide.text() == hall.text("place"), timeout=20_000)
    cam.set_scene("page", seed=seed[0])
    hall.terminal.on_capture_changed(frame_seen)
    start = frames_drawn(hall)
    qtbot.waitUntil(lambda: frames_drawn(hall) >= start + 10, timeout=30_000)
    session = hall.terminal.capture
    assert session is not None and session.pages == []  # never still: never taken
    assert hall.screen.guide.text() != hall.text("holding")

    moving[0] = False
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: guides.append(hall.screen.guide.text()))
    timer.start()
    qtbot.waitUntil(lambda: len(session.pages) == 1, timeout=30_000)
    qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    timer.stop()
    assert hall.text("holding") in guides  # "请保持不动，正在拍摄…" before the photo
    assert session.last is not None and session.last.ok
    assert hall.screen.note.text() == t("capture.ok", "zh", n=1)
    # One placement, one photo: the page still lying there is not taken again.
    seen = frames_drawn(hall)
    qtbot.waitUntil(lambda: frames_drawn(hall) >= seen + 10, timeout=30_000)
    assert len(session.pages) == 1
    assert hall.screen.guide.text() == hall.text("next")


def drag(editor: CornerEditor, start: QPointF, end: QPointF) -> None:
    """A finger on the handle, moved in a few steps, lifted."""
    QTest.mousePress(editor, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start.toPoint())
    steps = 6
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        QTest.mouseMove(editor, p.toPoint())
    QTest.mouseRelease(editor, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end.toPoint())


def test_manual_corners_rectify_when_page_not_found(qtbot, hall_factory) -> None:  # type: ignore[no-untyped-def]
    hall = hall_factory("empty")
    qtbot.waitUntil(lambda: hall.screen.guide.text() == hall.text("place"), timeout=20_000)
    hall.click("shoot")
    qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    session = hall.terminal.capture
    assert session is not None and session.last is not None and session.last.reason == "no_page"
    assert hall.screen.note.text() == hall.text("no_page")
    assert session.pages == []

    hall.click("adjust_corners")
    editor = hall.screen.editor
    assert hall.screen.views.currentWidget() is editor
    assert hall.screen.guide.text() == hall.text("adjust")
    assert 2 * editor.radius >= 48  # handles a finger can take
    still = editor.still
    assert still is not None
    h, w = still.image.shape[:2]
    # An A4 sheet, upright, as a person would frame it: 1 : √2.
    top, left, height = 0.2 * h, 0.4 * w, 0.6 * h
    width = height / 2 ** 0.5
    wanted = [(left, top), (left + width, top), (left + width, top + height), (left, top + height)]
    for i, (x, y) in enumerate(wanted):
        drag(editor, editor.handle_pos(i), editor.to_widget(x, y))
    got = editor.corners()
    px = editor.to_widget(1, 0).x() - editor.to_widget(0, 0).x()  # widget px per still px
    assert max(abs(gx - x) + abs(gy - y) for (gx, gy), (x, y) in zip(got, wanted, strict=True)) < 4 / px

    hall.click("confirm_corners")
    qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    assert len(session.pages) == 1 and session.last is not None and session.last.by_hand
    page = cv2.imdecode(np.frombuffer(session.pages[0], np.uint8), cv2.IMREAD_COLOR)
    assert page is not None and abs(page.shape[0] / page.shape[1] - 2 ** 0.5) < 0.02  # flattened as an A4
    assert hall.screen.views.currentWidget() is hall.screen.preview
    assert hall.screen.note.text() == t("capture.ok_by_hand", "zh", n=1)
    assert find_intent(hall.screen, "page:0") is not None  # its thumbnail


def test_camera_unplugged_mid_capture_shows_reason_and_keeps_pages(qtbot, hall_factory) -> None:  # type: ignore[no-untyped-def]
    hall = hall_factory("page")
    qtbot.waitUntil(lambda: hall.screen.guide.text() == hall.text("ready"), timeout=20_000)
    hall.click("shoot")
    qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    session = hall.terminal.capture
    assert session is not None and len(session.pages) == 1

    hall.camera.unplug()
    hall.click("shoot")  # before or after the runner notices: either way, no photo
    qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    assert session.last is not None and session.last.reason == "camera_offline"
    assert hall.screen.note.text() == hall.text("camera_offline")
    assert len(session.pages) == 1 and session.thumbs[0] is not None
    qtbot.waitUntil(lambda: hall.screen.guide.text() == hall.text("camera_offline"), timeout=20_000)
    assert not hall.screen.shoot.isEnabled()
    assert hall.screen.preview.view is None  # no stale picture of a camera that is gone
    assert hall.screen.done.isEnabled()  # the page taken can still be handed in

    hall.camera.plug()
    hall.clock.advance(60)  # past the runner's reconnect backoff
    seen = frames_drawn(hall)
    qtbot.waitUntil(lambda: frames_drawn(hall) > seen + 2, timeout=30_000)  # the live picture is back
    assert len(session.pages) == 1


def test_played_image_shows_in_the_live_picture_outlined(qtbot, hall_factory) -> None:  # type: ignore[no-untyped-def]
    hall = hall_factory("empty")
    hall.terminal.capture_still(read_image(TOURS / "images" / "a4_page.jpg"))
    qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    session = hall.terminal.capture
    assert session is not None and len(session.pages) == 1
    view = hall.screen.preview.view
    assert view is not None and view.played and view.quad is not None
    assert hall.screen.guide.text() == hall.text("next")
    assert not hall.screen.shoot.isEnabled()  # the played images stand in for the camera


def test_retake_and_delete_act_on_the_picked_page(qtbot, hall_factory) -> None:  # type: ignore[no-untyped-def]
    hall = hall_factory("empty")
    images = [read_image(TOURS / "images" / "a4_page.jpg"), read_image(TOURS / "images" / "photo_card.jpg")]
    for image in images:
        hall.terminal.capture_still(image)
        qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    session = hall.terminal.capture
    assert session is not None and len(session.pages) == 2
    first, second = session.pages
    hall.click("page:0")
    assert hall.screen.retake.text() == t("capture.retake", "zh", n=1)
    hall.click("retake")
    assert hall.screen.note.text() == t("capture.retaking", "zh", n=1)
    hall.terminal.capture_still(images[1])
    qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    assert len(session.pages) == 2 and session.pages[0] != first and session.pages[1] == second
    hall.click("page:1")
    hall.click("delete_page")
    assert session.pages == [session.pages[0]] and len(session.thumbs) == 1
    assert find_intent(hall.screen, "page:1") is None


def test_capture_screen_fits_in_elderly_mode(qtbot, hall_factory) -> None:  # type: ignore[no-untyped-def]
    hall = hall_factory("page", elderly=True)
    hall.terminal.capture_still(read_image(TOURS / "images" / "a4_page.jpg"))
    qtbot.waitUntil(lambda: not hall.terminal.capture_busy, timeout=30_000)
    page = hall.window.stack.currentWidget()
    assert isinstance(page, QScrollArea)
    for adjusting in (False, True):
        if adjusting:
            hall.click("adjust_corners")
        for language in ("zh", "en"):
            hall.terminal.machine.set_language(language)
            QApplication.processEvents()
            screen = hall.screen
            where = (language, adjusting)
            assert screen.minimumSizeHint().height() <= page.viewport().height(), where  # no scrolling
            assert screen.views.height() >= 240, where
            intents = ("confirm_corners", "cancel_corners") if adjusting else (
                "shoot", "adjust_corners", "retake", "delete_page", "capture_finish")
            for intent in intents:
                button = find_intent(screen, intent)
                assert button is not None and button.height() >= 100, (intent, where)  # elderly touch targets
    assert hall.screen.editor.radius * 2 >= 100
