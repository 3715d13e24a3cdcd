"""Staff-assisted visits (帮办代办): a member of the hall staff identifies on the terminal,
by scanning their staff code or with their staff id and PIN, and from then on the visit
is marked as assisted: a banner says so, and the application records `assisted_by`.
The resident still confirms the commitment personally (commitment_screen.py shows
that line whenever `visit.assisted_by` is set).

A resident calls staff with the top bar's button on any screen; the status strip and
the heartbeat show the call. When staff arrive they scan their code (any screen of a
visit before submitting, and attract/home), or tap "工作人员登录" on the banner the call
brings up. A staff code is never treated as anything else (a progress query, a
search): `StaffAssist.handle_scan` consumes every code that looks like one.

Staff PINs are checked against kiosk.staff.StaffDirectory (scrypt hashes); wrong PINs
are limited per terminal run (a hall's staff are few and known, a resident guessing
PINs to mark their own application "assisted" is what this stops).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.staff import STAFF_CODE_PREFIX, StaffDirectory, StaffMember
from kiosk.strings import register, t
from kiosk.terminal import Terminal
from kiosk.visit import Step, VisitMachine
from screens.base import make_button, make_label, row
from screens.keyboard import FieldTapFilter, KeyboardKind, KeyboardPanel

log = logging.getLogger(__name__)

register({
    "assist.called": ("已呼叫工作人员，请稍候。", "Staff have been called. Please wait."),
    "assist.sign_in": ("工作人员登录", "Staff sign-in"),
    "assist.bad_code": ("工作人员码无效，请联系技术人员。", "This staff code is not valid here."),
    "assist.title": ("工作人员登录", "Staff sign-in"),
    "assist.staff_id": ("工号", "Staff ID"),
    "assist.pin": ("PIN", "PIN"),
    "assist.ok": ("登录帮办", "Sign in"),
    "assist.cancel": ("取消", "Cancel"),
    "assist.wrong": ("工号或 PIN 不正确", "Wrong staff ID or PIN"),
    "assist.locked": ("尝试次数过多，请 {s} 秒后再试", "Too many attempts. Try again in {s} s"),
})

# Where a staff code starts (or joins) an assisted visit: before the application is
# being saved. After that there is nothing left to assist with.
ASSIST_STEPS = frozenset(Step) - {Step.SUBMITTING, Step.RECEIPT, Step.RATE, Step.THANKS, Step.TECHNICIAN,
                                  Step.OUT_OF_SERVICE}
MAX_FAILURES = 5
LOCK_S = 60.0
NOTICE_S = 5.0


@dataclass(frozen=True)
class SignIn:
    ok: bool
    locked_for_s: float = 0.0


class StaffAssist(QObject):
    """The logic behind the banner and the sign-in pad; `changed` after anything the
    banner shows changed. GUI thread only (scanner events arrive through the window's
    queued bridge)."""

    changed = Signal()
    _status_changed = Signal()  # from any thread; queued to `changed` on the GUI thread

    def __init__(self, terminal: Terminal, staff: StaffDirectory | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.terminal = terminal
        self.staff = staff or StaffDirectory(terminal.config.storage_dir)
        self._clock = clock or terminal.clock
        self._failures = 0
        self._locked_until = 0.0
        self.notice_until = 0.0  # show "bad code" until then
        self._status_changed.connect(self.changed.emit, Qt.ConnectionType.QueuedConnection)
        terminal.on_status(lambda _view: self._status_changed.emit())

    @property
    def machine(self) -> VisitMachine:
        return self.terminal.machine

    def now(self) -> float:
        return self._clock()

    def handle_scan(self, text: str) -> bool:
        """Call before any other use of a scanned code. True: it was a staff code (valid
        or not) and must not be used for anything else."""
        if not text.startswith(STAFF_CODE_PREFIX):
            return False
        if self.machine.step not in ASSIST_STEPS:
            log.info("staff code scanned on %s: ignored", self.machine.step.value)
            return True
        member = self.staff.by_code(text)
        if member is None:
            log.warning("staff code not recognised")
            self.notice_until = self._clock() + NOTICE_S
            self.changed.emit()
            return True
        self.begin(member, how="code")
        return True

    def sign_in(self, staff_id: str, pin: str) -> SignIn:
        now = self._clock()
        if now < self._locked_until:
            return SignIn(False, self._locked_until - now)
        member = self.staff.by_pin(staff_id.strip(), pin) if staff_id.strip().isalnum() else None
        if member is None:
            self._failures += 1
            log.warning("staff sign-in failed (%d)", self._failures)
            if self._failures >= MAX_FAILURES:
                self._failures = 0
                self._locked_until = now + LOCK_S
                return SignIn(False, LOCK_S)
            return SignIn(False)
        self._failures = 0
        self.begin(member, how="pin")
        return SignIn(True)

    def begin(self, member: StaffMember, *, how: str) -> None:
        machine = self.machine
        if machine.step is Step.ATTRACT:
            machine.start()
        machine.set_assisted(member.to_json())
        if self.terminal.status.help_requested:
            self.terminal.help_answered()
        log.info("assisted visit: staff %s signed in by %s", member.staff_id, how)
        self.changed.emit()

    def locked_for_s(self) -> float:
        return max(0.0, self._locked_until - self._clock())


class AssistBanner(QFrame):
    """One line under the top bar: "工作人员帮办中：王芳" during an assisted visit; while a
    resident's call for staff is open, "已呼叫工作人员" with the staff sign-in button.
    Hidden otherwise. The lead adds it to the window's layout."""

    sign_in_requested = Signal()

    def __init__(self, assist: StaffAssist) -> None:
        super().__init__()
        self.setObjectName("assistBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.assist = assist
        layout = QHBoxLayout(self)
        layout.setContentsMargins(32, 8, 32, 8)
        self.text = make_label("bannerText", wrap=False)
        self.button = make_button("staff_sign_in")
        self.button.clicked.connect(self.sign_in_requested.emit)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.setStyleSheet(
            "QFrame#assistBanner { background: #fff4d6; border-bottom: 2px solid #c98a00; }"
            " QLabel#bannerText { color: #1a1a1a; font-weight: bold; }")
        self._notice = QTimer(self)
        self._notice.setSingleShot(True)
        self._notice.timeout.connect(self.refresh)
        assist.changed.connect(self.refresh)
        assist.terminal.machine.subscribe(lambda _m: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        terminal = self.assist.terminal
        machine = terminal.machine
        lang = machine.visit.language
        staff = machine.visit.assisted_by
        now = self.assist.now()
        if staff:
            self.text.setText(t("frame.assisted", lang, name=staff.get("name", "")))
            self.button.hide()
        elif self.assist.notice_until > now:
            self.text.setText(t("assist.bad_code", lang))
            self.button.hide()
            self._notice.start(int((self.assist.notice_until - now) * 1000) + 50)
        elif terminal.status.help_requested and machine.step in ASSIST_STEPS:
            self.text.setText(t("assist.called", lang))
            self.button.setText(t("assist.sign_in", lang))
            self.button.show()
        else:
            self.hide()
            return
        self.show()


class StaffSignInOverlay(QFrame):
    """Staff id and PIN over the whole window, with the on-screen keyboard."""

    def __init__(self, parent: QWidget, assist: StaffAssist) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.assist = assist
        outer = QVBoxLayout(self)
        outer.setContentsMargins(60, 0, 60, 0)
        card = QFrame()
        card.setObjectName("card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(40, 32, 40, 32)
        inner.setSpacing(16)
        self.title = make_label("title", center=True)
        self.id_label = make_label("")
        self.staff_id = QLineEdit()
        self.staff_id.setObjectName("staff_id")
        self.staff_id.setMaxLength(32)
        self.pin_label = make_label("")
        self.pin = QLineEdit()
        self.pin.setObjectName("staff_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(12)
        for field in (self.staff_id, self.pin):
            field.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.message = make_label("error", center=True)
        self.ok = make_button("assist:ok", role="primary")
        self.cancel = make_button("assist:cancel")
        self.ok.clicked.connect(self.submit)
        self.cancel.clicked.connect(self.close_overlay)
        self.keyboard = KeyboardPanel(lambda: self.assist.machine.visit.language)
        self._tap = FieldTapFilter(self.keyboard, {self.staff_id: KeyboardKind.SEARCH,
                                                   self.pin: KeyboardKind.DIGITS})
        for field in (self.staff_id, self.pin):
            field.installEventFilter(self._tap)
        for widget in (self.title, self.id_label, self.staff_id, self.pin_label, self.pin, self.message):
            inner.addWidget(widget)
        inner.addWidget(row(self.cancel, self.ok))
        inner.addWidget(self.keyboard)
        outer.addStretch(1)
        outer.addWidget(card)
        outer.addStretch(1)
        self.hide()

    def open(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.staff_id.clear()
        self.pin.clear()
        self.message.hide()
        self.refresh()
        self.show()
        self.raise_()
        self.keyboard.attach(self.staff_id, KeyboardKind.SEARCH)

    def close_overlay(self) -> None:
        self.keyboard.detach()
        self.pin.clear()
        self.hide()

    def refresh(self) -> None:
        lang = self.assist.machine.visit.language
        self.title.setText(t("assist.title", lang))
        self.id_label.setText(t("assist.staff_id", lang))
        self.pin_label.setText(t("assist.pin", lang))
        self.ok.setText(t("assist.ok", lang))
        self.cancel.setText(t("assist.cancel", lang))

    def submit(self) -> None:
        lang = self.assist.machine.visit.language
        result = self.assist.sign_in(self.staff_id.text(), self.pin.text())
        self.pin.clear()
        if result.ok:
            self.close_overlay()
            return
        if result.locked_for_s > 0:
            self.message.setText(t("assist.locked", lang, s=int(result.locked_for_s + 0.999)))
        else:
            self.message.setText(t("assist.wrong", lang))
        self.message.show()


__all__ = ["ASSIST_STEPS", "AssistBanner", "SignIn", "StaffAssist", "StaffSignInOverlay"]
