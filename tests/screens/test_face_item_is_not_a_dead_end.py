"""Items that compare faces (id_card_and_face) show the face screen, take the photo from
the camera, find a face in it and continue to delivery, instead of leaving the resident
on a blank step."""

from __future__ import annotations

import datetime as dt

from drivers.id_reader.sim import sample_card
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import find_intent
from screens.face_screen import FaceScreen
from screens.window import KioskWindow

ITEM = "4601001030700100"  # 养老保险待遇资格认证: no materials, a face photo


def test_face_photo_taken_and_visit_continues(qtbot, config) -> None:  # type: ignore[no-untyped-def]
    terminal = Terminal(config, start_sync=False)
    window = KioskWindow(terminal)
    window.allow_close = True
    qtbot.addWidget(window)
    terminal.start()
    try:
        qtbot.waitUntil(lambda: terminal.devices.health()["camera"].usable, timeout=10_000)
        m = terminal.machine
        m.start()
        m.choose_apply()
        m.card_read(sample_card("resident"))
        m.confirm_identity()
        m.choose_item(ITEM)
        m.begin_application()
        m.accept_commitment("v1", dt.datetime.now().astimezone(), b"png")
        m.form_done({"phone": "13800138000"})
        m.materials_done(needs_face=True)
        assert m.step is Step.FACE
        screen = window.screens[Step.FACE]
        assert isinstance(screen, FaceScreen)
        find_intent(screen, "face_shoot").click()  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: screen.photo is not None, timeout=10_000)
        # The simulated resident looks into the camera: the face check must accept them.
        assert screen.photo is not None and screen.photo.ok, screen.photo
        find_intent(screen, "face_use").click()  # type: ignore[union-attr]
        assert m.step is Step.DELIVERY and m.visit.face_jpeg
    finally:
        terminal.stop()
