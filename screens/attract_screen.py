"""The attract screen of a 24-hour hall: hall name, date and time, how to begin."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.base import Screen, make_button, make_label, row


class CardPicture(QWidget):
    """A drawn ID card over the reader's pad: where to put the card, without words."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(160)

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        pad_w, pad_h = min(560, w - 40), 220
        x0, y0 = (w - pad_w) // 2, h - pad_h - 20
        p.setPen(QPen(QColor(theme.BAND), 4))
        p.setBrush(QColor(theme.SOFT))
        p.drawRoundedRect(x0, y0, pad_w, pad_h, 24, 24)
        card_w, card_h = int(pad_w * 0.62), int(pad_w * 0.62 / 1.585)  # ID-1: 85.6 × 54 mm
        cx, cy = (w - card_w) // 2, y0 - card_h // 2 + 10
        p.setBrush(QColor("#dfeaf5"))
        p.setPen(QPen(QColor(theme.INK), 3))
        p.drawRoundedRect(cx, cy, card_w, card_h, 14, 14)
        p.setBrush(QColor("#b0c4d8"))
        p.drawRect(cx + card_w - card_w // 3 - 16, cy + 18, card_w // 3, card_h - 36)
        p.setPen(QPen(QColor(theme.MUTED), 6))
        for i in range(4):
            y = cy + 30 + i * (card_h - 60) // 4
            p.drawLine(cx + 24, y, cx + card_w // 2, y)
        p.setPen(QPen(QColor(theme.BAND), 6))
        ax = w // 2
        p.drawLine(ax, 10, ax, cy - 20)
        p.drawLine(ax, cy - 20, ax - 22, cy - 48)
        p.drawLine(ax, cy - 20, ax + 22, cy - 48)
        p.end()


class AttractScreen(Screen):
    step = Step.ATTRACT

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title", center=True)
        self.hall = make_label("hint", center=True)
        self.clock = make_label("huge", center=True)
        self.date = make_label("", center=True)
        self.prompt = make_label("title", center=True)
        self.hours = make_label("hint", center=True)
        self.start = make_button("start", role="primary")
        self.progress = make_button("progress")
        self.start.clicked.connect(terminal.machine.start)
        self.progress.clicked.connect(terminal.machine.choose_progress)
        self.layout_.addSpacing(40)
        for widget in (self.title, self.hall, self.clock, self.date):
            self.layout_.addWidget(widget)
        self.layout_.addWidget(CardPicture(), 1)
        self.layout_.addWidget(self.prompt)
        self.layout_.addWidget(self.hours)
        self.layout_.addWidget(row(self.start, self.progress))
        self.layout_.setAlignment(Qt.AlignmentFlag.AlignHCenter)

    def refresh(self) -> None:
        cfg = self.terminal.config
        self.title.setText(self.t("attract.title"))
        self.hall.setText(cfg.terminal_name)
        self.prompt.setText(self.t("attract.prompt"))
        self.hours.setText(self.t("attract.hours"))
        self.start.setText(self.t("attract.start"))
        self.progress.setText(self.t("attract.progress"))
        self.tick()

    def tick(self) -> None:
        now = dt.datetime.now().astimezone()
        self.clock.setText(now.strftime("%H:%M"))
        weekday_zh = "一二三四五六日"[now.weekday()]
        if self.lang == "en":
            self.date.setText(now.strftime("%A, %d %B %Y"))
        else:
            self.date.setText(f"{now.year}年{now.month}月{now.day}日 星期{weekday_zh}")
