"""How the result reaches the resident: 窗口自取 (collect at the counter), 免费邮寄
(posted free of charge: 不另收费), or 电子证照 (an electronic certificate) — only the
ways the item offers. For the post, recipient, phone and address come filled in from
the card and the form, and are checked like form fields before going on."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QVBoxLayout

from kiosk import forms
from kiosk.catalog import CatalogItem, Delivery, FieldType, FormField, Text
from kiosk.strings import register, t
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import make_button, make_label
from screens.catalog_screen import (
    ApplicationScreen,
    StepHeader,
    WrapButton,
    current_item,
    repolish,
    reveal,
    scroll_page,
)
from screens.keyboard import FieldTapFilter, KeyboardKind, KeyboardPanel, warm_up

register({
    "delivery.title": ("办好后，您想怎么领取？", "How would you like to receive the result?"),
    "delivery.hint": ("请点选一种方式。", "Please choose one."),
    "delivery.pickup.body": ("办好后带上身份证和回执，到{department}的窗口领取。",
                             "When it is ready, bring your ID card and receipt to {department}."),
    "delivery.express.body": ("邮寄到您填写的地址，邮费由政府承担，不另收费。",
                              "Posted to the address you give. Postage is paid by the government; you pay nothing."),
    "delivery.electronic.body": ("办好后发放电子证照，可在政务服务App中查看和使用，不用再跑一趟。",
                                 "You receive an electronic certificate to view and use in the government services app."),
    "delivery.address_title": ("请核对收件信息", "Please check the delivery details"),
    "delivery.recipient": ("收件人", "Recipient"),
    "delivery.phone": ("收件人电话", "Recipient's phone"),
    "delivery.address": ("收件地址", "Delivery address"),
    "delivery.address_short": ("收件地址不完整，请写清楚省、市、区（县）、街道和门牌号。",
                               "The address is incomplete. Please give province, city, district, street and number."),
    "delivery.choose_first": ("请先点选一种领取方式。", "Please choose how to receive the result first."),
    "delivery.next": ("下一步", "Next"),
})

# The express fields are checked with the form rules (kiosk.forms): the same plain words.
EXPRESS_FIELDS = (
    FormField("recipient", Text("收件人", "Recipient"), FieldType.TEXT, required=True, max_length=30),
    FormField("phone", Text("收件人电话", "Recipient's phone"), FieldType.PHONE, required=True),
    FormField("address", Text("收件地址", "Delivery address"), FieldType.ADDRESS, required=True, max_length=120),
)
_MIN_ADDRESS_CHARS = 6  # 省市区 + something: shorter cannot be delivered


class DeliveryScreen(ApplicationScreen):
    step = Step.DELIVERY

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(self.step)
        self.hint = make_label("hint")
        self.scroller, self.page, self.body = scroll_page()
        self.choices_box = QVBoxLayout()
        self.choices_box.setSpacing(16)
        self.body.addLayout(self.choices_box)
        self.choices: dict[str, WrapButton] = {}
        self._choice_labels: dict[str, tuple[QLabel, QLabel, QLabel]] = {}

        self.express = QFrame()
        self.express.setObjectName("panel")
        express_box = QVBoxLayout(self.express)
        express_box.setContentsMargins(24, 20, 24, 20)
        express_box.setSpacing(10)
        self.express_title = make_label("section")
        express_box.addWidget(self.express_title)
        self.edits: dict[str, QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        self.error_labels: dict[str, QLabel] = {}
        self._errors: dict[str, forms.FieldError | None] = {}
        self._address_short = False
        self.keyboard = KeyboardPanel(lambda: self.lang)
        self.keyboard.hide()
        kinds: dict[QObject, KeyboardKind] = {}
        self._tap = FieldTapFilter(self.keyboard, kinds, on_attach=self._field_attached)
        for f in EXPRESS_FIELDS:
            label = make_label("field_label")
            edit = QLineEdit()
            edit.setObjectName(f"delivery:{f.key}")
            edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
            edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            edit.textChanged.connect(lambda _text, key=f.key: self._typed(key))
            edit.installEventFilter(self._tap)
            kinds[edit] = KeyboardKind.DIGITS if f.type is FieldType.PHONE else KeyboardKind.TEXT
            error = make_label("field_error")
            error.hide()
            express_box.addWidget(label)
            express_box.addWidget(edit)
            express_box.addWidget(error)
            self.edits[f.key], self.labels[f.key], self.error_labels[f.key] = edit, label, error
        self.body.addWidget(self.express)
        self.body.addStretch(1)

        self.problem = make_label("error")
        self.problem.hide()
        self.next = make_button("delivery_next", role="primary")
        self.next.clicked.connect(self.submit)
        column = self.dock(self.keyboard)
        column.addWidget(self.header)
        column.addWidget(self.hint)
        column.addWidget(self.scroller, 1)
        column.addWidget(self.problem)
        column.addWidget(self.next)
        self.method: str | None = None

    # -- building --------------------------------------------------------------------------
    def entered(self) -> None:
        visit = self.terminal.machine.visit
        item = current_item(self.terminal)
        self._build_choices(item)
        offered = [d.value for d in item.delivery] if item is not None else []
        previous = visit.delivery.get("method")
        self.method = previous if previous in offered else offered[0] if len(offered) == 1 else None
        identity = visit.identity
        phone = str(visit.form_values.get("phone", ""))
        defaults = {
            "recipient": identity.name if identity is not None else "",
            "phone": phone,
            "address": (identity.current_address or "") if identity is not None else "",
        }
        for key, edit in self.edits.items():
            kept = visit.delivery.get(key) if previous == Delivery.EXPRESS.value else None
            edit.blockSignals(True)
            edit.setText(kept if kept is not None else defaults[key])
            edit.blockSignals(False)
            self._show_error(key, None)
        self.problem.hide()
        warm_up(self.terminal.background)
        self.refresh()
        self.scroller.verticalScrollBar().setValue(0)

    def left(self) -> None:
        self.keyboard.detach()
        for edit in self.edits.values():
            edit.blockSignals(True)
            edit.clear()
            edit.blockSignals(False)

    def _build_choices(self, item: CatalogItem | None) -> None:
        for button in self.choices.values():
            button.hide()
            button.deleteLater()
        self.choices = {}
        self._choice_labels = {}
        if item is None:
            return
        for method in item.delivery:
            button = WrapButton(f"delivery:{method.value}", role="choice", checkable=True)
            title = make_label("tile_title")
            mark = make_label("tile_title", wrap=False)
            button.add_row(title, mark)
            body = button.add_line("tile_sub")
            button.clicked.connect(lambda _=False, m=method.value: self.choose(m))
            self.choices_box.addWidget(button)
            self.choices[method.value] = button
            self._choice_labels[method.value] = (title, body, mark)
        reveal(self.page)

    # -- intents ---------------------------------------------------------------------------
    def choose(self, method: str) -> None:
        if method not in self.choices:
            raise ValueError(f"this service cannot be delivered by {method}")
        self.method = method
        self.problem.hide()
        self.refresh()
        if method == Delivery.EXPRESS.value:
            QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(self.express, 0, 24))

    def set_details(self, recipient: str | None = None, phone: str | None = None, address: str | None = None) -> None:
        for key, value in (("recipient", recipient), ("phone", phone), ("address", address)):
            if value is not None:
                self.edits[key].setText(value)

    def _typed(self, key: str) -> None:
        f = next(f for f in EXPRESS_FIELDS if f.key == key)
        self._show_error(key, forms.validate_field(f, self.edits[key].text(), partial=True).error)

    def _field_attached(self, target: QLineEdit) -> None:
        QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(target, 0, 120))

    def _check_all(self) -> dict[str, str] | None:
        values: dict[str, str] = {}
        ok = True
        for f in EXPRESS_FIELDS:
            result = forms.validate_field(f, self.edits[f.key].text())
            error = result.error
            if error is None and f.type is FieldType.ADDRESS and len(str(result.value or "")) < _MIN_ADDRESS_CHARS:
                error = forms.FieldError("address_incomplete", Text(t("delivery.address_short", "zh"),
                                                                    t("delivery.address_short", "en")))
            self._show_error(f.key, error)
            if error is not None:
                ok = False
            elif result.value is not None:
                values[f.key] = str(result.value)
        return values if ok else None

    def submit(self) -> None:
        """下一步: a method must be chosen; for the post, the details must be right."""
        self.keyboard.detach()
        if self.method is None:
            self.problem.setText(self.t("delivery.choose_first"))
            self.problem.show()
            return
        delivery = {"method": self.method}
        if self.method == Delivery.EXPRESS.value:
            details = self._check_all()
            if details is None:
                first = next(k for k in self.edits if self._errors.get(k) is not None)
                self.scroller.ensureWidgetVisible(self.edits[first], 0, 120)
                return
            delivery.update(details)
        self.terminal.machine.delivery_done(delivery)

    def errors(self) -> dict[str, str]:
        return {k: e.message.get(self.lang) for k, e in self._errors.items() if e is not None}

    def _show_error(self, key: str, error: forms.FieldError | None) -> None:
        self._errors[key] = error
        label = self.error_labels[key]
        label.setText(error.message.get(self.lang) if error is not None else "")
        label.setVisible(error is not None)
        self.edits[key].setProperty("invalid", error is not None)
        repolish(self.edits[key])

    # -- rendering -------------------------------------------------------------------------
    def refresh(self) -> None:  # Screen.render, not QWidget.render
        self.apply_style()
        m = self.m
        lang = self.lang
        item = current_item(self.terminal)
        self.header.set_texts(lang, self.t("delivery.title"))
        self.hint.setText(self.t("delivery.hint"))
        self.next.setText(self.t("delivery.next"))
        department = item.department.get(lang) if item is not None else ""
        for method, button in self.choices.items():
            title, body, mark = self._choice_labels[method]
            title.setText(self.t(f"app.delivery.{method}"))
            body.setText(self.t(f"delivery.{method}.body", department=department))
            chosen = method == self.method
            mark.setText("●" if chosen else "○")
            button.setChecked(chosen)
            button.set_min_height(m.target_px + 40)
        self.express.setVisible(self.method == Delivery.EXPRESS.value)
        self.express_title.setText(self.t("delivery.address_title"))
        for f in EXPRESS_FIELDS:
            self.labels[f.key].setText(self.t(f"delivery.{f.key}"))
            error = self._errors.get(f.key)
            if error is not None:
                self.error_labels[f.key].setText(error.message.get(lang))
        if self.problem.isVisible():
            self.problem.setText(self.t("delivery.choose_first"))
        self.keyboard.apply_metrics(m)
        self.keyboard.refresh()
        self.arrange()
