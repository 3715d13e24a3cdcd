"""The 告知承诺书: the item's commitment text, a handwritten signature, and "我已阅读并
承诺", which stays disabled until there is a signature. When hall staff operate the
terminal for the resident (帮办), the screen says the resident must confirm and sign
personally: staff may help with everything else, not with this."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import make_button, make_label
from screens.catalog_screen import ApplicationScreen, StepHeader, current_item, scroll_page
from screens.signature_pad import SignaturePad

register({
    "commit.title": ("请阅读告知承诺书", "Please read the declaration"),
    "commit.version": ("承诺书版本：{version}", "Declaration version: {version}"),
    "commit.sign_here": ("请用手指在框内签名", "Sign here with your finger"),
    "commit.instruction": ("读完后，请在下面的方框里用手指写上您的名字，再点“我已阅读并承诺”。",
                           "When you have read it, write your name in the box below with your finger, then tap 'I have read and agree'."),
    "commit.assisted": ("工作人员可以帮您操作，但这份承诺必须由您本人阅读、确认并亲笔签名。",
                        "Staff may help you with the kiosk, but you must read, confirm and sign this declaration yourself."),
    "commit.clear": ("重新签名", "Sign again"),
    "commit.accept": ("我已阅读并承诺", "I have read and agree"),
    "commit.need_signature": ("请先签名，签名后才能继续。", "Please sign first; then you can continue."),
})


class CommitmentScreen(ApplicationScreen):
    step = Step.COMMITMENT

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(self.step)
        self.version = make_label("small")
        self.scroller, self.page, body = scroll_page()
        panel = QFrame()
        panel.setObjectName("panel")
        panel_box = QVBoxLayout(panel)
        panel_box.setContentsMargins(28, 24, 28, 24)
        self.text = make_label("body")
        panel_box.addWidget(self.text)
        body.addWidget(panel)
        body.addStretch(1)
        self.instruction = make_label("")
        self.assisted = make_label("error")
        self.pad = SignaturePad()
        self.pad.changed.connect(self._signature_changed)
        self.clear = make_button("clear_signature")
        self.clear.clicked.connect(self.pad.clear)
        self.accept = make_button("accept_commitment", role="primary")
        self.accept.clicked.connect(self._accept)
        self.need_signature = make_label("hint")
        signing = QWidget()
        side = QVBoxLayout(signing)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(16)
        side.addWidget(self.assisted)
        side.addWidget(self.instruction)
        side.addWidget(self.pad, 1)
        side.addWidget(self.need_signature)
        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        buttons.addWidget(self.clear, 1)
        buttons.addWidget(self.accept, 2)
        side.addLayout(buttons)
        column = self.dock(signing)
        column.addWidget(self.header)
        column.addWidget(self.version)
        column.addWidget(self.scroller, 1)

    def entered(self) -> None:
        # Each acceptance is signed afresh (also when coming back from the review page).
        self.pad.clear()
        self.scroller.verticalScrollBar().setValue(0)

    def left(self) -> None:
        self.pad.clear()

    def _signature_changed(self) -> None:
        signed = self.pad.is_signed
        self.accept.setEnabled(signed)
        self.need_signature.setVisible(not signed)

    def _accept(self) -> None:
        item = current_item(self.terminal)
        png = self.pad.to_png()
        if item is None or not self.pad.is_signed or not png:
            return
        self.terminal.machine.accept_commitment(item.commitment.version, dt.datetime.now().astimezone(), png)

    def refresh(self) -> None:  # Screen.render, not QWidget.render
        self.apply_style()
        m = self.m
        lang = self.lang
        item = current_item(self.terminal)
        self.header.set_texts(lang, self.t("commit.title"))
        self.pad.setMinimumHeight(m.target_px * 3)
        self.arrange()
        self.pad.set_placeholder(self.t("commit.sign_here"))
        self.instruction.setText(self.t("commit.instruction"))
        self.assisted.setText(self.t("commit.assisted"))
        self.assisted.setVisible(self.terminal.machine.visit.assisted_by is not None)
        self.clear.setText(self.t("commit.clear"))
        self.accept.setText(self.t("commit.accept"))
        self.need_signature.setText(self.t("commit.need_signature"))
        if item is not None:
            self.version.setText(self.t("commit.version", version=item.commitment.version))
            self.text.setText(item.commitment.text.get(lang))
        self._signature_changed()
