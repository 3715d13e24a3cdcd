"""Home: what the resident came for. Two big tiles, each with a picture, a name and one
line of explanation, and a word on where help is. An 80-year-old should see at a glance
that there are two things to do here and that a person will help."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout

from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.base import Screen, make_label


def _icon(kind: str, size: int) -> QPixmap:
    """A plain line drawing in the band colour: a form and pen for applying, a
    magnifier over a receipt's QR code for progress. Drawn, not loaded: nothing to ship."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    band = QColor(theme.BAND)
    pen = QPen(band, max(3.0, size / 28))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    s = float(size)
    if kind == "apply":
        painter.setBrush(QColor(theme.PAPER))
        painter.drawRoundedRect(QRectF(0.16 * s, 0.08 * s, 0.56 * s, 0.78 * s), 0.05 * s, 0.05 * s)
        for i, width in enumerate((0.36, 0.36, 0.26, 0.32)):
            y = (0.24 + 0.13 * i) * s
            painter.drawLine(int(0.26 * s), int(y), int((0.26 + width) * s), int(y))
        painter.save()  # the pen, laid across the form's corner
        painter.translate(0.74 * s, 0.70 * s)
        painter.rotate(45)
        painter.setBrush(band)
        painter.drawRoundedRect(QRectF(-0.06 * s, -0.34 * s, 0.12 * s, 0.40 * s), 0.02 * s, 0.02 * s)
        painter.restore()
    else:
        painter.setBrush(QColor(theme.PAPER))
        painter.drawRoundedRect(QRectF(0.08 * s, 0.08 * s, 0.56 * s, 0.56 * s), 0.04 * s, 0.04 * s)
        painter.setBrush(band)
        cell = 0.12 * s
        for x, y in ((0.16, 0.16), (0.44, 0.16), (0.16, 0.44), (0.32, 0.30), (0.44, 0.44)):
            painter.drawRect(QRectF(x * s, y * s, cell * 0.6 if (x, y) == (0.32, 0.30) else cell,
                                    cell * 0.6 if (x, y) == (0.32, 0.30) else cell))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        wide = QPen(band, max(5.0, s / 16))
        wide.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(wide)
        painter.drawEllipse(QRectF(0.42 * s, 0.42 * s, 0.34 * s, 0.34 * s))
        painter.drawLine(int(0.71 * s), int(0.71 * s), int(0.90 * s), int(0.90 * s))
    painter.end()
    return pixmap


class _Tile(QPushButton):
    """One big choice: picture, name, hint. The labels let touches through to the button."""

    def __init__(self, intent: str, icon: str) -> None:
        super().__init__()
        self.setObjectName("tile")
        self.setProperty("intent", intent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.icon_kind = icon
        self.picture = QLabel()
        self.name = make_label("title", wrap=True)
        self.hint = make_label("", wrap=True)
        text = QVBoxLayout()
        text.setSpacing(12)
        text.addStretch(1)
        text.addWidget(self.name)
        text.addWidget(self.hint)
        text.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(36, 24, 36, 24)
        row.setSpacing(36)
        row.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addLayout(text, 1)
        for label in (self.picture, self.name, self.hint):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            label.setStyleSheet("background: transparent;")
        self._icon_px = 0

    def show_text(self, name: str, hint: str, *, elderly: bool) -> None:
        self.name.setText(name)
        self.hint.setText(hint)
        size = 210 if elderly else 160
        if size != self._icon_px:
            self._icon_px = size
            self.picture.setPixmap(_icon(self.icon_kind, size))
        self.setAccessibleName(f"{name}. {hint}")


class HomeScreen(Screen):
    step = Step.HOME

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title")
        self.apply = _Tile("apply", "apply")
        self.progress = _Tile("progress", "progress")
        self.apply.clicked.connect(terminal.machine.choose_apply)
        self.progress.clicked.connect(terminal.machine.choose_progress)
        self.help = make_label("hint", wrap=True)
        self.free = make_label("hint", wrap=True)
        self.layout_.addWidget(self.title)
        for tile in (self.apply, self.progress):
            tile.setMinimumHeight(320)
            self.layout_.addWidget(tile, 3)
        self.layout_.addStretch(2)
        self.layout_.addWidget(self.free)
        self.layout_.addWidget(self.help)

    def refresh(self) -> None:
        self.title.setText(self.t("home.title"))
        elderly = self.elderly
        self.apply.show_text(self.t("home.apply"), self.t("home.apply_hint"), elderly=elderly)
        self.progress.show_text(self.t("home.progress"), self.t("home.progress_hint"), elderly=elderly)
        self.free.setText(self.t("home.free"))
        self.help.setText(self.t("home.help"))

