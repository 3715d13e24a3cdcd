"""Capture one material under the document camera: the live picture with the found
page outlined and a plain instruction that follows it (请将材料平放在白色区域内,
有反光，请调整角度 …), a photo taken by itself once the page lies still or with the
"拍照" button, the four corners set by hand when the page is not found, and the pages
so far as thumbnails to retake or delete.

A thin view (kiosk/capture.py decides): the camera's thread finds the page and shrinks
the frame; this screen only draws a small image and an outline on the GUI thread."""

from __future__ import annotations

import contextlib

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QSizePolicy, QStackedWidget, QWidget

from kiosk.capture import CaptureSession, LiveView, Still, guidance
from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.base import clear_layout, make_button, make_label, row
from screens.catalog_screen import ApplicationScreen, StepHeader, current_item, reveal

register({
    "capture.title": ("拍摄：{name}", "Capture: {name}"),
    "capture.pages": ("已拍 {n} 页，需要 {min}–{max} 页", "{n} page(s) taken, {min}–{max} needed"),
    "capture.two_sides": ("证件请拍正面和反面各一张。", "For a card, take the front and then the back."),
    # What to do now, following the live picture.
    "capture.starting": ("正在打开高拍仪…", "Starting the document camera…"),
    "capture.place": ("请将材料平放在白色区域内", "Lay the document flat in the white area"),
    "capture.live_page_cut": ("材料超出了拍摄区域，请往中间放", "The document goes past the edge: move it to the middle"),
    "capture.live_two_pages": ("一次只放一页材料", "One page at a time, please"),
    "capture.live_too_dark": ("画面太暗，请呼叫工作人员检查高拍仪", "The picture is too dark. Please call staff"),
    "capture.live_glare": ("有反光，请调整角度", "There is glare: tilt the document a little"),
    "capture.live_blurred": ("画面模糊，请保持不动", "The picture is blurred: keep still"),
    "capture.holding": ("请保持不动，正在拍摄…", "Keep still, taking the photo…"),
    "capture.ready": ("已对准材料，请点“拍照”", "The document is in place: tap 'Take photo'"),
    "capture.next": ("如有下一页，请换上下一页；拍完请点“完成”", "Another page? Lay it in place. All done? Tap 'Done'"),
    "capture.working": ("正在拍摄，请保持不动…", "Taking the photo, please keep still…"),
    "capture.full": ("页数已满，请点“完成”", "All pages are taken: tap 'Done'"),
    "capture.adjust": ("请拖动四个圆点，对准材料的四个角，然后点“确认”",
                       "Drag the four dots onto the document's corners, then tap 'Confirm'"),
    "capture.camera_offline": ("高拍仪暂时不能使用。必交材料可到人工窗口提交，可容缺的材料可承诺后补。",
                               "The document camera is not available. Hand required documents in at a counter."),
    "capture.camera_down": ("高拍仪未连接", "Document camera not connected"),
    # What the last photo gave.
    "capture.ok": ("第 {n} 页拍好了", "Page {n} is done"),
    "capture.ok_by_hand": ("第 {n} 页已按您对准的四个角拍好", "Page {n} is done with the corners you set"),
    "capture.retaking": ("下一张将替换第 {n} 页", "The next photo replaces page {n}"),
    "capture.no_page": ("没有找到材料。请放好再拍，或点“调整边角”自己对准四个角。",
                        "No document found. Lay it flat and try again, or tap 'Adjust corners' to set them yourself."),
    "capture.page_cut": ("材料超出了拍摄区域，请往中间放，或点“调整边角”。",
                         "The document goes past the edge. Move it to the middle, or tap 'Adjust corners'."),
    "capture.two_pages": ("一次只放一页材料。", "Only one page at a time, please."),
    "capture.too_dark": ("画面太暗，请呼叫工作人员检查高拍仪。", "The picture is too dark. Please call staff."),
    "capture.blurred": ("画面模糊，请保持不动再拍一次。", "The picture is blurred. Keep still and take it again."),
    "capture.glare": ("有反光，请调整角度后再拍。", "There is glare. Tilt the document a little and take it again."),
    "capture.unreadable": ("没拍到画面，请再试一次。", "No picture was taken. Please try again."),
    "capture.too_many_pages": ("页数已满。", "That is all the pages this document can have."),
    "capture.corners": ("四个角的位置不对，请重新拖动。", "Those corners do not make a page. Please drag them again."),
    # Buttons.
    "capture.shoot": ("拍照", "Take photo"),
    "capture.adjust_button": ("调整边角", "Adjust corners"),
    "capture.confirm": ("确认", "Confirm"),
    "capture.cancel": ("取消", "Cancel"),
    "capture.retake": ("重拍第 {n} 页", "Retake page {n}"),
    "capture.delete": ("删除第 {n} 页", "Delete page {n}"),
    "capture.done": ("完成", "Done"),
})

Image = NDArray[np.uint8]
Point = tuple[float, float]

THUMB_ICON_H = {False: 110, True: 130}  # by elderly mode


def _qimage(image: Image) -> QImage:
    """A view of a BGR array as a QImage (no copy: the caller keeps `image` alive)."""
    height, width = image.shape[:2]
    return QImage(image.data, width, height, int(image.strides[0]), QImage.Format.Format_BGR888)


def _fit(area: QRectF, width: int, height: int) -> QRectF:
    k = min(area.width() / max(width, 1), area.height() / max(height, 1))
    w, h = width * k, height * k
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


class LivePreview(QWidget):
    """The camera's picture with the page outlined; a bar fills while the page rests
    before the photo is taken by itself. Draws what it is given, nothing else."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._view: LiveView | None = None
        self._image: QImage | None = None
        self._placeholder = ""
        self._colour = QColor(theme.BAND)
        self._holding = False
        self._drawn: LiveView | None = None
        self.frames_drawn = 0  # new pictures painted (the bench's fps)

    def show_view(self, view: LiveView | None, *, colour: str, holding: bool, placeholder: str) -> None:
        if view is not self._view:
            self._view = view
            self._image = None if view is None else _qimage(view.image)
        self._colour = QColor(colour)
        self._holding = holding
        self._placeholder = placeholder
        self.update()

    @property
    def view(self) -> LiveView | None:
        return self._view

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.SOFT))
        painter.drawRoundedRect(QRectF(self.rect()), 12, 12)
        view, image = self._view, self._image
        if view is None or image is None:
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            painter.end()
            return
        target = _fit(QRectF(self.rect()), image.width(), image.height())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, image)
        k = target.width() / image.width()
        if view.quad is not None:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(self._colour, 6))
            painter.drawPolygon(QPolygonF([QPointF(target.x() + x * k, target.y() + y * k) for x, y in view.quad]))
        if self._holding and view.hold > 0:
            bar = QRectF(target.x(), target.bottom() - 16, target.width() * view.hold, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.OK))
            painter.drawRect(bar)
        painter.end()
        if view is not self._drawn:
            self._drawn = view
            self.frames_drawn += 1


class CornerEditor(QWidget):
    """The still with four large handles on the page's corners, dragged by finger.
    Corners are kept in the still's own pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.radius = 36  # handle radius, px: 72 px across (touch targets ≥ 48 px)
        self._still: Still | None = None
        self._image: QImage | None = None
        self._corners: list[Point] = []
        self._drag: int | None = None

    def start(self, still: Still, corners: list[Point], radius: int) -> None:
        self._still = still
        self._image = _qimage(still.small)
        self._corners = list(corners)
        self._drag = None
        self.radius = radius
        self.update()

    @property
    def still(self) -> Still | None:
        return self._still

    def corners(self) -> list[Point]:
        return list(self._corners)

    def _target(self) -> tuple[QRectF, float]:
        """Where the still is drawn, and widget px per still px."""
        still = self._still
        if still is None:
            return QRectF(), 1.0
        h, w = still.image.shape[:2]
        r = self.radius
        target = _fit(QRectF(self.rect()).adjusted(r, r, -r, -r), w, h)
        return target, target.width() / w

    def to_widget(self, x: float, y: float) -> QPointF:
        """Where the still's pixel (x, y) is drawn."""
        target, k = self._target()
        return QPointF(target.x() + x * k, target.y() + y * k)

    def handle_pos(self, index: int) -> QPointF:
        """Where corner `index` is drawn (clockwise from the top-left)."""
        return self.to_widget(*self._corners[index])

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        best, best_d = None, self.radius * 1.25  # a little slack around the handle for fingers
        for i in range(len(self._corners)):
            d = (self.handle_pos(i) - pos).manhattanLength()
            if d <= best_d:
                best, best_d = i, d
        self._drag = best
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None or self._still is None:
            return
        target, k = self._target()
        h, w = self._still.image.shape[:2]
        pos = event.position()
        x = min(max((pos.x() - target.x()) / k, 0.0), float(w - 1))
        y = min(max((pos.y() - target.y()) / k, 0.0), float(h - 1))
        self._corners[self._drag] = (x, y)
        self.update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.SOFT))
        painter.drawRoundedRect(QRectF(self.rect()), 12, 12)
        if self._image is None or not self._corners:
            painter.end()
            return
        target, _k = self._target()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self._image)
        points = [self.handle_pos(i) for i in range(len(self._corners))]
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(theme.BAND), 5))
        painter.drawPolygon(QPolygonF(points))
        painter.setPen(QPen(QColor(theme.BAND), 5))
        painter.setBrush(QColor(255, 255, 255, 150))
        for p in points:
            painter.drawEllipse(p, self.radius, self.radius)
        painter.setBrush(QColor(theme.BAND))
        for p in points:
            painter.drawEllipse(p, 6, 6)
        painter.end()


class _Relay(QObject):
    changed = Signal()


class CaptureScreen(ApplicationScreen):
    step = Step.CAPTURE

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(Step.MATERIALS)
        self.guide = make_label("section")
        self.note = make_label("")
        self.preview = LivePreview()
        self.editor = CornerEditor()
        self.views = QStackedWidget()
        self.views.addWidget(self.preview)
        self.views.addWidget(self.editor)
        self.views.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.count = make_label("tile_sub")
        self.thumbs_holder = QWidget()
        self.thumbs_holder.setObjectName("page")
        self.thumbs = QHBoxLayout(self.thumbs_holder)
        self.thumbs.setContentsMargins(0, 0, 0, 0)
        # Up to ten pages: the strip scrolls sideways rather than widen the screen.
        self.thumbs_scroll = QScrollArea()
        self.thumbs_scroll.setWidget(self.thumbs_holder)
        self.thumbs_scroll.setWidgetResizable(True)
        self.thumbs_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.thumbs_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.thumbs_scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.retake = make_button("retake")
        self.delete = make_button("delete_page", role="danger")
        self.shoot = make_button("shoot", role="primary")
        self.adjust = make_button("adjust_corners")
        self.confirm = make_button("confirm_corners", role="primary")
        self.cancel = make_button("cancel_corners")
        self.done = make_button("capture_finish", role="primary")
        self.shoot.clicked.connect(self._shoot)
        self.adjust.clicked.connect(self._adjust)
        self.confirm.clicked.connect(self._confirm)
        self.cancel.clicked.connect(terminal.cancel_corners)
        self.retake.clicked.connect(self._retake)
        self.delete.clicked.connect(self._delete)
        self.done.clicked.connect(terminal.finish_capture)
        # The pages so far, and what can be done to the one picked, on one line.
        self.pages_row = row(self.thumbs_scroll, self.retake, self.delete, stretch_first=True)
        for widget in (self.header, self.guide, self.note, self.views, self.count, self.pages_row,
                       row(self.shoot, self.adjust, self.confirm, self.cancel), self.done):
            self.layout_.addWidget(widget)
        self.layout_.setStretchFactor(self.views, 1)
        self._relay = _Relay(self)
        self._relay.changed.connect(self._live_changed, Qt.ConnectionType.QueuedConnection)
        terminal.on_capture_changed(self._post)
        self._shown = False

    # -- intents ------------------------------------------------------------------------
    def entered(self) -> None:
        self._shown = True
        self.terminal.begin_capture()
        self.refresh_view()

    def left(self) -> None:
        self._shown = False
        self.terminal.end_capture()

    def _shoot(self) -> None:
        self.terminal.take_still()
        self.refresh_view()

    def _adjust(self) -> None:
        self.terminal.adjust_corners()

    def _confirm(self) -> None:
        self.terminal.confirm_corners(self.editor.corners())

    def _retake(self) -> None:
        session = self.terminal.capture
        if session is not None and session.target is not None:
            self.terminal.retake_page(session.target)

    def _delete(self) -> None:
        session = self.terminal.capture
        if session is not None and session.target is not None:
            self.terminal.delete_page(session.target)

    def _post(self) -> None:
        """Any thread: the live picture or the camera changed; draw it on the GUI thread."""
        with contextlib.suppress(RuntimeError):  # the window is gone (shutting down)
            self._relay.changed.emit()

    # -- rendering ----------------------------------------------------------------------
    def refresh(self) -> None:
        self.refresh_view()

    def _live_changed(self) -> None:
        if self._shown:
            self._render_live()

    def _render_live(self) -> None:
        """The picture, the outline and the instruction: every preview frame."""
        session = self.terminal.capture
        if session is None:
            return
        camera_ok = self.terminal.camera_ready()
        key = guidance(session, camera_ok=camera_ok, busy=self.terminal.capture_busy, auto=self.terminal.capture_auto)
        text = self.t(f"capture.{key}")
        if self.guide.text() != text:
            self.guide.setText(text)
        view = session.live
        if view is not None and view.quad is not None and view.reason == "ok" and (view.still or view.played):
            colour = theme.OK
        elif view is not None and view.reason in ("glare", "blurred"):
            colour = theme.ALERT
        else:
            colour = theme.BAND
        placeholder = self.t("capture.starting" if camera_ok else "capture.camera_down")
        self.preview.show_view(view if camera_ok or session.played else None, colour=colour,
                               holding=key == "holding", placeholder=placeholder)
        can_shoot = camera_ok and not session.played
        self.shoot.setEnabled(can_shoot and not self.terminal.capture_busy and not session.full)

    def refresh_view(self) -> None:
        self.apply_style()
        session = self.terminal.capture
        item = current_item(self.terminal)
        material = item.material(session.code) if item is not None and session is not None else None
        name = material.name.get(self.lang) if material is not None else ""
        self.header.set_texts(self.lang, self.t("capture.title", name=name))
        self.shoot.setText(self.t("capture.shoot"))
        self.adjust.setText(self.t("capture.adjust_button"))
        self.confirm.setText(self.t("capture.confirm"))
        self.cancel.setText(self.t("capture.cancel"))
        self.done.setText(self.t("capture.done"))
        if session is None:
            return
        busy = self.terminal.capture_busy
        adjusting = session.adjusting and session.still is not None
        if adjusting and session.still is not None and self.editor.still is not session.still:
            self.editor.start(session.still, session.still.corners(), max(24, self.m.target_px // 2))
        self.views.setCurrentWidget(self.editor if adjusting else self.preview)
        for button in (self.shoot, self.adjust):
            button.setVisible(not adjusting)
        for button in (self.confirm, self.cancel):
            button.setVisible(adjusting)
        self._render_note(session, material.sides if material is not None else 1, adjusting)
        self.count.setText(self.t("capture.pages", n=len(session.pages), min=session.min_pages, max=session.max_pages))
        self._render_thumbs(session.thumbs, session.target)
        target = session.target
        # Setting corners by hand needs the room; the pages wait below meanwhile.
        self.pages_row.setVisible(bool(session.pages) and not adjusting)
        for button in (self.retake, self.delete):
            button.setVisible(target is not None)
        if target is not None:
            self.retake.setText(self.t("capture.retake", n=target + 1))
            self.delete.setText(self.t("capture.delete", n=target + 1))
        self.retake.setEnabled(not busy and not adjusting)
        self.delete.setEnabled(not busy and not adjusting)
        failed = session.last is not None and not session.last.ok
        self.adjust.setObjectName("primary" if failed and session.still is not None else "")
        self.adjust.style().unpolish(self.adjust)
        self.adjust.style().polish(self.adjust)
        self.adjust.setEnabled(not busy and session.still is not None)
        self.confirm.setEnabled(not busy)
        self.done.setEnabled(not busy and not adjusting and session.enough)
        self._render_live()

    def _render_note(self, session: CaptureSession, sides: int, adjusting: bool) -> None:
        last = session.last
        role = ""
        if adjusting and (last is None or last.reason != "corners"):
            text = ""  # the instruction says it all; the screen needs the room
        elif session.replacing is not None:
            text = self.t("capture.retaking", n=session.replacing + 1)
        elif last is not None and last.ok:
            n = (session.still.page if session.still is not None and session.still.page is not None
                 else len(session.pages) - 1) + 1
            text, role = self.t("capture.ok_by_hand" if last.by_hand else "capture.ok", n=n), "ok"
        elif last is not None:
            text, role = self.t(f"capture.{last.reason}"), "error"
        elif sides == 2 and not session.pages:
            text = self.t("capture.two_sides")
        else:
            text = ""
        self.note.setText(text)
        self.note.setVisible(bool(text))
        if self.note.objectName() != role:
            self.note.setObjectName(role)
            self.note.style().unpolish(self.note)
            self.note.style().polish(self.note)

    def _render_thumbs(self, thumbs: list[Image | None], target: int | None) -> None:
        clear_layout(self.thumbs)
        icon_h = THUMB_ICON_H[self.elderly]
        self.thumbs_scroll.setFixedHeight(icon_h + 40)
        for i, thumb in enumerate(thumbs):
            button = make_button(f"page:{i}", role="choice")
            button.setCheckable(True)
            button.setChecked(i == target)
            button.setText(f"{i + 1}")
            if thumb is not None:
                pixmap = QPixmap.fromImage(_qimage(thumb).copy())
                button.setIcon(QIcon(pixmap))
                button.setIconSize(QSize(round(icon_h * thumb.shape[1] / thumb.shape[0]), icon_h))
            button.clicked.connect(lambda _=False, index=i: self.terminal.select_page(index))
            self.thumbs.addWidget(button)
        self.thumbs.addStretch(1)
        reveal(self.thumbs_holder)
