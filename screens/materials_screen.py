"""The materials checklist: each material captured under the document camera, or
deferred with a promise (容缺受理) where the item allows it, and retaken at will."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFrame, QGridLayout, QScrollArea, QWidget

from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import Screen, make_button, make_label

register({
    "materials.title": ("请提交以下材料", "Materials to provide"),
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


def current_item(terminal: Terminal) -> Any:
    code = terminal.machine.visit.item_code
    catalog = getattr(terminal, "catalog", None)
    return catalog.get(code) if catalog is not None and code else None


class MaterialsScreen(Screen):
    step = Step.MATERIALS

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title")
        self.hint = make_label("hint")
        self.problem = make_label("error")
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.next = make_button("materials_next", role="primary")
        self.next.clicked.connect(self._next)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.hint)
        self.layout_.addWidget(self.scroll, 1)
        self.layout_.addWidget(self.problem)
        self.layout_.addWidget(self.next)

    def _missing(self, item: Any) -> list[Any]:
        visit = self.terminal.machine.visit
        return [m for m in item.materials if m.required and m.code not in visit.materials and m.code not in visit.deferred]

    def _next(self) -> None:
        item = current_item(self.terminal)
        if item is None:
            return
        missing = self._missing(item)
        if missing:
            names = "、".join(m.name.get(self.lang) for m in missing)
            self.problem.setText(self.tr("materials.incomplete", names=names))
            self.problem.show()
            return
        self.terminal.machine.materials_done(needs_face=item.auth == "id_card_and_face")

    def render(self) -> None:
        self.title.setText(self.tr("materials.title"))
        self.hint.setText(self.tr("materials.hint"))
        self.next.setText(self.tr("materials.next"))
        self.problem.hide()
        item = current_item(self.terminal)
        holder = QWidget()
        grid = QGridLayout(holder)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(20)
        visit = self.terminal.machine.visit
        for row, material in enumerate(item.materials if item is not None else []):
            tags = [self.tr("materials.required" if material.required else "materials.optional")]
            if material.deferrable:
                tags.append(self.tr("materials.deferrable"))
            if material.sides == 2:
                tags.append(self.tr("materials.two_sides"))
            elif material.max_pages > 1:
                tags.append(self.tr("materials.pages", min=material.min_pages, max=material.max_pages))
            captured = visit.materials.get(material.code)
            if captured is not None:
                state = self.tr("materials.captured", n=len(captured.pages))
            elif material.code in visit.deferred:
                state = self.tr("materials.deferred")
            else:
                state = self.tr("materials.missing")
            name = make_label("")
            name.setText(f"{material.name.get(self.lang)}\n{' · '.join(tags)}\n{state}")
            grid.addWidget(name, row, 0)
            capture = make_button(f"capture:{material.code}", role="primary" if captured is None else "")
            capture.setText(self.tr("materials.retake" if captured is not None else "materials.capture"))
            capture.clicked.connect(lambda _=False, code=material.code: self.terminal.machine.start_capture(code))
            grid.addWidget(capture, row, 1)
            if material.deferrable and material.code not in visit.deferred and captured is None:
                defer = make_button(f"defer:{material.code}")
                defer.setText(self.tr("materials.defer"))
                defer.clicked.connect(lambda _=False, code=material.code: self.terminal.machine.defer_material(code))
                grid.addWidget(defer, row, 2)
        grid.setColumnStretch(0, 1)
        grid.setRowStretch(grid.rowCount(), 1)
        self.scroll.setWidget(holder)
