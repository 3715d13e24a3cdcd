"""A handwritten signature (手写签名) for the 告知承诺书: strokes of a finger on the
touch panel, exported as a PNG for the submission (material code `signature`).

Touch arrives as mouse events (Qt synthesises them from unhandled touch), so the same
code serves a touch panel, a mouse on a bench and the tests. Points are kept in the
pad's own 0..1 coordinates, so the drawing survives a switch to elderly mode or a
rotated panel that resizes the pad.
"""

from __future__ import annotations

import itertools
import math

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QImageWriter, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from screens import theme

Stroke = list[QPointF]

# A tap or a tiny tick is not a signature: ask for at least this much ink, as a share
# of the pad's width (about two written characters).
MIN_INK = 0.25
EXPORT_HEIGHT_PX = 300


class SignaturePad(QWidget):
    changed = Signal()  # strokes added or cleared

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("signature_pad")
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(220)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._strokes: list[Stroke] = []
        self._drawing = False
        self.placeholder = ""

    def sizeHint(self) -> QSize:
        return QSize(900, 300)

    # -- state -----------------------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return not self._strokes

    @property
    def is_signed(self) -> bool:
        """Enough ink to be a signature (see MIN_INK)."""
        aspect = self.height() / max(1, self.width())
        ink = 0.0
        for stroke in self._strokes:
            for a, b in itertools.pairwise(stroke):
                ink += math.hypot(b.x() - a.x(), (b.y() - a.y()) * aspect)
        return ink >= MIN_INK

    def clear(self) -> None:
        self._strokes = []
        self._drawing = False
        self.update()
        self.changed.emit()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    # -- input -----------------------------------------------------------------------------
    def _normalised(self, event: QMouseEvent) -> QPointF:
        pos = event.position()
        return QPointF(min(1.0, max(0.0, pos.x() / max(1, self.width()))),
                       min(1.0, max(0.0, pos.y() / max(1, self.height()))))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drawing = True
            self._strokes.append([self._normalised(event)])
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drawing and self._strokes:
            self._strokes[-1].append(self._normalised(event))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drawing:
            self._drawing = False
            self.changed.emit()

    def sign_programmatically(self) -> None:
        """Draw a plausible handwritten signature (for the tour and tests): three
        cursive 'characters' and an underline flourish, as a finger would."""
        self._strokes = []
        for k in range(3):
            x0 = 0.14 + k * 0.22
            stroke: Stroke = []
            for i in range(40):
                s = i / 39
                x = x0 + 0.16 * s + 0.035 * math.sin(s * math.pi * 4 + k)
                y = 0.5 + 0.2 * math.sin(s * math.pi * 3 + k * 1.3) * (1 - 0.4 * s)
                stroke.append(QPointF(x, y))
            self._strokes.append(stroke)
        self._strokes.append([QPointF(0.12 + 0.7 * i / 19, 0.78 - 0.05 * math.sin(i / 19 * math.pi)) for i in range(20)])
        self.update()
        self.changed.emit()

    # -- output ----------------------------------------------------------------------------
    def _paths(self, width: float, height: float) -> list[QPainterPath]:
        paths = []
        for stroke in self._strokes:
            path = QPainterPath(QPointF(stroke[0].x() * width, stroke[0].y() * height))
            if len(stroke) == 1:
                path.lineTo(stroke[0].x() * width + 0.5, stroke[0].y() * height)
            for a, b in itertools.pairwise(stroke):
                # Quadratic through midpoints: smooth lines from a finger's jittery points.
                mid = QPointF((a.x() + b.x()) / 2 * width, (a.y() + b.y()) / 2 * height)
                path.quadTo(QPointF(a.x() * width, a.y() * height), mid)
            if len(stroke) > 1:
                path.lineTo(stroke[-1].x() * width, stroke[-1].y() * height)
            paths.append(path)
        return paths

    def _pen(self, width: float) -> QPen:
        pen = QPen(QColor(theme.INK))
        pen.setWidthF(max(3.0, width / 220))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(QPen(QColor("#8a99a8"), 2))
        painter.setBrush(QColor(theme.PAPER))
        painter.drawRoundedRect(rect, 12, 12)
        baseline = QPen(QColor("#b0bcc8"), 2, Qt.PenStyle.DashLine)
        painter.setPen(baseline)
        y = self.height() * 0.78
        painter.drawLine(QPointF(self.width() * 0.06, y), QPointF(self.width() * 0.94, y))
        if not self._strokes and self.placeholder:
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.placeholder)
        painter.setPen(self._pen(self.width()))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for path in self._paths(self.width(), self.height()):
            painter.drawPath(path)
        painter.end()

    def to_png(self) -> bytes:
        """The strokes, black on white, at the pad's aspect ratio; b'' when empty."""
        if not self._strokes:
            return b""
        aspect = self.width() / max(1, self.height())
        height = EXPORT_HEIGHT_PX
        width = max(height, round(height * min(max(aspect, 1.5), 5.0)))
        image = QImage(width, height, QImage.Format.Format_RGB32)
        image.fill(QColor("#ffffff"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen(width))
        for path in self._paths(width, height):
            painter.drawPath(path)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        QImageWriter(buffer, QByteArray(b"PNG")).write(image)
        buffer.close()
        return bytes(data.data())
