"""The item's guide, told once and completely (一次性告知): who may apply, what to bring
(with page counts, and which materials may follow later, 容缺), the promised time,
the fee, how the result reaches the resident, and whether this resident can apply
here. "开始办理" stays disabled, with the reason beside it, when they cannot.

"打印告知单" prints the same notice on the receipt printer (kiosk/notice.py) so a
resident who lacks a material can take the list home; it is disabled while printing
and says plainly when the printer is out of paper or not working."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.catalog import CatalogItem
from kiosk.notice import NoticePhase, notice_desk_for, notice_state_key
from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import clear_layout, make_button, make_label
from screens.catalog_screen import (
    ApplicationScreen,
    StepHeader,
    current_item,
    eligibility_of,
    fee_text,
    page_count_text,
    repolish,
    reveal,
    scroll_page,
    time_limit_text,
)

register({
    "guide.caption": ("办事指南", "Service guide"),
    "guide.can_apply": ("✓ 您可以在本机办理。请看完下面的说明，再点“开始办理”。",
                        "✓ You can apply at this kiosk. Please read the guide below, then tap Start."),
    "guide.time_limit": ("承诺时限", "Promised time"),
    "guide.fee": ("收费", "Fee"),
    "guide.delivery": ("结果怎么领", "How you get the result"),
    "guide.auth": ("身份核验", "Identity check"),
    "guide.auth.id_card": ("刷身份证", "ID card"),
    "guide.auth.id_card_and_face": ("刷身份证并拍摄人脸照片", "ID card and a photo of your face"),
    "guide.auth.counter_only": ("须本人到窗口办理", "In person at a counter"),
    "guide.materials": ("需要准备的材料（{n} 项）", "Materials to bring ({n})"),
    "guide.no_materials": ("不需要提交材料。", "No materials are needed."),
    "guide.defer_note": ("标有“可容缺后补”的材料今天没带也可以先办，承诺后按时补交即可。",
                         "Materials marked 'may follow later' can be promised now and brought within the time given."),
    "guide.text": ("办理须知", "What you should know"),
    "guide.begin": ("开始办理", "Start"),
    "guide.cannot_begin": ("本机不能为您办理此事项，原因见上方。", "You cannot apply for this here; see the reason above."),
})


class GuideScreen(ApplicationScreen):
    step = Step.GUIDE

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(self.step)
        self.department = make_label("hint")
        self.scroller, self.page, self.body = scroll_page()
        self.reason = make_label("error")
        self.begin = make_button("begin_application", role="primary")
        self.begin.clicked.connect(terminal.machine.begin_application)
        self.notice_desk = notice_desk_for(terminal)
        self.print_notice = make_button("print_notice")
        self.print_notice.clicked.connect(self._print_notice)
        self.notice_state = make_label("hint")
        self.notice_state.setVisible(False)
        actions = QWidget()
        buttons = QHBoxLayout(actions)
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.print_notice)
        buttons.addWidget(self.begin, 1)
        self.layout_.addWidget(self.header)
        self.layout_.addWidget(self.department)
        self.layout_.addWidget(self.scroller, 1)
        self.layout_.addWidget(self.reason)
        self.layout_.addWidget(self.notice_state)
        self.layout_.addWidget(actions)
        self._built: tuple[object, ...] | None = None

    def entered(self) -> None:
        self._built = None
        self.refresh()
        self.scroller.verticalScrollBar().setValue(0)

    def left(self) -> None:
        clear_layout(self.body)  # the verdict may say the resident's age
        self._built = None
        self.notice_desk.forget()

    def _print_notice(self) -> None:
        item = current_item(self.terminal)
        if item is not None:
            self.notice_desk.request(item.code)

    def refresh(self) -> None:  # Screen.render, not QWidget.render
        self.apply_style()
        item = current_item(self.terminal)
        lang = self.lang
        self.begin.setText(self.t("guide.begin"))
        self._refresh_notice(item)
        if item is None:
            self.header.set_texts(lang, "")
            self.begin.setEnabled(False)
            return
        self.header.set_texts(lang, item.name.get(lang))
        self.department.setText(item.department.get(lang))
        verdict = eligibility_of(self.terminal, item)
        self.begin.setEnabled(verdict.ok)
        self.reason.setText(self.t("guide.cannot_begin"))
        self.reason.setVisible(not verdict.ok)
        key = (lang, self.elderly, item.code, verdict.reason_code)
        if key != self._built:
            self._built = key
            self._build(item)

    def _refresh_notice(self, item: CatalogItem | None) -> None:
        state = self.notice_desk.state
        self.print_notice.setText(self.t("notice.print"))
        self.print_notice.setEnabled(item is not None and not state.busy)
        # A finished outcome belongs to the item it was printed for.
        key = notice_state_key(state) if state.busy or (item is not None and state.item_code == item.code) else None
        self.notice_state.setVisible(key is not None)
        if key is not None:
            self.notice_state.setText(self.t(key))
            role = {NoticePhase.FAILED: "error", NoticePhase.PRINTED: "ok"}.get(state.phase, "hint")
            if self.notice_state.objectName() != role:
                self.notice_state.setObjectName(role)
                repolish(self.notice_state)

    def _build(self, item: CatalogItem) -> None:
        clear_layout(self.body)
        lang = self.lang
        verdict = eligibility_of(self.terminal, item)
        state = make_label("verdict_ok" if verdict.ok else "error")
        state.setObjectName("verdict_ok" if verdict.ok else "error")
        if verdict.ok:
            state.setText(self.t("guide.can_apply"))
        else:
            state.setText(f"{verdict.message.get(lang)}\n{verdict.what_to_do.get(lang)}")
        state.setProperty("verdict", verdict.reason_code.value)
        repolish(state)
        self.body.addWidget(state)

        facts = QFrame()
        facts.setObjectName("panel")
        grid = QGridLayout(facts)
        grid.setContentsMargins(24, 20, 24, 20)
        grid.setHorizontalSpacing(32)
        grid.setVerticalSpacing(16)
        delivery = "、" if lang == "zh" else ", "
        rows = (
            ("guide.time_limit", time_limit_text(item.time_limit_days, lang)),
            ("guide.fee", fee_text(item.fee_fen, lang)),
            ("guide.delivery", delivery.join(self.t(f"app.delivery.{d.value}") for d in item.delivery)),
            ("guide.auth", self.t(f"guide.auth.{item.auth.value}")),
        )
        columns = 2 if not self.elderly or self.landscape else 1
        for i, (name_key, value) in enumerate(rows):
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            name = make_label("fact_name")
            name.setText(self.t(name_key))
            text = make_label("fact_value")
            text.setText(value)
            box.addWidget(name)
            box.addWidget(text)
            grid.addWidget(cell, i // columns, i % columns)
        for c in range(columns):
            grid.setColumnStretch(c, 1)
        self.body.addWidget(facts)

        heading = make_label("section")
        heading.setText(self.t("guide.materials", n=len(item.materials)))
        self.body.addWidget(heading)
        materials = QFrame()
        materials.setObjectName("panel")
        box = QVBoxLayout(materials)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(14)
        if not item.materials:
            none = make_label("")
            none.setText(self.t("guide.no_materials"))
            box.addWidget(none)
        for n, material in enumerate(item.materials, start=1):
            name = make_label("field_label")
            name.setText(f"{n}. {material.name.get(lang)}")
            tags = [self.t("app.required" if material.required else "app.optional"),
                    page_count_text(material.min_pages, material.max_pages, material.sides, lang)]
            if material.can_defer:
                tags.append(self.t("app.deferrable"))
            detail = make_label("tile_sub")
            detail.setText("    " + "  ·  ".join(tags))
            box.addWidget(name)
            box.addWidget(detail)
        self.body.addWidget(materials)
        if item.deferrable_materials:
            note = make_label("hint")
            note.setText(self.t("guide.defer_note"))
            self.body.addWidget(note)

        if item.guide is not None:
            heading = make_label("section")
            heading.setText(self.t("guide.text"))
            self.body.addWidget(heading)
            for paragraph in item.guide.get(lang).split("\n"):
                if paragraph.strip():
                    text = make_label("body")
                    text.setText(paragraph.strip())
                    self.body.addWidget(text)
        self.body.addStretch(1)
        reveal(self.page)
