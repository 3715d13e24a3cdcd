"""Capture one material under the document camera: the still with the found page
outlined, plain guidance when a shot is refused (有反光，请调整角度 …), the pages so far
as thumbnails with retake, and 'done' once there are enough pages."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.base import make_button, make_label, row
from screens.catalog_screen import ApplicationScreen, StepHeader, clear_layout, current_item, reveal

register({
    "capture.title": ("拍摄：{name}", "Capture: {name}"),
    "capture.place": ("请将材料平放在白色区域内，然后点“拍照”。", "Lay the document flat in the white area, then tap 'Take photo'."),
    "capture.pages": ("已拍 {n} 页，需要 {min}–{max} 页", "{n} page(s) taken, {min}–{max} needed"),
    "capture.two_sides": ("证件请拍正面和反面各一张。", "For a card, take the front and then the back."),
    "capture.working": ("正在处理，请保持不动…", "Processing, please keep still…"),
    "capture.ok": ("拍好了。如有下一页，请换页后再拍。", "Got it. If there is another page, turn it and take again."),
    "capture.no_page": ("没有找到材料，请将材料平放在白色区域内。", "No document found. Lay it flat in the white area."),
    "capture.page_cut": ("材料超出了拍摄区域，请往中间放。", "The document goes past the edge. Move it to the middle."),
    "capture.two_pages": ("一次只放一页材料。", "Only one page at a time, please."),
    "capture.too_dark": ("画面太暗，请呼叫工作人员检查高拍仪。", "The picture is too dark. Please call staff."),
    "capture.blurred": ("画面模糊，请保持不动再拍一次。", "The picture is blurred. Keep still and take it again."),
    "capture.glare": ("有反光，请调整角度后再拍。", "There is glare. Tilt the document a little and take it again."),
    "capture.unreadable": ("没拍到画面，请再试一次。", "No picture was taken. Please try again."),
    "capture.too_many_pages": ("页数已满。", "That is all the pages this document can have."),
    "capture.camera_offline": ("高拍仪暂时不能使用。必交材料可到人工窗口提交，可容缺的材料可承诺后补。",
                               "The document camera is not available. Hand required documents in at a counter."),
    "capture.shoot": ("拍照", "Take photo"),
    "capture.retake": ("重拍上一页", "Retake last page"),
    "capture.done": ("完成", "Done"),
})

_PREVIEW_H = 640


def _pixmap(frame: np.ndarray, quad: tuple[tuple[float, float], ...] | None, ok: bool) -> QPixmap:
    """The still scaled to the preview, with the found page outlined (green: taken)."""
    rgb = np.ascontiguousarray(frame[:, :, ::-1])
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    scale = _PREVIEW_H / height
    pixmap = QPixmap.fromImage(image).scaledToHeight(_PREVIEW_H, Qt.TransformationMode.SmoothTransformation)
    if quad:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(theme.OK if ok else theme.ALERT), 6))
        painter.drawPolygon(QPolygonF([QPointF(x * scale, y * scale) for x, y in quad]))
        painter.end()
    return pixmap


def _thumb(jpeg: bytes) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(jpeg, "JPG")
    return pixmap.scaledToHeight(160, Qt.TransformationMode.SmoothTransformation)


class CaptureScreen(ApplicationScreen):
    step = Step.CAPTURE

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(Step.MATERIALS)
        self.guide = make_label("")
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(320)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet(f"background: {theme.SOFT}; border-radius: 12px;")
        self.count = make_label("tile_sub")
        self.thumbs_holder = QWidget()
        self.thumbs = QHBoxLayout(self.thumbs_holder)
        self.thumbs.setContentsMargins(0, 0, 0, 0)
        self.shoot = make_button("shoot", role="primary")
        self.retake = make_button("retake")
        self.done = make_button("capture_finish", role="primary")
        self.shoot.clicked.connect(self._shoot)
        self.retake.clicked.connect(self._retake)
        self.done.clicked.connect(terminal.finish_capture)
        for widget in (self.header, self.guide, self.preview, self.count, self.thumbs_holder):
            self.layout_.addWidget(widget)
        self.layout_.setStretchFactor(self.preview, 1)
        self.layout_.addWidget(row(self.shoot, self.retake))
        self.layout_.addWidget(self.done)
        self._camera_missing = False

    def entered(self) -> None:
        self.terminal.begin_capture()
        self._camera_missing = False
        self.preview.clear()
        self.refresh_view()

    def _shoot(self) -> None:
        self._camera_missing = not self.terminal.take_still()
        self.refresh_view()

    def _retake(self) -> None:
        if self.terminal.capture is not None:
            self.terminal.capture.retake_last()
        self.refresh_view()

    def refresh(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        self.apply_style()
        session = self.terminal.capture
        item = current_item(self.terminal)
        material = item.material(session.code) if item is not None and session is not None else None
        name = material.name.get(self.lang) if material is not None else ""
        self.header.set_texts(self.lang, self.t("capture.title", name=name))
        self.shoot.setText(self.t("capture.shoot"))
        self.retake.setText(self.t("capture.retake"))
        self.done.setText(self.t("capture.done"))
        if session is None:
            return
        last = session.last
        if self.terminal.capture_busy:
            key = "capture.working"
        elif self._camera_missing:
            key = "capture.camera_offline"
        elif last is None:
            key = "capture.place"
        else:
            key = "capture.ok" if last.ok else f"capture.{last.reason}"
        self.guide.setObjectName("ok" if last is not None and last.ok and key == "capture.ok" else
                                 ("error" if key not in ("capture.place", "capture.working") else ""))
        self.guide.style().unpolish(self.guide)
        self.guide.style().polish(self.guide)
        text = self.t(key) if key.removeprefix("capture.") in _KNOWN else self.t("capture.no_page")
        if material is not None and material.sides == 2 and not session.pages:
            text += " " + self.t("capture.two_sides")
        self.guide.setText(text)
        self.count.setText(self.t("capture.pages", n=len(session.pages), min=session.min_pages, max=session.max_pages))
        if session.preview is not None and last is not None:
            self.preview.setPixmap(_pixmap(session.preview, last.quad, last.ok))
        clear_layout(self.thumbs)
        for jpeg in session.pages:
            thumb = QLabel()
            thumb.setPixmap(_thumb(jpeg))
            self.thumbs.addWidget(thumb)
        self.thumbs.addStretch(1)
        reveal(self.thumbs_holder)
        busy = self.terminal.capture_busy
        self.shoot.setEnabled(not busy and not session.full)
        self.retake.setEnabled(not busy and bool(session.pages))
        self.done.setEnabled(not busy and session.enough)


_KNOWN = {"place", "working", "ok", "no_page", "page_cut", "two_pages", "too_dark", "blurred", "glare",
          "unreadable", "too_many_pages", "camera_offline"}
