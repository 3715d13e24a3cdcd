"""Home: what the resident came for. Big tiles, one line of explanation each."""

from __future__ import annotations

from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import Screen, make_button, make_label


class HomeScreen(Screen):
    step = Step.HOME

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title")
        self.apply = make_button("apply", role="tile")
        self.progress = make_button("progress", role="tile")
        self.apply.clicked.connect(terminal.machine.choose_apply)
        self.progress.clicked.connect(terminal.machine.choose_progress)
        self.layout_.addWidget(self.title)
        for tile in (self.apply, self.progress):
            tile.setMinimumHeight(220)
            self.layout_.addWidget(tile)
        self.layout_.addStretch(1)

    def refresh(self) -> None:
        self.title.setText(self.t("home.title"))
        self.apply.setText(self.t("home.apply") + "\n" + self.t("home.apply_hint"))
        self.progress.setText(self.t("home.progress") + "\n" + self.t("home.progress_hint"))
