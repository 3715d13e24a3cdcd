"""The materials checklist: each material captured under the document camera, or
deferred with a promise (容缺受理) where the item allows it, and retaken at will."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout

from kiosk.catalog import CatalogItem, Material
from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import clear_layout, make_button, make_label
from screens.catalog_screen import (
    ApplicationScreen,
    StepHeader,
    current_item,
    page_count_text,
    reveal,
    scroll_page,
)

register({
    "materials.title": ("拍摄申请材料", "Your documents"),
    "materials.hint": ("逐项放到高拍仪下拍摄。标有“可容缺”的材料可以承诺后补。",
                       "Lay each one under the document camera. Items marked 'may follow later' can be promised instead."),
    "materials.required": ("必交", "required"),
    "materials.optional": ("选交", "optional"),
    "materials.deferrable": ("可容缺", "may follow later"),
    "materials.pages": ("{min}–{max} 页", "{min}–{max} pages"),
    "materials.two_sides": ("正反两面", "both sides"),
    "materials.captured": ("已拍 {n} 页", "{n} page(s) captured"),
    "materials.deferred": ("已承诺后补（容缺）", "Promised to follow later"),
    "materials.missing": ("未提交", "Not yet provided"),
    "materials.capture": ("拍摄", "Capture"),
    "materials.retake": ("重拍", "Retake"),
    "materials.defer": ("容缺后补", "Provide later"),
    "materials.next": ("下一步", "Next"),
    "materials.incomplete": ("还有必交材料未提交：{names}", "Still needed: {names}"),
})


class MaterialsScreen(ApplicationScreen):
    step = Step.MATERIALS

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(Step.MATERIALS)
        self.hint = make_label("hint")
        self.problem = make_label("error")
        self.scroller, self.page, self.rows = scroll_page()
        self.next = make_button("materials_next", role="primary")
        self.next.clicked.connect(self._next)
        self.layout_.addWidget(self.header)
        self.layout_.addWidget(self.hint)
        self.layout_.addWidget(self.scroller, 1)
        self.layout_.addWidget(self.problem)
        self.layout_.addWidget(self.next)

    def _missing(self, item: CatalogItem) -> list[Material]:
        visit = self.terminal.machine.visit
        return [m for m in item.materials if m.required and m.code not in visit.materials and m.code not in visit.deferred]

    def _next(self) -> None:
        item = current_item(self.terminal)
        if item is None:
            return
        missing = self._missing(item)
        if missing:
            names = "、".join(m.name.get(self.lang) for m in missing)
            self.problem.setText(self.t("materials.incomplete", names=names))
            self.problem.show()
            return
        self.terminal.machine.materials_done(needs_face=item.needs_face)

    def refresh(self) -> None:
        self.apply_style()
        self.header.set_texts(self.lang, self.t("materials.title"))
        self.hint.setText(self.t("materials.hint"))
        self.next.setText(self.t("materials.next"))
        self.problem.hide()
        clear_layout(self.rows)
        item = current_item(self.terminal)
        for material in item.materials if item is not None else ():
            self.rows.addWidget(self._row(material))
        self.rows.addStretch(1)
        reveal(self.page)

    def _row(self, material: Material) -> QFrame:
        visit = self.terminal.machine.visit
        panel = QFrame()
        panel.setObjectName("panel")
        layout = QHBoxLayout(panel)
        layout.setContentsMargins(24, 18, 18, 18)
        texts = QVBoxLayout()
        title = make_label("tile_title")
        title.setText(material.name.get(self.lang))
        tags = [self.t("materials.required" if material.required else "materials.optional")]
        if material.deferrable:
            tags.append(self.t("materials.deferrable"))
        tags.append(page_count_text(material.min_pages, material.max_pages, material.sides, self.lang))
        sub = make_label("tile_sub")
        sub.setText(" · ".join(tags))
        captured = visit.materials.get(material.code)
        state = make_label("")
        if captured is not None:
            state.setObjectName("ok")
            state.setText("✓ " + self.t("materials.captured", n=len(captured.pages)))
        elif material.code in visit.deferred:
            state.setObjectName("tile_go")
            state.setText(self.t("materials.deferred"))
        else:
            state.setObjectName("tile_alert" if material.required else "tile_sub")
            state.setText(self.t("materials.missing"))
        for label in (title, sub, state):
            texts.addWidget(label)
        layout.addLayout(texts, 1)
        buttons = QVBoxLayout()
        capture = make_button(f"capture:{material.code}", role="primary" if captured is None else "")
        capture.setText(self.t("materials.retake" if captured is not None else "materials.capture"))
        capture.clicked.connect(lambda _=False, code=material.code: self.terminal.machine.start_capture(code))
        buttons.addWidget(capture)
        if material.deferrable and material.code not in visit.deferred and captured is None:
            defer = make_button(f"defer:{material.code}")
            defer.setText(self.t("materials.defer"))
            defer.clicked.connect(lambda _=False, code=material.code: self.terminal.machine.defer_material(code))
            buttons.addWidget(defer)
        layout.addLayout(buttons)
        return panel
