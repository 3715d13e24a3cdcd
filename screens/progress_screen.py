"""查询办理进度: scan the receipt's QR code, lay the ID card, or type the receipt number
on a big keypad; then each case in plain words with what to do next.

The screen only renders `kiosk.progress.ProgressDesk` and the visit's result; the desk
runs the queries off the GUI thread. Nothing scanned is ever shown except a receipt
number that passed its check, and nothing scanned is ever opened: there is no widget
here that could (every label is PlainText, links are off).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from drivers.health import DeviceState
from kiosk.progress import (
    CaseView,
    LocalView,
    ProgressDesk,
    ProgressResult,
    QueryKind,
    desk_for,
    format_date,
    format_when,
)
from kiosk.strings import register, t
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.base import OrientedScreen, clear_layout, make_button, make_label

register({
    "progress.title": ("查询办理进度", "Check progress"),
    "progress.scan_title": ("扫一扫回执上的二维码", "Scan your receipt"),
    "progress.scan_body": ("二维码对准亮红光的扫码口，“嘀”一声就好。",
                           "Hold the QR code to the red light until it beeps."),
    "progress.scanner_down": ("扫码器暂时不能用，请用下面的按键输入回执号，或刷身份证。",
                              "The scanner is not working right now: type the receipt number below, or use your ID card."),
    "progress.scanner_none": ("请用下面的按键输入回执号，或刷身份证。", "Type the receipt number below, or use your ID card."),
    "progress.card_title": ("或者刷身份证", "Or use your ID card"),
    "progress.card_body": ("放到读卡区，查您名下的所有事项。", "Place it on the reader to see all your applications."),
    "progress.type_title": ("或者输入回执号", "Or type the receipt number"),
    "progress.placeholder": ("例如 T0001-261123-0427QN", "e.g. T0001-261123-0427QN"),
    "progress.query": ("查询", "Search"),
    "progress.busy": ("正在查询，请稍候…", "Checking, please wait…"),
    "progress.again": ("再查一件", "Check another"),
    "progress.done": ("完成", "Done"),
    "progress.for_receipt": ("回执号 {no} 的查询结果", "Result for receipt {no}"),
    "progress.for_card": ("{name} 名下的办件（共 {n} 件）", "Applications for {name} ({n})"),
    "progress.for_card_none": ("{name} 名下的办件", "Applications for {name}"),
    "progress.history": ("办理经过", "What has happened so far"),
    "progress.rate_case": ("评价这件事", "Rate this service"),
    "progress.rated": ("已评价，谢谢", "Rated — thank you"),
    "progress.local_badge": ("本机记录", "On this terminal"),
    "progress.pad.to_letters": ("ABC 字母", "ABC"),
    "progress.pad.to_digits": ("123 数字", "123"),
    "progress.pad.clear": ("清空", "Clear"),
    "progress.pad.backspace": ("⌫ 退格", "⌫ Delete"),
})

# Colours of the status line, white on each (contrast ≥ 4.5:1, tests/screens/test_after_look.py).
TONE_INFO = theme.BAND
TONE_OK = theme.OK
TONE_ALERT = theme.ALERT
TONE_WAIT = "#7a4a00"  # dark amber: waiting on this terminal
TONES = (TONE_INFO, TONE_OK, TONE_ALERT, TONE_WAIT)
PANEL = theme.SOFT
HISTORY_SHOWN = 6


def after_style(m: theme.Metrics, *, compact: bool = False) -> str:
    """What the progress and rating screens add to the window's stylesheet. `compact`:
    a landscape panel, where height is short."""
    # Keypad keys a little taller than the minimum where the page has room for it.
    roomy = not compact and m.target_px < theme.ELDERLY.target_px
    key_px = int(m.target_px * 1.15) if roomy else m.target_px
    return f"""
    QFrame#panel {{ background: {PANEL}; border: 2px solid #c5d3e0; border-radius: 16px; }}
    QFrame#panel QLabel {{ background: transparent; }}
    QFrame#case {{ background: {theme.PAPER}; border: 2px solid #b8c4d0; border-radius: 16px; }}
    QFrame#case QLabel {{ background: transparent; }}
    QLabel#heading {{ font-size: {int(m.body_px * 1.15)}px; font-weight: bold; color: {theme.INK}; }}
    QLabel#case_title {{ font-size: {int(m.body_px * 1.15)}px; font-weight: bold; color: {theme.INK}; }}
    QLabel#tone {{ color: {theme.ON_BAND}; font-weight: bold; padding: 6px 16px; border-radius: 10px;
                   font-size: {int(m.body_px * 1.1)}px; }}
    QLabel#tone[tone="info"] {{ background: {TONE_INFO}; }}
    QLabel#tone[tone="ok"] {{ background: {TONE_OK}; }}
    QLabel#tone[tone="alert"] {{ background: {TONE_ALERT}; }}
    QLabel#tone[tone="wait"] {{ background: {TONE_WAIT}; }}
    QLabel#tracking {{ font-size: {int(m.body_px * 1.1)}px; font-weight: bold; color: {theme.BAND}; }}
    QLabel#when {{ font-size: {m.small_px}px; color: {theme.MUTED}; }}
    QLabel#warnbox {{ color: {theme.INK}; background: #fff4d6; border: 2px solid {TONE_WAIT};
                      padding: 12px 16px; border-radius: 10px; }}
    QLabel#error {{ padding: 14px 18px; border: 2px solid {theme.ALERT}; }}
    QLabel#busy {{ color: {theme.BAND}; font-weight: bold; font-size: {int(m.body_px * 1.1)}px; }}
    QLabel#entry {{ font-size: {int(m.title_px * 0.9)}px; font-weight: bold; color: {theme.INK};
                    background: {theme.PAPER}; border: 3px solid {theme.BAND}; border-radius: 12px;
                    padding: 8px 20px; min-height: {m.target_px}px; }}
    QLabel#entry[empty="true"] {{ color: {theme.MUTED}; font-weight: normal; font-size: {m.body_px}px; }}
    QPushButton#key {{ background: {theme.PAPER}; color: {theme.INK}; border: 2px solid #9aa8b6;
                       font-size: {int(m.body_px * 1.2)}px; font-weight: bold; padding: 0px 4px;
                       min-height: {key_px}px; min-width: {m.target_px}px; }}
    QPushButton#key:pressed {{ background: {theme.SOFT}; }}
    QPushButton#choice {{ text-align: left; padding: 12px 28px; background: {theme.PAPER}; color: {theme.INK};
                          border: 3px solid #9aa8b6; border-radius: 16px; font-size: {int(m.body_px * 1.2)}px; }}
    QPushButton#choice:checked {{ background: {theme.BAND}; color: {theme.ON_BAND}; border-color: {theme.BAND}; }}
    QFrame#reasons {{ background: {theme.ALERT_BG}; border: 2px solid {theme.ALERT}; border-radius: 16px; }}
    QFrame#reasons QLabel {{ background: transparent; }}
    QPushButton#chip {{ background: {theme.PAPER}; color: {theme.INK}; border: 2px solid #9aa8b6;
                        border-radius: {m.target_px // 2}px; padding: 6px 24px; }}
    QPushButton#chip:checked {{ background: {theme.BAND}; color: {theme.ON_BAND}; border-color: {theme.BAND};
                                font-weight: bold; }}
    QWidget#screen {{ background: {theme.PAPER}; }}
    QScrollArea#inner {{ background: transparent; border: none; }}
    QScrollBar:vertical {{ width: {m.target_px // 3}px; background: {theme.SOFT}; border: none; margin: 0px; }}
    QScrollBar::handle:vertical {{ background: #8a99a8; border-radius: {m.target_px // 6}px; min-height: {m.target_px}px; }}
    QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0px; }}
    QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
    QScrollArea#inner > QWidget, QScrollArea#inner > QWidget > QWidget {{ background: transparent; }}
    """


class InnerScroll(QScrollArea):
    """A scroll area inside a screen that takes whatever height is left. Its preferred
    height is its minimum: otherwise the window's own scrolling page would make room
    for the whole content and scroll the screen instead (a word-wrapped screen is laid
    out by preferred heights)."""

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.setObjectName("inner")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(content)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())


def repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


# -- pictures -----------------------------------------------------------------------------------
class ScannerPicture(QWidget):
    """A receipt held over the scanner window, its red light on the QR code: where to
    put the receipt, without words."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(240, 180)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = float(self.width()), float(self.height())
        # The scanner: a dark box with a glass window glowing red.
        box = QRectF(w * 0.12, h * 0.70, w * 0.76, h * 0.26)
        p.setPen(QPen(QColor(theme.INK), 3))
        p.setBrush(QColor("#37474f"))
        p.drawRoundedRect(box, 14, 14)
        glass = QRectF(box.center().x() - w * 0.2, box.top() + h * 0.05, w * 0.4, h * 0.1)
        p.setBrush(QColor("#d32f2f"))
        p.setPen(QPen(QColor("#ff8a80"), 3))
        p.drawRoundedRect(glass, 6, 6)
        # The light going up to the code.
        p.setPen(QPen(QColor(211, 47, 47, 110), 2))
        p.setBrush(QColor(244, 67, 54, 45))
        top = h * 0.40
        p.drawPolygon(QPolygonF([QPointF(glass.left() + 6, glass.top()), QPointF(glass.right() - 6, glass.top()),
                                 QPointF(w * 0.74, top), QPointF(w * 0.26, top)]))
        # The receipt, with a QR code at its foot.
        paper = QRectF(w * 0.22, h * 0.02, w * 0.56, h * 0.44)
        p.setPen(QPen(QColor(theme.MUTED), 3))
        p.setBrush(QColor(theme.PAPER))
        p.drawRect(paper)
        p.setPen(QPen(QColor("#9e9e9e"), 4))
        for i in range(2):
            y = paper.top() + h * 0.05 + i * h * 0.045
            p.drawLine(QPointF(paper.left() + 14, y), QPointF(paper.right() - 14, y))
        qr = QRectF(paper.center().x() - h * 0.1, paper.bottom() - h * 0.24, h * 0.2, h * 0.2)
        self._qr(p, qr)
        # An arrow: bring it down to the window.
        p.setPen(QPen(QColor(theme.BAND), 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        ax = w * 0.9
        p.drawLine(QPointF(ax, h * 0.12), QPointF(ax, h * 0.6))
        p.drawLine(QPointF(ax, h * 0.6), QPointF(ax - 16, h * 0.5))
        p.drawLine(QPointF(ax, h * 0.6), QPointF(ax + 16, h * 0.5))
        p.end()

    @staticmethod
    def _qr(p: QPainter, r: QRectF) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.INK))
        cell = r.width() / 7
        pattern = ("1110111", "1010100", "1110111", "0001010", "1110101", "1010011", "1110110")
        for y, line in enumerate(pattern):
            for x, bit in enumerate(line):
                if bit == "1":
                    p.drawRect(QRectF(r.left() + x * cell, r.top() + y * cell, cell + 0.5, cell + 0.5))


class CardHint(QWidget):
    """An ID card lying on the reader's pad."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedSize(170, 120)

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(theme.BAND), 3))
        p.setBrush(QColor("#dfe6ee"))
        p.drawRoundedRect(QRectF(6, 64, 158, 50), 12, 12)
        card = QRectF(30, 10, 110, 70)
        p.setBrush(QColor("#dfeaf5"))
        p.setPen(QPen(QColor(theme.INK), 3))
        p.drawRoundedRect(card, 9, 9)
        p.setBrush(QColor("#b0c4d8"))
        p.drawRect(QRectF(card.right() - 40, card.top() + 10, 30, 50))
        p.setPen(QPen(QColor(theme.MUTED), 4))
        for i in range(3):
            y = card.top() + 18 + i * 16
            p.drawLine(QPointF(card.left() + 12, y), QPointF(card.left() + 55, y))
        p.end()


# -- the keypad --------------------------------------------------------------------------------------
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class ReceiptKeypad(QFrame):
    """Digits (the telephone layout) with - and delete; letters A–Z in alphabetical order
    (a receipt number is T, digits, and two check characters that may be letters).
    Keys are buttons with intents `pad:<char>`, `pad:backspace`, `pad:clear`, `pad:mode`,
    and `progress_query` for 查询."""

    submitted = Signal(str)
    MAX_CHARS = 32

    def __init__(self, lang: Callable[[], str]) -> None:
        super().__init__()
        self._lang = lang
        self.text = ""
        self.letters_mode = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(12)
        self.display = make_label("entry", wrap=False)
        self.display.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        outer.addWidget(self.display)

        self.digits = QWidget()
        grid = QGridLayout(self.digits)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        for r, line in enumerate(("123", "456", "789", "-0")):
            for c, ch in enumerate(line):
                grid.addWidget(self._key(f"pad:{ch}", ch), r, c)
        grid.addWidget(self._key("pad:backspace", ""), 3, 2)
        self.letters = QWidget()
        lgrid = QGridLayout(self.letters)
        lgrid.setContentsMargins(0, 0, 0, 0)
        lgrid.setSpacing(10)
        for i, ch in enumerate(_LETTERS):
            lgrid.addWidget(self._key(f"pad:{ch}", ch), i // 7, i % 7)
        lgrid.addWidget(self._key("pad:backspace", ""), 3, 5, 1, 2)
        keys = QHBoxLayout()
        keys.setContentsMargins(0, 0, 0, 0)
        keys.addStretch(1)
        keys.addWidget(self.digits, 6)
        keys.addWidget(self.letters, 14)
        keys.addStretch(1)
        outer.addLayout(keys)

        bottom = QHBoxLayout()
        bottom.setSpacing(10)
        self.mode = self._key("pad:mode", "")
        self.clear_key = self._key("pad:clear", "")
        self.query = make_button("progress_query", role="primary")
        self.query.clicked.connect(lambda: self.submitted.emit(self.text))
        bottom.addWidget(self.mode, 2)
        bottom.addWidget(self.clear_key, 2)
        bottom.addWidget(self.query, 3)
        outer.addLayout(bottom)
        self.refresh()

    def _key(self, intent: str, label: str) -> QPushButton:
        button = make_button(intent, role="key")
        button.setText(label)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        key = intent.split(":", 1)[1]
        button.clicked.connect(lambda _=False, k=key: self.press(k))
        return button

    def press(self, key: str) -> None:
        if key == "mode":
            self.letters_mode = not self.letters_mode
        elif key == "backspace":
            self.text = self.text[:-1]
        elif key == "clear":
            self.text = ""
        elif len(key) == 1 and (key.isalnum() or key == "-") and len(self.text) < self.MAX_CHARS:
            self.text += key.upper()
        self.refresh()

    def type_text(self, text: str, click: Callable[[str], None] | None = None) -> None:
        """Press the keys for `text` as a resident would, switching between digits and
        letters; `click` taps a button by intent (the tour's), else keys are pressed."""
        tap = click or (lambda intent: self.press(intent.split(":", 1)[1]))
        for ch in text.upper():
            if ch == " ":
                continue
            wants_letters = ch.isalpha()
            if wants_letters != self.letters_mode:
                tap("pad:mode")
            tap(f"pad:{ch}")

    def set_text(self, text: str) -> None:
        self.text = text[: self.MAX_CHARS]
        self.refresh()

    def refresh(self) -> None:
        lang = self._lang()
        # Hide before showing: both at once, even for a moment, would widen the window.
        shown, hidden = (self.letters, self.digits) if self.letters_mode else (self.digits, self.letters)
        hidden.hide()
        shown.show()
        for button in self.findChildren(QPushButton):
            if button.property("intent") == "pad:backspace":
                button.setText(t("progress.pad.backspace", lang))
        self.mode.setText(t("progress.pad.to_digits" if self.letters_mode else "progress.pad.to_letters", lang))
        self.clear_key.setText(t("progress.pad.clear", lang))
        self.query.setText(t("progress.query", lang))
        empty = not self.text
        self.display.setText(t("progress.placeholder", lang) if empty else self.text + "▏")
        if self.display.property("empty") != empty:
            self.display.setProperty("empty", empty)
            repolish(self.display)


# -- one case -------------------------------------------------------------------------------------------
def _tone(view: CaseView | LocalView) -> str:
    if isinstance(view, LocalView):
        return "alert" if view.needs_action else "wait"
    if view.needs_action or view.status == "rejected":
        return "alert"
    if view.status in ("approved", "delivered", "delivering"):
        return "ok"
    return "info"


class CaseCard(QFrame):
    """One case: what it is, where it stands in plain words, what to do next, the date
    promised, the tracking number once posted, and what has happened so far."""

    def __init__(self, view: CaseView | LocalView, lang: str, *, rate_intent: str,
                 on_rate: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("case")
        self.view = view
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(10)
        title = make_label("case_title")
        title.setText(view.item_name.get(lang))
        layout.addWidget(title)
        status = make_label("tone", wrap=True)
        status.setProperty("tone", _tone(view))
        status.setText(view.status_words(lang))
        status.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        layout.addWidget(status)
        nxt = make_label("")
        nxt.setText(view.next_step(lang))
        layout.addWidget(nxt)

        if isinstance(view, CaseView):
            if view.tracking_no:
                tracking = make_label("tracking")
                tracking.setText(t("progress.tracking", lang, no=view.tracking_no))
                layout.addWidget(tracking)
            if view.due_date is not None and not view.finished:
                due = make_label("")
                due.setText(t("progress.due", lang, date=format_date(view.due_date, lang)))
                layout.addWidget(due)
        else:
            if view.created_at is not None:
                when = make_label("")
                when.setText(t("progress.submitted_here", lang, at=format_when(view.created_at, lang)))
                layout.addWidget(when)
        ids = make_label("small")
        parts = []
        if view.receipt_no:
            parts.append(t("progress.receipt_no", lang, no=view.receipt_no))
        if view.case_no:
            parts.append(t("progress.case_no", lang, no=view.case_no))
        ids.setText("    ".join(parts))
        layout.addWidget(ids)

        if isinstance(view, CaseView) and view.history:
            heading = make_label("small")
            heading.setText(t("progress.history", lang))
            layout.addWidget(heading)
            history = QWidget()
            grid = QGridLayout(history)
            grid.setContentsMargins(8, 0, 0, 0)
            grid.setHorizontalSpacing(20)
            grid.setVerticalSpacing(4)
            for r, entry in enumerate(reversed(view.history[-HISTORY_SHOWN:])):
                when = make_label("when", wrap=False)
                when.setText(format_when(entry.at, lang, short=True) if entry.at else "")
                what = make_label("")
                what.setText(entry.words(lang) + (f"：{entry.note}" if lang == "zh" and entry.note else
                                                  f": {entry.note}" if entry.note else ""))
                grid.addWidget(when, r, 0, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(what, r, 1)
            grid.setColumnStretch(1, 1)
            layout.addWidget(history)

        self.rate = make_button(rate_intent)
        self.rate.setText(t("progress.rated" if view.evaluated else "progress.rate_case", lang))
        self.rate.setEnabled(not view.evaluated)
        self.rate.clicked.connect(on_rate)
        foot = QHBoxLayout()
        foot.addStretch(1)
        foot.addWidget(self.rate)
        layout.addLayout(foot)
        repolish(status)


# -- the screen -------------------------------------------------------------------------------------------
class ProgressScreen(OrientedScreen):
    step = Step.PROGRESS
    _status_changed = Signal()

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.desk: ProgressDesk = desk_for(terminal)
        self._metrics: tuple[theme.Metrics, bool] | None = None
        self._landscape = False
        self._shown: tuple[int, str, bool] | None = None
        self.cards: list[CaseCard] = []

        self.title = make_label("title")
        self.layout_.addWidget(self.title)
        self.notice = make_label("error")
        self.layout_.addWidget(self.notice)
        self.busy = make_label("busy", center=True)
        self.layout_.addWidget(self.busy)
        self.pages = QStackedWidget()
        self.layout_.addWidget(self.pages, 1)

        # -- asking ----------------------------------------------------------------------------
        self.ask = QWidget()
        self.ask_layout = self.oriented = QBoxLayout(QBoxLayout.Direction.TopToBottom, self.ask)
        self.ask_layout.setContentsMargins(0, 0, 0, 0)
        self.ask_layout.setSpacing(theme.NORMAL.gap_px)
        ways = QWidget()
        ways_layout = QVBoxLayout(ways)
        ways_layout.setContentsMargins(0, 0, 0, 0)
        ways_layout.setSpacing(theme.NORMAL.gap_px)
        self.scan_panel, scan_text = self._panel(ScannerPicture())
        self.scan_title = make_label("heading")
        self.scan_body = make_label("")
        self.scanner_state = make_label("warnbox")
        for widget in (self.scan_title, self.scan_body, self.scanner_state):
            scan_text.addWidget(widget)
        scan_text.addStretch(1)
        self.card_panel, card_text = self._panel(CardHint())
        self.card_title = make_label("heading")
        self.card_body = make_label("")
        card_text.addWidget(self.card_title)
        card_text.addWidget(self.card_body)
        ways_layout.addWidget(self.scan_panel)
        ways_layout.addWidget(self.card_panel)
        ways_layout.addStretch(1)
        typing = QWidget()
        typing_layout = QVBoxLayout(typing)
        typing_layout.setContentsMargins(0, 0, 0, 0)
        typing_layout.setSpacing(12)
        self.type_title = make_label("heading")
        self.keypad = ReceiptKeypad(lambda: self.lang)
        self.keypad.submitted.connect(self.desk.typed)
        typing_layout.addWidget(self.type_title)
        typing_layout.addWidget(self.keypad)
        typing_layout.addStretch(1)
        self.ask_layout.addWidget(ways)
        self.ask_layout.addWidget(typing, 1)
        # Normally everything fits; with a long message in elderly mode (or a landscape
        # panel) the page scrolls by dragging rather than squeezing the keys together.
        self.ask_scroller = InnerScroll(self.ask)
        self.pages.addWidget(self.ask_scroller)

        # -- the answer --------------------------------------------------------------------------
        self.answer = QWidget()
        answer_layout = QVBoxLayout(self.answer)
        answer_layout.setContentsMargins(0, 0, 0, 0)
        answer_layout.setSpacing(theme.NORMAL.gap_px)
        self.summary = make_label("heading")
        self.message = make_label("warnbox")
        self.cards_holder = QWidget()
        self.cards_layout = QVBoxLayout(self.cards_holder)
        self.cards_layout.setContentsMargins(0, 0, 8, 0)
        self.cards_layout.setSpacing(theme.NORMAL.gap_px)
        self.scroller = InnerScroll(self.cards_holder)
        self.again = make_button("query_again")
        self.done = make_button("done", role="primary")
        self.again.clicked.connect(self.desk.query_again)
        self.done.clicked.connect(lambda: terminal.machine.end("resident"))
        answer_layout.addWidget(self.summary)
        answer_layout.addWidget(self.message)
        answer_layout.addWidget(self.scroller, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.again, 1)
        buttons.addWidget(self.done, 1)
        answer_layout.addLayout(buttons)
        self.pages.addWidget(self.answer)

        # Device health arrives on device threads; the queued signal brings it here.
        self._status_changed.connect(self._health_changed, Qt.ConnectionType.QueuedConnection)
        terminal.on_status(lambda _status: self._status_changed.emit())

    @staticmethod
    def _panel(picture: QWidget) -> tuple[QFrame, QVBoxLayout]:
        panel = QFrame()
        panel.setObjectName("panel")
        layout = QHBoxLayout(panel)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(24)
        layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignVCenter)
        text = QVBoxLayout()
        text.setSpacing(8)
        layout.addLayout(text, 1)
        return panel, text

    # -- rendering ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._orientation_changed()
        m = theme.metrics(self.elderly)
        if (m, self._landscape) != self._metrics:
            self._metrics = (m, self._landscape)
            self.setStyleSheet(after_style(m, compact=self._landscape))
        desk = self.desk
        self.title.setText(self.t("progress.title"))
        notice = desk.notice
        self.notice.setVisible(notice is not None)
        if notice is not None:
            self.notice.setText(self.t(notice.message) + "\n" + self.t(notice.message + "_next"))
        # In elderly mode a message and both ways of asking do not fit above the keypad;
        # the message says what to do, so the ID card hint gives way to it.
        self.card_panel.setVisible(not (self.elderly and notice is not None))
        self.busy.setVisible(desk.busy)
        self.busy.setText(self.t("progress.busy"))
        result = desk.result
        if result is None:
            self._render_ask()
            self.pages.setCurrentWidget(self.ask_scroller)
        else:
            self._render_answer(result)
            self.pages.setCurrentWidget(self.answer)

    def _render_ask(self) -> None:
        self.scan_title.setText(self.t("progress.scan_title"))
        self.scan_body.setText(self.t("progress.scan_body"))
        self.card_title.setText(self.t("progress.card_title"))
        self.card_body.setText(self.t("progress.card_body"))
        self.type_title.setText(self.t("progress.type_title"))
        health = self.terminal.devices.health().get("scanner")
        if health is None:
            self.scanner_state.setText(self.t("progress.scanner_none"))
            self.scanner_state.show()
        elif not health.state.usable and health.state is not DeviceState.CONNECTING:
            self.scanner_state.setText(self.t("progress.scanner_down"))
            self.scanner_state.show()
        else:
            self.scanner_state.hide()
        self.keypad.setEnabled(not self.desk.busy)
        self.keypad.refresh()

    def _render_answer(self, result: ProgressResult) -> None:
        lang = self.lang
        if result.by is QueryKind.CARD:
            name = result.holder_masked or ""
            self.summary.setText(self.t("progress.for_card", name=name, n=len(result.cases)) if result.cases
                                 else self.t("progress.for_card_none", name=name))
        else:
            self.summary.setText(self.t("progress.for_receipt", no=result.receipt_no or ""))
        key = result.message
        self.message.setVisible(key is not None)
        if key is not None:
            self.message.setText(self.t(key) + "\n" + self.t(key + "_next"))
            self.message.setObjectName("error" if result.is_error else "warnbox")
            repolish(self.message)
        self.again.setText(self.t("progress.again"))
        self.done.setText(self.t("progress.done"))
        shown = (id(result), lang, self.elderly)
        if shown == self._shown:
            return
        self._shown = shown
        self._clear_cards()
        views: list[CaseView | LocalView] = list(result.cases)
        if result.local is not None:
            views.append(result.local)
        for i, view in enumerate(views):
            intent = "rate" if len(views) == 1 else f"rate:{i}"
            card = CaseCard(view, lang, rate_intent=intent, on_rate=self._rate_callback(view))
            self.cards.append(card)
            self.cards_layout.addWidget(card)
        self.cards_layout.addStretch(1)
        self.scroller.verticalScrollBar().setValue(0)

    def _rate_callback(self, view: CaseView | LocalView) -> Callable[[], None]:
        return lambda: self.desk.rate(view.rating_target())

    def entered(self) -> None:
        self.keypad.set_text("")
        self.keypad.letters_mode = False
        self.keypad.refresh()
        self._shown = None

    def left(self) -> None:
        # Nothing of the visit stays in hidden widgets: not the typed number, not the cards.
        self.keypad.letters_mode = False
        self.keypad.set_text("")
        self._clear_cards()
        self.summary.clear()
        self.message.clear()
        self.notice.clear()
        self._shown = None

    def _clear_cards(self) -> None:
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = []
        clear_layout(self.cards_layout)  # the stretches too, with their items

    def _health_changed(self) -> None:
        if self.terminal.machine.step is Step.PROGRESS:
            self.refresh()

