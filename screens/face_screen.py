"""Live photo for items that compare the resident's face with the card (人脸比对)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel

from kiosk.face import FacePhoto, take_face_photo
from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.base import Screen, make_button, make_label, row

register({
    "face.title": ("拍摄本人照片", "Your photo"),
    "face.hint": ("这项业务要核对本人。请摘下帽子和口罩，正对屏幕上方的摄像头，然后点“拍照”。照片只用于本次办理的人脸比对。",
                  "This service checks that you are the card holder. Remove hat and mask, face the camera above the screen, then tap 'Take photo'. The photo is used only for this check."),
    "face.shoot": ("拍照", "Take photo"),
    "face.use": ("使用这张照片", "Use this photo"),
    "face.no_frame": ("摄像头暂时不能使用，请呼叫工作人员或到人工窗口办理。", "The camera is not available. Please call staff or use a counter."),
    "face.too_dark": ("太暗了，请靠近一点再拍。", "Too dark. Come a little closer and try again."),
    "face.blurred": ("照片模糊，请保持不动再拍一次。", "The photo is blurred. Keep still and try again."),
    "face.no_face": ("没有看到人脸，请摘下帽子和口罩，正对摄像头再拍。",
                     "No face found. Remove hat and mask, look straight at the camera and try again."),
    "face.several_faces": ("照片里不止一个人，请只让办事人本人站在摄像头前。",
                           "More than one person is in the photo. Only the applicant should face the camera."),
    "face.face_too_small": ("离得太远了，请靠近屏幕一点再拍。", "You are too far away. Come a little closer and try again."),
    "face.off_centre": ("脸没有完全拍进来，请站到屏幕正前方再拍。",
                        "Your face is not fully in the picture. Stand right in front of the screen and try again."),
    "face.ok": ("拍好了。满意请点“使用这张照片”，也可以重拍。", "Done. Tap 'Use this photo', or take it again."),
})


class FaceScreen(Screen):
    step = Step.FACE

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title")
        self.hint = make_label("")
        self.state = make_label("")
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(320)
        self.preview.setStyleSheet(f"background: {theme.SOFT}; border-radius: 12px;")
        self.shoot = make_button("face_shoot", role="primary")
        self.use = make_button("face_use", role="primary")
        self.shoot.clicked.connect(self._shoot)
        self.use.clicked.connect(self._use)
        for widget in (self.title, self.hint, self.state):
            self.layout_.addWidget(widget)
        self.layout_.addWidget(self.preview, 1)
        self.layout_.addWidget(row(self.shoot, self.use))
        self.photo: FacePhoto | None = None

    def entered(self) -> None:
        self.photo = None
        self.preview.clear()

    def left(self) -> None:
        self.photo = None  # the photo lives in the visit once used, nowhere else
        self.preview.clear()

    def _shoot(self) -> None:
        runner = self.terminal.devices.runner("camera")
        driver: Any = runner.driver if runner is not None else None
        if runner is None or not runner.health.usable or not hasattr(driver, "face_frame"):
            self.photo = FacePhoto("no_frame")
            self.refresh()
            return
        future = runner.call(lambda d: d.face_frame())
        self.terminal.background(lambda: take_face_photo(future.result(timeout=5)), self._taken)

    def _taken(self, photo: Any, exc: BaseException | None) -> None:
        self.photo = photo if exc is None and isinstance(photo, FacePhoto) else FacePhoto("no_frame")
        self.refresh()

    def _use(self) -> None:
        if self.photo is not None and self.photo.ok:
            self.terminal.machine.face_captured(self.photo.jpeg)

    def refresh(self) -> None:
        self.title.setText(self.t("face.title"))
        self.hint.setText(self.t("face.hint"))
        self.shoot.setText(self.t("face.shoot"))
        self.use.setText(self.t("face.use"))
        photo = self.photo
        self.state.setText(self.t(f"face.{photo.reason}") if photo is not None else "")
        self.state.setObjectName("ok" if photo is not None and photo.ok else "error")
        self.state.setVisible(photo is not None)
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        if photo is not None and photo.ok:
            pixmap = QPixmap()
            pixmap.loadFromData(photo.jpeg, "JPG")
            self.preview.setPixmap(pixmap.scaledToHeight(480, Qt.TransformationMode.SmoothTransformation))
        self.use.setEnabled(photo is not None and photo.ok)
