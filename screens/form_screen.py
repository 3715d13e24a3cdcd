"""The application form, generated from the item's `form` fields: big inputs, plain
labels, "必填" on required fields, values read from the ID card filled in already
(kiosk.forms.prefill), and mistakes explained beside the field in plain words
(kiosk.forms) — while typing only what more typing cannot fix, fully when the resident
moves on to another field or taps "下一步".

Fields are typed on the screen's own keyboard: the numeric pad for phone numbers,
numbers, ID numbers and dates; letters with pinyin for text.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from kiosk import forms
from kiosk.catalog import CatalogItem, FieldType, FormField
from kiosk.strings import register, t
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.base import clear_layout, make_button, make_label
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
    "form.title": ("请填写申请表", "Fill in the form"),
    "form.hint": ("标有“必填”的要填写。从身份证读出的内容已经填好，请核对。点输入框，用下方键盘输入。",
                  "Fields marked 'required' must be filled in. What your ID card says is filled in already; please check it. Tap a box to type."),
    "form.required": ("必填", "required"),
    "form.from_card": ("已从身份证读取", "from your ID card"),
    "form.placeholder.phone": ("手机号码 11 位，或 区号-电话号码", "11-digit mobile, or area code and number"),
    "form.placeholder.date": ("例如 1990-01-31", "e.g. 1990-01-31"),
    "form.placeholder.id_number": ("18 位身份号码", "18-character ID number"),
    "form.placeholder.number": ("请填写数字", "A number"),
    "form.placeholder.text": ("点这里输入", "Tap to type"),
    "form.errors": ("有 {n} 项需要修改，已用红色标出。", "{n} field(s) need attention; they are marked in red."),
    "form.next": ("下一步", "Next"),
})

_KINDS = {
    FieldType.PHONE: KeyboardKind.DIGITS,
    FieldType.NUMBER: KeyboardKind.DIGITS,
    FieldType.ID_NUMBER: KeyboardKind.ID_NUMBER,
    FieldType.DATE: KeyboardKind.DATE,
}


def _value_text(value: forms.Value) -> str:
    """A normalised value as the visit keeps it (strings; checkboxes true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class FieldRow(QWidget):
    """One form field: its label, its input, and its error."""

    def __init__(self, field: FormField, lang: str) -> None:
        super().__init__()
        self.field = field
        self.error: forms.FieldError | None = None
        self.from_card = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        header = QHBoxLayout()
        header.setSpacing(12)
        self.label = make_label("field_label")
        self.required_tag = make_label("required_tag", wrap=False)
        self.note = make_label("field_note", wrap=False)
        header.addWidget(self.label, 1)
        header.addWidget(self.note)
        header.addWidget(self.required_tag)
        layout.addLayout(header)
        self.edit: QLineEdit | QPlainTextEdit | None = None
        self.options: dict[str, WrapButton] = {}
        self.option_labels: dict[str, QLabel] = {}
        self.group: QButtonGroup | None = None
        self.check: WrapButton | None = None
        self._check_mark = make_label("tile_title", wrap=False)
        self._check_text = make_label("")
        if field.type is FieldType.SELECT:
            self._build_options(layout, lang)
        elif field.type is FieldType.CHECKBOX:
            self.check = WrapButton(f"check:{field.key}", role="choice", checkable=True)
            self.check.add_row(self._check_text, self._check_mark)
            self.check.toggled.connect(lambda _on: self._update_check_mark())
            layout.addWidget(self.check)
            self.label.hide()
        elif field.type is FieldType.TEXTAREA:
            self.edit = QPlainTextEdit()
            self.edit.setObjectName(f"field:{field.key}")
            self.edit.setTabChangesFocus(True)
            layout.addWidget(self.edit)
        else:
            self.edit = QLineEdit()
            self.edit.setObjectName(f"field:{field.key}")
            layout.addWidget(self.edit)
        if self.edit is not None:
            # Our keyboard types into the field; no system input method may pop up.
            self.edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
            self.edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.error_label = make_label("field_error")
        self.error_label.hide()
        layout.addWidget(self.error_label)

    def _build_options(self, layout: QVBoxLayout, lang: str) -> None:
        holder = QWidget()
        grid = QGridLayout(holder)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        longest = max((len(o.label.get(lang)) for o in self.field.options), default=0)
        short, medium = (4, 10) if lang == "zh" else (10, 22)
        columns = min(len(self.field.options), 3 if longest <= short else 2 if longest <= medium else 1)
        for i, option in enumerate(self.field.options):
            button = WrapButton(f"option:{self.field.key}:{option.value}", role="choice", checkable=True)
            text = button.add_line("", center=columns > 1)
            self.option_labels[option.value] = text
            self.group.addButton(button)
            self.options[option.value] = button
            grid.addWidget(button, i // columns, i % columns)
        for c in range(columns):
            grid.setColumnStretch(c, 1)
        layout.addWidget(holder)

    # -- values ----------------------------------------------------------------------------
    def value(self) -> str | bool:
        if self.check is not None:
            return self.check.isChecked()
        if self.group is not None:
            return next((v for v, b in self.options.items() if b.isChecked()), "")
        if isinstance(self.edit, QPlainTextEdit):
            return self.edit.toPlainText()
        if isinstance(self.edit, QLineEdit):
            return self.edit.text()
        return ""

    def set_value(self, raw: object) -> None:
        """A value as the visit keeps it or as a tour gives it (option values or labels)."""
        if self.check is not None:
            checked = forms.validate_field(self.field, raw if isinstance(raw, bool | str) else str(raw)).value
            self.check.setChecked(bool(checked))
            return
        text = "" if raw is None else _value_text(raw) if isinstance(raw, bool | int | float) else str(raw)
        if self.group is not None:
            result = forms.validate_field(self.field, text)
            chosen = result.value if isinstance(result.value, str) else None
            self.group.setExclusive(False)
            for value, button in self.options.items():
                button.setChecked(value == chosen)
            self.group.setExclusive(True)
            return
        if isinstance(self.edit, QPlainTextEdit):
            self.edit.setPlainText(text)
        elif isinstance(self.edit, QLineEdit):
            self.edit.setText(text)

    # -- errors ----------------------------------------------------------------------------
    def show_error(self, error: forms.FieldError | None, lang: str) -> None:
        self.error = error
        self.error_label.setText(error.message.get(lang) if error is not None else "")
        self.error_label.setVisible(error is not None)
        if self.edit is not None:
            self.edit.setProperty("invalid", error is not None)
            repolish(self.edit)

    def check_now(self, lang: str, *, partial: bool) -> forms.FieldResult:
        result = forms.validate_field(self.field, self.value(), partial=partial)
        self.show_error(result.error, lang)
        return result

    # -- texts -----------------------------------------------------------------------------
    def refresh(self, lang: str, m: theme.Metrics) -> None:
        f = self.field
        self.label.setText(f.label.get(lang))
        self.required_tag.setText(t("form.required", lang) if f.required else "")
        self.required_tag.setVisible(f.required)
        self.note.setText(t("form.from_card", lang))
        self.note.setVisible(self.from_card)
        self._check_text.setText(f.label.get(lang))
        self._update_check_mark()
        for option in f.options:
            self.option_labels[option.value].setText(option.label.get(lang))
            self.options[option.value].set_min_height(m.target_px)
        if self.check is not None:
            self.check.set_min_height(m.target_px)
        if self.edit is not None:
            if isinstance(self.edit, QLineEdit):
                kind = {FieldType.PHONE: "phone", FieldType.DATE: "date", FieldType.ID_NUMBER: "id_number",
                        FieldType.NUMBER: "number"}.get(f.type, "text")
                self.edit.setPlaceholderText(t(f"form.placeholder.{kind}", lang))
            else:
                self.edit.setFixedHeight(int(m.body_px * 1.6 * 3 + 24))
        if self.error is not None:
            self.error_label.setText(self.error.message.get(lang))

    def _update_check_mark(self) -> None:
        if self.check is not None:
            self._check_mark.setText("☑" if self.check.isChecked() else "☐")


class FormScreen(ApplicationScreen):
    step = Step.FORM

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.header = StepHeader(self.step)
        self.hint = make_label("hint")
        self.scroller, self.page, self.body = scroll_page()
        self.summary = make_label("error")
        self.summary.hide()
        self.next = make_button("form_next", role="primary")
        self.next.clicked.connect(self.submit)
        self.keyboard = KeyboardPanel(lambda: self.lang)
        self.keyboard.hide()
        self.keyboard.opened.connect(self._keyboard_opened)
        self._kinds: dict[QObject, KeyboardKind] = {}
        self._tap = FieldTapFilter(self.keyboard, self._kinds, on_attach=self._field_attached)
        self.rows: dict[str, FieldRow] = {}
        self._previous: FieldRow | None = None

        column = self.dock(self.keyboard)
        column.addWidget(self.header)
        column.addWidget(self.hint)
        column.addWidget(self.scroller, 1)
        column.addWidget(self.summary)
        column.addWidget(self.next)

    # -- building --------------------------------------------------------------------------
    def entered(self) -> None:
        self._build()
        warm_up(self.terminal.background)
        self.refresh()
        self.scroller.verticalScrollBar().setValue(0)

    def left(self) -> None:
        # What the resident typed lives in the visit (form_done), not in hidden widgets.
        self.keyboard.detach()
        clear_layout(self.body)
        self.rows = {}
        self._kinds.clear()
        self._previous = None

    def _build(self) -> None:
        self.left()
        self.summary.hide()
        item = current_item(self.terminal)
        if item is None:
            return
        visit = self.terminal.machine.visit
        identity = visit.identity
        card = forms.prefill(item, identity) if identity is not None else {}
        values: Mapping[str, object] = visit.form_values or card
        for f in item.form:
            row = FieldRow(f, self.lang)
            row.from_card = f.key in card
            if f.key in values:
                row.set_value(values[f.key])
            self.rows[f.key] = row
            self.body.addWidget(row)
            if row.edit is not None:
                self._kinds[row.edit] = _KINDS.get(f.type, KeyboardKind.TEXT)
                row.edit.installEventFilter(self._tap)
                if isinstance(row.edit, QPlainTextEdit):
                    row.edit.viewport().installEventFilter(self._tap)
                    row.edit.textChanged.connect(lambda r=row: self._typed(r))
                else:
                    row.edit.textChanged.connect(lambda _text, r=row: self._typed(r))
            for button in row.options.values():
                button.clicked.connect(lambda _=False, r=row: self._chose(r))
            if row.check is not None:
                row.check.clicked.connect(lambda _=False, r=row: self._chose(r))
        self.body.addStretch(1)
        reveal(self.page)
        # Card values that fail a check (an old card's address too long…) show at once.
        for key in card:
            if self.rows[key].value():
                self.rows[key].check_now(self.lang, partial=False)

    # -- typing and checking ---------------------------------------------------------------
    def _typed(self, row: FieldRow) -> None:
        row.check_now(self.lang, partial=True)
        if self.summary.isVisible():
            self._update_summary()

    def _chose(self, row: FieldRow) -> None:
        self._leave_previous(row)
        row.check_now(self.lang, partial=False)
        if self.summary.isVisible():
            self._update_summary()

    def _field_attached(self, target: QLineEdit | QPlainTextEdit) -> None:
        row = next((r for r in self.rows.values() if r.edit is target), None)
        if row is not None:
            self._leave_previous(row)
            QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(row, 0, 24))

    def _leave_previous(self, row: FieldRow) -> None:
        """Moving on from a field checks it fully (a half-typed phone number is an error now)."""
        previous = self._previous
        if previous is not None and previous is not row and previous.field.key in self.rows:
            previous.check_now(self.lang, partial=False)
        self._previous = row

    def _keyboard_opened(self, shown: bool) -> None:
        self.hint.setVisible(not shown)

    def _update_summary(self) -> None:
        wrong = sum(1 for r in self.rows.values() if r.error is not None)
        self.summary.setText(self.t("form.errors", n=wrong))
        self.summary.setVisible(wrong > 0)

    def submit(self) -> None:
        """下一步: check everything; go on with normalised values, or show what is wrong."""
        item = current_item(self.terminal)
        if item is None:
            return
        self.keyboard.detach()
        result = forms.validate_form(item, {key: row.value() for key, row in self.rows.items()})
        for key, row in self.rows.items():
            row.show_error(result.errors.get(key), self.lang)
        self._update_summary()
        if not result.ok:
            first = next((row for row in self.rows.values() if row.error is not None), None)
            if first is not None:
                QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(first, 0, 24))
                self.scroller.ensureWidgetVisible(first, 0, 24)
            return
        self.terminal.machine.form_done({key: _value_text(value) for key, value in result.values.items()})

    # -- for the tour and tests ------------------------------------------------------------
    def set_values(self, values: Mapping[str, object]) -> None:
        unknown = sorted(set(values) - set(self.rows))
        if unknown:
            raise ValueError(f"the form has no field(s): {', '.join(unknown)}")
        for key, value in values.items():
            self.rows[key].set_value(value)

    def errors(self) -> dict[str, str]:
        return {key: row.error.message.get(self.lang) for key, row in self.rows.items() if row.error is not None}

    def focus_field(self, key: str) -> None:
        row = self.rows[key]
        if row.edit is not None:
            row.edit.setFocus()
            self.keyboard.attach(row.edit, self._kinds[row.edit])
            self._field_attached(row.edit)

    def item(self) -> CatalogItem | None:
        return current_item(self.terminal)

    # -- rendering -------------------------------------------------------------------------
    def refresh(self) -> None:  # Screen.render, not QWidget.render
        self.apply_style()
        m = self.m
        lang = self.lang
        self.header.set_texts(lang, self.t("form.title"))
        self.hint.setText(self.t("form.hint"))
        self.next.setText(self.t("form.next"))
        self.keyboard.apply_metrics(m)
        self.keyboard.refresh()
        self.body.setSpacing(m.gap_px + 12)
        for row in self.rows.values():
            row.refresh(lang, m)
        if self.summary.isVisible():
            self._update_summary()
        self.arrange()
