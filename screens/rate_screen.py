"""好差评: five large choices with the catalog's labels (the national 非常满意 … 非常不满意
by default), what went wrong when the rating is low, an optional comment from ready
phrases or the on-screen keyboard; then thanks, and back to the start by itself.

One rating per case or visit (一次一评): a case already rated says so instead of asking
again. The rating is queued in the outbox (kiosk.progress.EvaluationService) and
delivered like an application, so it is never lost to a dead network.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QFrame,
    QGridLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.catalog import Text
from kiosk.progress import LOW_RATING, RATING_REASONS, ProgressDesk, RateStatus, desk_for, rating_label
from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.base import OrientedScreen, Screen, make_button, make_label, row
from screens.keyboard import KeyboardKind, KeyboardPanel, warm_up
from screens.progress_screen import InnerScroll, after_style, repolish

register({
    "rate.title": ("请您评价这次服务", "How was our service?"),
    "rate.about_case": ("评价：{item}", "Rating: {item}"),
    "rate.about_receipt": ("回执号 {no}", "Receipt {no}"),
    "rate.about_visit": ("本次自助服务", "This visit to the kiosk"),
    "rate.choose": ("请点一下最符合您感受的一项：", "Tap the one that fits best:"),
    "rate.reasons": ("哪里不满意？可以多选，也可以不选：", "What went wrong? Pick any, or none:"),
    "rate.chosen": ("您的评价：{stars} {label}", "Your rating: {stars} {label}"),
    "rate.comment": ("还想说点什么？可以不填：", "Anything else? (optional)"),
    "rate.write": ("✎ 自己写几句", "✎ Write a few words"),
    "rate.write_done": ("写好了", "Done writing"),
    "rate.comment_hint": ("在下面的键盘上打字（拼音）。", "Type on the keyboard below."),
    "rate.submit": ("提交评价", "Send my rating"),
    "rate.skip": ("不评价，结束", "No thanks, finish"),
    "rate.saving": ("正在保存您的评价…", "Saving your rating…"),
    "rate.failed": ("评价暂时没能保存。请再点一次“提交评价”；还不行可以直接结束。",
                    "Your rating could not be saved just now. Tap Send again, or finish."),
    "rate.already_title": ("这件事您已经评价过了", "You have already rated this"),
    "rate.already_body": ("每件事只评价一次，谢谢您！如需当面反映，请点右上角“呼叫工作人员”。",
                          "Each service is rated once. Thank you! To talk to someone, tap Call staff at the top."),
    "rate.done": ("完成", "Done"),
    "rate.phrase.fast": ("办得很快", "Quick"),
    "rate.phrase.clear": ("说明清楚", "Clear"),
    "rate.phrase.easy": ("操作简单", "Easy to use"),
    "rate.phrase.kind": ("工作人员很耐心", "Patient staff"),
    "rate.phrase.slow": ("等的时间太长", "Long wait"),
    "rate.phrase.unclear": ("说明看不懂", "Hard to follow"),
    "rate.phrase.machine": ("机器不好用", "Machine trouble"),
    "rate.phrase.materials": ("材料要求不清楚", "Unclear documents"),
    "thanks.title": ("谢谢您的评价！", "Thank you for your rating!"),
    "thanks.body_good": ("您的评价会帮我们把服务做得更好。", "It helps us do better."),
    "thanks.body_low": ("很抱歉让您不满意。您的意见已经记下，会转给有关部门核实改进。需要当面反映的，请点右上角“呼叫工作人员”。",
                        "We are sorry it was not good. Your words are recorded and passed on. To talk to someone now, tap Call staff at the top."),
    "thanks.saved": ("评价已保存在本机，联网后自动上传。", "Your rating is saved and uploads automatically."),
    "thanks.countdown": ("{s} 秒后回到首页", "Back to the start in {s} seconds"),
    "thanks.progress": ("查询办理进度", "Check progress"),
    "thanks.done": ("完成", "Done"),
})

GOLD = "#f2a900"  # filled stars: on BAND and on PAPER they are decoration, the label carries the meaning
STAR_EMPTY = "#b0bac4"
GOOD_PHRASES = ("fast", "clear", "easy", "kind")
LOW_PHRASES = ("slow", "unclear", "machine", "materials")
MAX_COMMENT = 500


def star_polygon(cx: float, cy: float, r: float) -> QPolygonF:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append(QPointF(cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return QPolygonF(points)


class RatingChoice(QPushButton):
    """One of the five choices: its stars and its label, drawn large; checkable."""

    def __init__(self, stars: int) -> None:
        super().__init__()
        self.stars = stars
        self.label = Text("")
        self.lang = "zh"
        self.metrics = theme.NORMAL
        self.setObjectName("choice")
        self.setProperty("intent", f"stars:{stars}")
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(600, int(self.metrics.target_px * 1.25))

    def minimumSizeHint(self) -> QSize:
        return QSize(300, int(self.metrics.target_px * 1.25))

    def text_shown(self) -> str:
        return self.label.get(self.lang)

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        checked = self.isChecked()
        rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        p.setPen(QPen(QColor(theme.BAND if checked else "#9aa8b6"), 3))
        p.setBrush(QColor(theme.BAND if checked else (theme.SOFT if self.isDown() else theme.PAPER)))
        p.drawRoundedRect(rect, 16, 16)
        size = rect.height() * 0.42
        x = rect.left() + 28 + size / 2
        for i in range(5):
            p.setPen(QPen(QColor(GOLD if i < self.stars else STAR_EMPTY), 2))
            p.setBrush(QColor(GOLD) if i < self.stars else Qt.BrushStyle.NoBrush)
            p.drawPolygon(star_polygon(x + i * size * 1.15, rect.center().y(), size / 2))
        font = QFont(theme.FONT_FAMILY)
        font.setPixelSize(int(self.metrics.body_px * 1.2))
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(theme.ON_BAND if checked else theme.INK))
        left = rect.left() + 28 + size * 5 * 1.15 + 24
        p.drawText(QRectF(left, rect.top(), rect.right() - left - 20, rect.height()),
                   int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), self.text_shown())
        if checked:
            p.setPen(QPen(QColor(theme.ON_BAND), 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            cx, cy, s = rect.right() - 50, rect.center().y(), rect.height() * 0.18
            p.drawLine(QPointF(cx - s, cy), QPointF(cx - s * 0.3, cy + s * 0.7))
            p.drawLine(QPointF(cx - s * 0.3, cy + s * 0.7), QPointF(cx + s, cy - s * 0.7))
        p.end()


def _chip(intent: str) -> QPushButton:
    button = make_button(intent, role="chip")
    button.setCheckable(True)
    return button


class RateScreen(OrientedScreen):
    step = Step.RATE

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.desk: ProgressDesk = desk_for(terminal)
        self._metrics: theme.Metrics | None = None
        self.stars: int | None = None
        self.writing = False

        self.title = make_label("title")
        self.about = make_label("hint")
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.about)

        # -- asking ------------------------------------------------------------------------
        # Two columns: the five choices, then what went wrong and the comment; one above
        # the other on a portrait panel, side by side on a landscape one.
        self.asking = QWidget()
        self.asking_layout = self.oriented = QBoxLayout(QBoxLayout.Direction.TopToBottom, self.asking)
        self.asking_layout.setContentsMargins(0, 0, 0, 0)
        self.asking_layout.setSpacing(theme.NORMAL.gap_px)
        first, second = QWidget(), QWidget()
        ask = QVBoxLayout(first)
        ask.setContentsMargins(0, 0, 0, 0)
        ask.setSpacing(theme.NORMAL.gap_px)
        more = QVBoxLayout(second)
        more.setContentsMargins(0, 0, 0, 0)
        more.setSpacing(theme.NORMAL.gap_px)
        self.asking_layout.addWidget(first, 1)
        self.asking_layout.addWidget(second, 1)
        self._landscape = False
        self.choose = make_label("heading")
        ask.addWidget(self.choose)
        self.choices_box = QWidget()
        choices_layout = QVBoxLayout(self.choices_box)
        choices_layout.setContentsMargins(0, 0, 0, 0)
        choices_layout.setSpacing(14)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.choices: dict[int, RatingChoice] = {}
        for stars in (5, 4, 3, 2, 1):
            choice = RatingChoice(stars)
            choice.clicked.connect(lambda _=False, s=stars: self.choose_stars(s))
            self.group.addButton(choice)
            self.choices[stars] = choice
            choices_layout.addWidget(choice)
        ask.addWidget(self.choices_box)

        self.reasons_box = QFrame()
        self.reasons_box.setObjectName("reasons")
        reasons_layout = QVBoxLayout(self.reasons_box)
        reasons_layout.setContentsMargins(20, 16, 20, 20)
        reasons_layout.setSpacing(12)
        self.reasons_title = make_label("heading")
        reasons_layout.addWidget(self.reasons_title)
        grid_holder = QWidget()
        grid = QGridLayout(grid_holder)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        self.reason_buttons: dict[str, QPushButton] = {}
        for i, (code, _label) in enumerate(RATING_REASONS):
            button = _chip(f"reason:{code}")
            button.toggled.connect(lambda _on=False: self.terminal.machine.touch())
            self.reason_buttons[code] = button
            grid.addWidget(button, i // 2, i % 2)
        reasons_layout.addWidget(grid_holder)
        ask.addStretch(1)
        more.addWidget(self.reasons_box)

        self.comment_box = QWidget()
        comment_layout = QVBoxLayout(self.comment_box)
        comment_layout.setContentsMargins(0, 8, 0, 0)
        comment_layout.setSpacing(12)
        self.chosen = make_label("heading")
        self.chosen.hide()
        comment_layout.addWidget(self.chosen)
        self.comment_title = make_label("heading")
        comment_layout.addWidget(self.comment_title)
        # The phrases for a good and for a low rating share the same cells: one set shows.
        self.phrases_row = QWidget()
        phrases = QGridLayout(self.phrases_row)
        phrases.setContentsMargins(0, 0, 0, 0)
        phrases.setSpacing(12)
        self.phrase_buttons: dict[str, QPushButton] = {}
        for codes in (GOOD_PHRASES, LOW_PHRASES):
            for i, code in enumerate(codes):
                button = _chip(f"phrase:{code}")
                button.hide()
                self.phrase_buttons[code] = button
                phrases.addWidget(button, i // 2, i % 2)
        comment_layout.addWidget(self.phrases_row)
        self.write = make_button("write")
        self.write.clicked.connect(lambda: self.set_writing(True))
        self.comment = QPlainTextEdit()
        self.comment.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.comment.setTabChangesFocus(True)
        self.comment.textChanged.connect(self._comment_changed)
        self.comment_hint = make_label("hint")
        self.write_done = make_button("write_done", role="primary")
        self.write_done.clicked.connect(lambda: self.set_writing(False))
        comment_layout.addWidget(row(self.write))
        comment_layout.addWidget(self.comment_hint)
        comment_layout.addWidget(self.comment)
        comment_layout.addWidget(row(self.write_done))
        more.addWidget(self.comment_box)
        more.addStretch(1)
        for hidden in (self.reasons_box, self.comment_box, self.comment, self.comment_hint, self.write_done):
            hidden.hide()
        # Five choices, the reasons and the phrases may not all fit in elderly mode on a
        # landscape panel: the question scrolls (by dragging) rather than being cut off.
        self.scroller = InnerScroll(self.asking)
        self.layout_.addWidget(self.scroller, 1)

        self.status = make_label("error")
        self.layout_.addWidget(self.status)
        self.submit = make_button("submit_rating", role="primary")
        self.skip = make_button("skip")
        self.submit.clicked.connect(self._submit)
        self.skip.clicked.connect(lambda: terminal.machine.end("resident"))
        self.buttons = row(self.submit, self.skip)
        self.layout_.addWidget(self.buttons)

        # -- already rated ---------------------------------------------------------------------
        self.already = QWidget()
        self.already.hide()
        already = QVBoxLayout(self.already)
        already.setContentsMargins(0, 40, 0, 0)
        already.setSpacing(theme.NORMAL.gap_px)
        self.already_title = make_label("heading", center=True)
        self.already_body = make_label("", center=True)
        self.already_done = make_button("done", role="primary")
        self.already_done.clicked.connect(lambda: terminal.machine.end("resident"))
        already.addWidget(self.already_title)
        already.addWidget(self.already_body)
        already.addWidget(self.already_done)
        already.addStretch(1)
        self.layout_.addWidget(self.already, 1)

        self.keyboard = KeyboardPanel(lambda: self.lang)
        self.keyboard.hide()
        self.keyboard.hidden_by_resident.connect(lambda: self.set_writing(False))
        self.layout_.addWidget(self.keyboard)

    # -- what the resident does ------------------------------------------------------------
    def choose_stars(self, stars: int) -> None:
        self.stars = stars
        self.choices[stars].setChecked(True)
        if stars > LOW_RATING:
            for button in self.reason_buttons.values():
                button.setChecked(False)
        for code, button in self.phrase_buttons.items():
            if code not in self._phrases_for(stars):
                button.setChecked(False)
        self.terminal.machine.touch()
        self.refresh()
        if stars <= LOW_RATING:
            # Where the reasons appeared may be below the fold in elderly mode.
            QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(self.reasons_box, 0, 0))

    def set_writing(self, on: bool) -> None:
        self.writing = on
        if on:
            self.keyboard.attach(self.comment, KeyboardKind.TEXT)
        else:
            self.keyboard.detach()
        self.refresh()

    def chosen_reasons(self) -> list[str]:
        return [label.zh for code, label in RATING_REASONS if self.reason_buttons[code].isChecked()]

    def comment_text(self) -> str:
        stars = self.stars or 5
        picked = [self.t(f"rate.phrase.{code}") for code in self._phrases_for(stars)
                  if self.phrase_buttons[code].isChecked()]
        typed = self.comment.toPlainText().strip()
        return "；".join([*picked, *([typed] if typed else [])])[:MAX_COMMENT]

    def _submit(self) -> None:
        if self.stars is None:
            return
        if self.writing:
            self.set_writing(False)
        reasons = self.chosen_reasons() if self.stars <= LOW_RATING else []
        self.desk.submit_rating(self.stars, reasons, self.comment_text())

    def _comment_changed(self) -> None:
        text = self.comment.toPlainText()
        if len(text) > MAX_COMMENT:
            self.comment.setPlainText(text[:MAX_COMMENT])
        self.terminal.machine.touch()

    @staticmethod
    def _phrases_for(stars: int) -> tuple[str, ...]:
        return LOW_PHRASES if stars <= LOW_RATING else GOOD_PHRASES

    # -- rendering ---------------------------------------------------------------------------
    def refresh(self) -> None:
        self._orientation_changed()
        m = theme.metrics(self.elderly)
        if m != self._metrics:
            self._metrics = m
            self.setStyleSheet(after_style(m))
            self.comment.setFixedHeight(m.target_px * 2)
            for choice in self.choices.values():
                choice.metrics = m
                choice.setFixedHeight(int(m.target_px * 1.25))
        self.keyboard.apply_metrics(m)
        self.keyboard.refresh()
        lang = self.lang
        desk = self.desk
        target = desk.rating_target()
        self.title.setText(self.t("rate.title"))
        if target.item_name is not None:
            about = self.t("rate.about_case", item=target.item_name.get(lang))
            if target.receipt_no:
                about += "    " + self.t("rate.about_receipt", no=target.receipt_no)
        elif target.receipt_no:
            about = self.t("rate.about_receipt", no=target.receipt_no)
        else:
            about = self.t("rate.about_visit")
        self.about.setText(about)

        already = desk.already_rated()
        self.already.setVisible(already)
        self.scroller.setVisible(not already)
        self.buttons.setVisible(not already)
        if already:
            self.status.hide()
            self.keyboard.detach()
            self.already_title.setText(self.t("rate.already_title"))
            self.already_body.setText(self.t("rate.already_body"))
            self.already_done.setText(self.t("rate.done"))
            return

        catalog = desk.catalog
        for stars, choice in self.choices.items():
            choice.label = rating_label(catalog, stars)
            choice.lang = lang
            choice.setAccessibleName(choice.text_shown())
            choice.update()
        self.choose.setText(self.t("rate.choose"))
        low = self.stars is not None and self.stars <= LOW_RATING
        self.reasons_box.setVisible(low and not self.writing)
        self.reasons_title.setText(self.t("rate.reasons"))
        for code, label in RATING_REASONS:
            self.reason_buttons[code].setText(label.get(lang))
        self.choices_box.setVisible(not self.writing)
        self.choose.setVisible(not self.writing)
        self.comment_box.setVisible(self.stars is not None)
        self.chosen.setVisible(self.writing and self.stars is not None)
        if self.stars is not None:
            self.chosen.setText(self.t("rate.chosen", stars="★" * self.stars + "☆" * (5 - self.stars),
                                        label=rating_label(catalog, self.stars).get(lang)))
        self.comment_title.setText(self.t("rate.comment"))
        shown = self._phrases_for(self.stars or 5)
        for code, button in self.phrase_buttons.items():
            button.setText(self.t(f"rate.phrase.{code}"))
            button.setVisible(code in shown)
        self.write.setText(self.t("rate.write"))
        self.write.setVisible(not self.writing)
        self.comment.setVisible(self.writing or bool(self.comment.toPlainText()))
        self.comment_hint.setVisible(self.writing)
        self.comment_hint.setText(self.t("rate.comment_hint"))
        self.write_done.setVisible(self.writing)
        self.write_done.setText(self.t("rate.write_done"))

        rating = desk.rating
        failed = rating.result is not None and rating.result.status is RateStatus.FAILED
        self.status.setVisible(rating.busy or failed)
        self.status.setObjectName("busy" if rating.busy else "error")
        self.status.setText(self.t("rate.saving" if rating.busy else "rate.failed"))
        repolish(self.status)
        self.submit.setText(self.t("rate.submit"))
        self.submit.setEnabled(self.stars is not None and not rating.busy)
        self.skip.setText(self.t("rate.skip"))
        self.skip.setEnabled(not rating.busy)

    def entered(self) -> None:
        self._reset()
        warm_up(self.terminal.background)
        self.refresh()

    def left(self) -> None:
        # What was typed is the resident's: not kept in a hidden widget. Back to the
        # compact first state, so a hidden screen does not widen the window either.
        self._reset()

    def _reset(self) -> None:
        self.stars = None
        self.group.setExclusive(False)
        for choice in self.choices.values():
            choice.setChecked(False)
        self.group.setExclusive(True)
        for button in (*self.reason_buttons.values(), *self.phrase_buttons.values()):
            button.setChecked(False)
        for button in self.phrase_buttons.values():
            button.hide()
        self.comment.clear()
        self.writing = False
        self.keyboard.detach()
        for hidden in (self.reasons_box, self.comment_box, self.comment, self.comment_hint, self.write_done):
            hidden.hide()


class CheckMark(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setFixedSize(180, 180)

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.OK))
        p.drawEllipse(QRectF(6, 6, 168, 168))
        p.setPen(QPen(QColor(theme.ON_BAND), 16, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.drawPolyline(QPolygonF([QPointF(52, 92), QPointF(80, 120), QPointF(130, 64)]))
        p.end()


class ThanksScreen(Screen):
    step = Step.THANKS

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self._entered_at = terminal.clock()
        self.mark = CheckMark()
        self.title = make_label("title", center=True)
        self.body = make_label("", center=True)
        self.saved = make_label("ok", center=True)
        self.countdown = make_label("hint", center=True)
        self.progress = make_button("progress")
        self.done = make_button("done", role="primary")
        self.progress.clicked.connect(terminal.machine.choose_progress)
        self.done.clicked.connect(lambda: terminal.machine.end("resident"))
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignHCenter)
        for widget in (self.title, self.body, self.saved, self.countdown):
            self.layout_.addWidget(widget)
        self.layout_.addSpacing(24)
        self.layout_.addWidget(row(self.progress, self.done))
        self.layout_.addStretch(2)
        self.timer = QTimer(self)
        self.timer.setInterval(500)
        self.timer.timeout.connect(self._tick)

    def refresh(self) -> None:
        rating = self.terminal.machine.visit.rating
        self.title.setText(self.t("thanks.title"))
        low = rating is not None and rating <= LOW_RATING
        self.body.setText(self.t("thanks.body_low" if low else "thanks.body_good"))
        self.saved.setText(self.t("thanks.saved"))
        self.progress.setText(self.t("thanks.progress"))
        self.done.setText(self.t("thanks.done"))
        self._tick()

    def remaining_s(self) -> int:
        left = self.terminal.machine.delays.thanks_s - (self.terminal.clock() - self._entered_at)
        return max(0, math.ceil(left))

    def _tick(self) -> None:
        self.countdown.setText(self.t("thanks.countdown", s=self.remaining_s()))

    def entered(self) -> None:
        self._entered_at = self.terminal.clock()
        self._tick()
        self.timer.start()

    def left(self) -> None:
        self.timer.stop()
