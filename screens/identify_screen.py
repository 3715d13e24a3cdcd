"""Identify (请将身份证放在感应区) and confirm who was read.

Problems are shown as a resident understands them, with what to do next: a card
taken away too early (放回重试), an expired card, an unreadable card, a reader that is
offline (then where to go instead)."""

from __future__ import annotations

from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.attract_screen import CardPicture
from screens.base import Screen, make_button, make_label

register({
    "identify.title": ("请将身份证放在感应区", "Place your ID card on the reader"),
    "identify.hint": ("感应区在屏幕下方，有身份证图标。请平放，不要移动，直到听到提示音。",
                      "The reader is below the screen, marked with a card icon. Lay the card flat and keep it still."),
    "identify.types": ("可使用：居民身份证、港澳台居民居住证、外国人永久居留身份证",
                       "Accepted: resident ID card, HK/Macao/Taiwan residence permit, foreign permanent resident ID card"),
    "identify.reading": ("正在读卡，请不要移动身份证…", "Reading the card, please keep it still…"),
    "identify.removed_too_early": ("身份证拿开得太早了，请放回感应区重试。", "The card was taken away too early. Please put it back."),
    "identify.unreadable": ("无法读取这张卡。请换个角度平放；仍不行请到人工窗口办理。",
                            "This card cannot be read. Lay it flat again; if it still fails, please go to a service counter."),
    "identify.expired": ("您的身份证已过有效期，不能在自助终端办理。请先到公安机关换领，或到人工窗口咨询。",
                         "Your ID card has expired and cannot be used here. Please renew it, or ask at a service counter."),
    "identify.reader_offline": ("身份证阅读器暂时不能使用。需要读卡的事项请到人工窗口办理，或使用其他自助终端。",
                                "The ID card reader is not available. For services that need your card, please use a service counter or another terminal."),
    "identify.sam_fault": ("身份证阅读器出现故障，请呼叫工作人员。", "The ID card reader has a fault. Please call staff."),
    "identify.checksum": ("读卡受到干扰，请把身份证放回感应区重试。", "The reading was disturbed. Please put the card back and try again."),
    "identity.title": ("请确认您的身份", "Please confirm who you are"),
    "identity.name": ("姓名", "Name"),
    "identity.number": ("证件号码", "ID number"),
    "identity.type": ("证件类型", "Card type"),
    "identity.valid": ("有效期至", "Valid until"),
    "identity.long_term": ("长期", "No expiry"),
    "identity.confirm": ("是我本人，继续", "Yes, this is me"),
    "identity.not_me": ("不是我，重新读卡", "Not me, read again"),
    "idtype.resident_id": ("居民身份证", "Resident ID card"),
    "idtype.hmt_residence": ("港澳台居民居住证", "HK/Macao/Taiwan residence permit"),
    "idtype.foreign_permanent": ("外国人永久居留身份证", "Foreign permanent resident ID card"),
})


class IdentifyScreen(Screen):
    step = Step.IDENTIFY

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title", center=True)
        self.picture = CardPicture()
        self.hint = make_label("", center=True)
        self.problem = make_label("error", center=True)
        self.types = make_label("hint", center=True)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.picture, 1)
        for widget in (self.hint, self.problem, self.types):
            self.layout_.addWidget(widget)
        self.layout_.addStretch(1)

    def refresh(self) -> None:
        self.title.setText(self.t("identify.title"))
        self.hint.setText(self.t("identify.hint"))
        self.types.setText(self.t("identify.types"))
        problem = self.terminal.machine.visit.identity_problem
        reader = self.terminal.devices.health().get("id_reader")
        if reader is not None and not reader.usable and not problem:
            problem = "sam_fault" if reader.reason == "sam_fault" else "reader_offline"
        if problem == "busy":
            self.problem.setText(self.t("identify.reading"))
        elif problem:
            key = f"identify.{problem}"
            self.problem.setText(self.t(key if key in _KNOWN else "identify.unreadable"))
        self.problem.setVisible(bool(problem))


_KNOWN = {
    "identify.removed_too_early", "identify.unreadable", "identify.expired", "identify.reader_offline",
    "identify.sam_fault", "identify.checksum",
}


class IdentityScreen(Screen):
    step = Step.IDENTITY

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title")
        self.rows = [make_label("") for _ in range(4)]
        self.confirm = make_button("confirm_identity", role="primary")
        self.again = make_button("not_me")
        self.confirm.clicked.connect(terminal.machine.confirm_identity)
        self.again.clicked.connect(self._read_again)
        self.layout_.addWidget(self.title)
        for label in self.rows:
            self.layout_.addWidget(label)
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.confirm)
        self.layout_.addWidget(self.again)

    def _read_again(self) -> None:
        machine = self.terminal.machine
        machine.visit.identity = None
        machine.back()
        machine.choose_apply()

    def refresh(self) -> None:
        identity = self.terminal.machine.visit.identity
        self.title.setText(self.t("identity.title"))
        self.confirm.setText(self.t("identity.confirm"))
        self.again.setText(self.t("identity.not_me"))
        if identity is None:
            return
        until = identity.valid_until.isoformat() if identity.valid_until else self.t("identity.long_term")
        values = (
            (self.t("identity.name"), identity.name),
            (self.t("identity.number"), identity.masked_id_number),
            (self.t("identity.type"), self.t(f"idtype.{identity.id_type.value}")),
            (self.t("identity.valid"), until),
        )
        for label, (name, value) in zip(self.rows, values, strict=True):
            label.setText(f"{name}：{value}" if self.lang == "zh" else f"{name}: {value}")
