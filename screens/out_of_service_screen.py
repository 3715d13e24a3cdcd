"""Out of service: a required device is down. Says where to go instead; comes back by
itself when the device recovers (the registry's health drives it)."""

from __future__ import annotations

from kiosk.strings import t
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import Screen, make_label


class OutOfServiceScreen(Screen):
    step = Step.OUT_OF_SERVICE

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title", center=True)
        self.body = make_label("", center=True)
        self.reason = make_label("hint", center=True)
        self.layout_.addStretch(1)
        for widget in (self.title, self.body, self.reason):
            self.layout_.addWidget(widget)
        self.layout_.addStretch(2)

    def refresh(self) -> None:
        self.title.setText(self.t("oos.title"))
        self.body.setText(self.t("oos.body"))
        kinds = [k for k in self.terminal.machine.out_of_service_reason.split(",") if k]
        names = "、".join(t(f"device.{k}", self.lang) for k in kinds) if kinds else ""
        self.reason.setText(self.t("oos.reason", reason=names) if names else "")
