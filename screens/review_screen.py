"""The review page (核对提交): everything the application says, on one scrolling page,
each part with a button to change it, and a big "确认提交". When the last submit did
not work (the visit's `submit_problem`), it says so plainly and what to do: the
resident's data is still here.

The ID number is masked as everywhere on screen; the name is shown in full, as this is
the resident's own review.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from drivers.id_reader.idnumber import mask_id_number
from kiosk.catalog import CatalogItem, FieldType
from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import clear_layout, make_button, make_label
from screens.catalog_screen import (
    ApplicationScreen,
    StepHeader,
    current_item,
    fee_text,
    reveal,
    scroll_page,
    time_limit_text,
)

register({
    "review.title": ("请核对后提交", "Check and submit"),
    "review.hint": ("请逐项核对。哪里不对，点那一项右边的“修改”。", "Please check each part. To change one, tap 'Change' beside it."),
    "review.applicant": ("申请人", "Applicant"),
    "review.name": ("姓名", "Name"),
    "review.id_number": ("证件号码", "ID number"),
    "review.item": ("办理事项", "Service"),
    "review.department": ("办理部门", "Department"),
    "review.time_limit": ("承诺时限", "Promised time"),
    "review.fee": ("收费", "Fee"),
    "review.form": ("申请表", "Application form"),
    "review.blank": ("未填写", "Not given"),
    "review.yes": ("是", "Yes"),
    "review.no": ("否", "No"),
    "review.materials": ("材料", "Materials"),
    "review.no_materials": ("本事项不需要材料", "No materials needed"),
    "review.captured": ("已拍摄 {n} 页", "{n} page(s) captured"),
    "review.deferred": ("容缺后补", "To follow later (promised)"),
    "review.missing": ("未提交", "Not provided"),
    "review.delivery": ("领取方式", "How you receive the result"),
    "review.recipient": ("收件人", "Recipient"),
    "review.phone": ("电话", "Phone"),
    "review.address": ("地址", "Address"),
    "review.not_chosen": ("未选择", "Not chosen"),
    "review.commitment": ("告知承诺", "Declaration"),
    "review.signed": ("已于 {at} 阅读并签名承诺（承诺书版本 {version}）",
                      "Read and signed at {at} (declaration version {version})"),
    "review.not_signed": ("未签署", "Not signed"),
    "review.edit": ("修改", "Change"),
    "review.resign": ("重新签名", "Sign again"),
    "review.submit": ("确认提交", "Submit"),
    "review.after": ("提交后会打印受理回执，请妥善保管。", "After submitting, a receipt is printed. Please keep it."),
    "review.problem.disk_full": ("本机存储空间不足，提交没有成功。您的信息没有丢失，请点右上角“呼叫工作人员”。",
                                 "This kiosk's storage is full, so the application was not submitted. Your information is not lost; please call staff (top right)."),
    "review.problem.staff": ("本机暂时不能保存申请，提交没有成功。您的信息没有丢失，请点右上角“呼叫工作人员”，或到人工窗口办理。",
                             "This kiosk cannot save applications right now, so it was not submitted. Your information is not lost; please call staff (top right) or go to a service counter."),
    "review.problem.other": ("提交没有成功，您的信息没有丢失。请再点一次“确认提交”；如果还不行，请点右上角“呼叫工作人员”。",
                             "The application was not submitted, but your information is not lost. Please tap Submit again; if it still fails, please call staff (top right)."),
})

# Reason codes of Terminal.submit_application (kiosk/terminal.py `_submit_problem`).
_DISK_PROBLEMS = frozenset({"disk_full", "storage_full", "no_space", "enospc"})
_STAFF_PROBLEMS = frozenset({"storage", "not_provisioned", "catalog"})  # tapping again will not help


class ReviewScreen(ApplicationScreen):
    step = Step.REVIEW

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(self.step)
        self.hint = make_label("hint")
        self.scroller, self.page, self.body = scroll_page()
        self.problem = make_label("error")
        self.problem.hide()
        self.after = make_label("hint")
        self.submit = make_button("submit", role="primary")
        self.submit.clicked.connect(self._submit)
        self.layout_.addWidget(self.header)
        self.layout_.addWidget(self.hint)
        self.layout_.addWidget(self.problem)
        self.layout_.addWidget(self.scroller, 1)
        self.layout_.addWidget(self.after)
        self.layout_.addWidget(self.submit)
        self._built: tuple[object, ...] | None = None

    def entered(self) -> None:
        self._built = None
        self.refresh()
        self.scroller.verticalScrollBar().setValue(0)

    def left(self) -> None:
        clear_layout(self.body)
        self._built = None

    def _submit(self) -> None:
        submit_application = getattr(self.terminal, "submit_application", None)
        if callable(submit_application):
            submit_application()
        else:
            self.terminal.machine.submit()

    def _edit(self, step: Step) -> None:
        self.terminal.machine.edit(step)

    def problem_text(self, reason: str) -> str:
        if reason in _DISK_PROBLEMS:
            return self.t("review.problem.disk_full")
        if reason in _STAFF_PROBLEMS:
            return self.t("review.problem.staff")
        if any("\u4e00" <= c <= "\u9fff" for c in reason):
            return reason  # already a sentence for the resident
        return self.t("review.problem.other")

    # -- rendering -------------------------------------------------------------------------
    def refresh(self) -> None:  # Screen.render, not QWidget.render
        self.apply_style()
        visit = self.terminal.machine.visit
        self.header.set_texts(self.lang, self.t("review.title"))
        self.hint.setText(self.t("review.hint"))
        self.after.setText(self.t("review.after"))
        self.submit.setText(self.t("review.submit"))
        self.problem.setText(self.problem_text(visit.submit_problem) if visit.submit_problem else "")
        self.problem.setVisible(bool(visit.submit_problem))
        item = current_item(self.terminal)
        key = (self.lang, self.elderly, item.code if item is not None else None)
        if key != self._built and item is not None:
            self._built = key
            self._build(item)

    def _section(self, title_key: str, edit: Step | None, edit_key: str = "review.edit") -> QGridLayout:
        panel = QFrame()
        panel.setObjectName("panel")
        box = QVBoxLayout(panel)
        box.setContentsMargins(24, 16, 24, 20)
        box.setSpacing(10)
        top = QHBoxLayout()
        title = make_label("section")
        title.setText(self.t(title_key))
        top.addWidget(title, 1)
        if edit is not None:
            button = make_button(f"edit:{edit.value}", role="link")
            button.setText(self.t(edit_key))
            button.clicked.connect(lambda _=False, s=edit: self._edit(s))
            top.addWidget(button)
        box.addLayout(top)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(10)
        grid.setColumnStretch(1, 1)
        if not self._stacked:
            # One width for the names in every section, so the values line up down the page.
            grid.setColumnMinimumWidth(0, self._name_width)
        box.addLayout(grid)
        self.body.addWidget(panel)
        return grid

    def _pair(self, grid: QGridLayout, name: str, value: str) -> None:
        row = grid.rowCount()
        label = make_label("fact_name")
        label.setText(name)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        text = make_label("")
        text.setText(value)
        if not name:  # a statement of its own (the signed declaration, "no materials")
            grid.addWidget(text, row, 0, 1, 2)
        elif not self._stacked:
            label.setFixedWidth(self._name_width)
            grid.addWidget(label, row, 0)
            grid.addWidget(text, row, 1)
        else:  # elderly portrait: label over value, so long values keep the width
            grid.addWidget(label, row, 0, 1, 2)
            grid.addWidget(text, row + 1, 0, 1, 2)

    @property
    def _stacked(self) -> bool:
        """Elderly portrait: names over values, so long values keep the full width."""
        return self.elderly and not self.landscape

    @property
    def _name_width(self) -> int:
        share, most = (0.26, 320) if self.lang == "zh" else (0.32, 420)
        return max(160, min(most, int(self.scroller.viewport().width() * share)))

    def _build(self, item: CatalogItem) -> None:
        clear_layout(self.body)
        lang = self.lang
        visit = self.terminal.machine.visit

        grid = self._section("review.applicant", None)
        identity = visit.identity
        if identity is not None:
            self._pair(grid, self.t("review.name"), identity.name)
            self._pair(grid, self.t("review.id_number"), identity.masked_id_number)

        grid = self._section("review.item", None)
        self._pair(grid, self.t("review.item"), item.name.get(lang))
        self._pair(grid, self.t("review.department"), item.department.get(lang))
        self._pair(grid, self.t("review.time_limit"), time_limit_text(item.time_limit_days, lang))
        self._pair(grid, self.t("review.fee"), fee_text(item.fee_fen, lang))

        if item.form:
            grid = self._section("review.form", Step.FORM)
            for f in item.form:
                self._pair(grid, f.label.get(lang), self._form_value(item, f.key))

        grid = self._section("review.materials", Step.MATERIALS if item.materials else None)
        if not item.materials:
            self._pair(grid, "", self.t("review.no_materials"))
        for material in item.materials:
            captured = visit.materials.get(material.code)
            if captured is not None:
                state = self.t("review.captured", n=len(captured.pages))
            elif material.code in visit.deferred:
                state = self.t("review.deferred")
            else:
                state = self.t("review.missing")
            self._pair(grid, material.name.get(lang), state)

        grid = self._section("review.delivery", Step.DELIVERY)
        method = visit.delivery.get("method")
        self._pair(grid, self.t("review.delivery"),
                   self.t(f"app.delivery.{method}") if method else self.t("review.not_chosen"))
        if method == "express":
            for key in ("recipient", "phone", "address"):
                self._pair(grid, self.t(f"review.{key}"), visit.delivery.get(key, ""))

        grid = self._section("review.commitment", Step.COMMITMENT, "review.resign")
        at = visit.commitment_accepted_at
        if at is not None:
            self._pair(grid, "", self.t("review.signed", at=at.strftime("%Y-%m-%d %H:%M"),
                                         version=visit.commitment_version or ""))
        else:
            self._pair(grid, "", self.t("review.not_signed"))
        if visit.signature_png:
            picture = QLabel()
            pixmap = QPixmap()
            if pixmap.loadFromData(visit.signature_png, "PNG"):
                picture.setPixmap(pixmap.scaledToHeight(self.m.target_px + 40,
                                                        Qt.TransformationMode.SmoothTransformation))
                grid.addWidget(picture, grid.rowCount(), 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
        self.body.addStretch(1)
        reveal(self.page)

    def _form_value(self, item: CatalogItem, key: str) -> str:
        f = item.field(key)
        raw = self.terminal.machine.visit.form_values.get(key, "")
        if f is None:
            return raw
        if f.type is FieldType.CHECKBOX:
            return self.t("review.yes" if raw == "true" else "review.no")
        if raw == "":
            return self.t("review.blank")
        if f.type is FieldType.SELECT:
            option = f.option(raw)
            return option.label.get(self.lang) if option is not None else raw
        if f.type is FieldType.ID_NUMBER:
            return mask_id_number(raw)
        return raw
