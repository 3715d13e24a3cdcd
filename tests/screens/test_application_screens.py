"""The application path, catalog to review, as a resident sees it: what goes wrong
when searching, signing, typing a phone or ID number, giving an address, going back
to change something, reading in English, and tapping with old eyes and hands."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget

from drivers.id_reader.identity import Identity, IdType
from kiosk.catalog import CatalogItem
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens import theme
from screens.application_screens import APPLICATION_SCREENS
from screens.base import find_intent
from screens.catalog_screen import CONTRAST_PAIRS, CatalogScreen, catalog_of
from screens.commitment_screen import CommitmentScreen
from screens.delivery_screen import DeliveryScreen
from screens.form_screen import FormScreen
from screens.guide_screen import GuideScreen
from screens.review_screen import ReviewScreen
from screens.window import KioskWindow
from tests.fakes import CANARY_ID_NUMBER, CANARY_NAME

NO_CRIMINAL_RECORD = "4601001010700100"  # 无犯罪记录证明, anyone
SECURITY_GUARD = "4601001010100200"  # 保安员证核发, 18+, resident ID cards, express or pickup
SENIOR_CARD = "4601001070700100"  # 老年人优待证办理, 60+
MARRIAGE = "4601001020300300"  # 婚姻登记, counter only
ADDRESS = "北京市东城区景山前街4号"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def resident(age: int = 30) -> Identity:
    today = dt.datetime.now().astimezone().date()
    return Identity(
        id_type=IdType.RESIDENT, name=CANARY_NAME, gender="female", birth_date=dt.date(today.year - age, 1, 1),
        id_number=CANARY_ID_NUMBER, valid_from=dt.date(2015, 3, 1), valid_until=None, nation="汉",
        address=ADDRESS, issuer="北京市公安局东城分局",
    )


@pytest.fixture
def win(qtbot, terminal: Terminal) -> KioskWindow:  # type: ignore[no-untyped-def]
    window = KioskWindow(terminal, extra_screens=APPLICATION_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    return window


def to_catalog(win: KioskWindow, identity: Identity | None = None) -> CatalogScreen:
    machine = win.machine
    machine.start()
    machine.choose_apply()
    machine.card_read(identity or resident())
    machine.confirm_identity()
    screen = win.current_screen()
    assert isinstance(screen, CatalogScreen)
    return screen


def click(win: KioskWindow, intent: str) -> None:
    button = find_intent(win.current_screen(), intent)
    assert button is not None, f"no visible button {intent!r} on {win.machine.step.value}"
    assert button.isEnabled(), f"{intent} is disabled"
    button.click()
    QApplication.processEvents()


def to_form(win: KioskWindow, code: str = SECURITY_GUARD) -> FormScreen:
    to_catalog(win)
    win.machine.choose_item(code)
    click(win, "begin_application")
    screen = win.current_screen()
    assert isinstance(screen, CommitmentScreen)
    screen.pad.sign_programmatically()
    click(win, "accept_commitment")
    form = win.current_screen()
    assert isinstance(form, FormScreen)
    return form


def fill_security_guard_form(form: FormScreen) -> None:
    form.set_values({"residence_address": "海南省海口市美兰区海甸五西路28号", "education": "college",
                     "phone": "13800138000"})


def to_delivery(win: KioskWindow) -> DeliveryScreen:
    form = to_form(win)
    fill_security_guard_form(form)
    click(win, "form_next")
    assert win.machine.step is Step.MATERIALS
    win.machine.materials_done(needs_face=False)
    screen = win.current_screen()
    assert isinstance(screen, DeliveryScreen)
    return screen


def to_review(win: KioskWindow) -> ReviewScreen:
    delivery = to_delivery(win)
    click(win, "delivery:express")
    delivery.set_details(address="海南省海口市美兰区海甸五西路28号")
    click(win, "delivery_next")
    screen = win.current_screen()
    assert isinstance(screen, ReviewScreen)
    return screen


def visible_texts(root: QWidget) -> list[str]:
    QApplication.processEvents()  # widgets added to a shown layout appear on the next loop turn
    texts: list[str] = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QLabel | QPushButton | QCheckBox):
            texts.append(widget.text())
        elif isinstance(widget, QLineEdit):
            texts.extend((widget.text(), widget.placeholderText()))
        elif isinstance(widget, QPlainTextEdit):
            texts.append(widget.toPlainText())
    return [t for t in texts if t]


def drag(widget: QWidget, points: list[tuple[float, float]]) -> None:
    """A finger on the widget: press at the first point, move through, lift at the last."""
    def send(kind: QEvent.Type, x: float, y: float, buttons: Qt.MouseButton) -> None:
        pos = QPointF(x, y)
        event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)

    send(QEvent.Type.MouseButtonPress, *points[0], Qt.MouseButton.LeftButton)
    for x, y in points[1:]:
        send(QEvent.Type.MouseMove, x, y, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseButtonRelease, *points[-1], Qt.MouseButton.NoButton)


# -- catalog ---------------------------------------------------------------------------

def test_application_search_by_pinyin_initials_finds_item(win: KioskWindow) -> None:
    catalog = to_catalog(win)
    catalog.search.setFocus()
    catalog.open_keyboard()
    for letter in "wfzjl":
        click(win, f"key:{letter}")
    assert catalog.search.text() == "wfzjl"
    shown = [code for code, tile in catalog.tile_buttons.items() if tile.isVisibleTo(catalog)]
    assert shown[0] == NO_CRIMINAL_RECORD
    click(win, f"item:{NO_CRIMINAL_RECORD}")
    assert win.machine.step is Step.GUIDE
    assert win.machine.visit.item_code == NO_CRIMINAL_RECORD


def test_application_search_by_alias_and_nothing_found_says_what_to_do(win: KioskWindow) -> None:
    catalog = to_catalog(win)
    catalog.search.setText("良民证")  # 常用称呼 of 无犯罪记录证明
    assert NO_CRIMINAL_RECORD in catalog.tile_buttons
    catalog.search.setText("qqqqq")
    assert not catalog.tile_buttons
    assert any("没有找到" in text and "分类" in text for text in visible_texts(catalog))


def test_application_ineligible_item_not_startable_with_reason(win: KioskWindow) -> None:
    catalog = to_catalog(win, resident(age=30))
    click(win, "category:卫健")
    tile = catalog.tile_for(SENIOR_CARD)
    assert tile is not None
    tile_text = " ".join(visible_texts(tile))
    assert "60" in tile_text and "30" in tile_text  # the rule and the resident's age, in words
    click(win, f"item:{SENIOR_CARD}")
    guide = win.current_screen()
    assert isinstance(guide, GuideScreen)
    assert not guide.begin.isEnabled()
    assert guide.reason.isVisible()
    assert any("年满60周岁" in text for text in visible_texts(guide))
    guide.begin.click()
    assert win.machine.step is Step.GUIDE


def test_application_counter_only_item_says_where_to_go(win: KioskWindow) -> None:
    catalog = to_catalog(win)
    click(win, "category:民政")
    item = catalog_of(win.terminal).item(MARRIAGE)
    tile = catalog.tile_for(MARRIAGE)
    assert tile is not None
    assert any(item.department.zh in text and "窗口" in text for text in visible_texts(tile))
    click(win, f"item:{MARRIAGE}")
    guide = win.current_screen()
    assert isinstance(guide, GuideScreen)
    assert not guide.begin.isEnabled()


def test_application_guide_tells_materials_pages_deferral_time_and_fee(win: KioskWindow) -> None:
    to_catalog(win)
    win.machine.choose_item("4601001010100301")  # 往来港澳通行证签注: a card (2 sides), 15 元
    guide = win.current_screen()
    text = " ".join(visible_texts(guide))
    assert "正反两面" in text and "15 元" in text and "7 个工作日" in text
    win.machine.back()
    win.machine.choose_item(SECURITY_GUARD)
    text = " ".join(visible_texts(win.current_screen()))
    assert "可容缺后补" in text and "免费" in text and "1–2 页" in text


# -- commitment ------------------------------------------------------------------------

def test_application_signature_required_before_accept(win: KioskWindow) -> None:
    to_catalog(win)
    win.machine.choose_item(SECURITY_GUARD)
    click(win, "begin_application")
    screen = win.current_screen()
    assert isinstance(screen, CommitmentScreen)
    assert not screen.accept.isEnabled()
    drag(screen.pad, [(100, 100), (104, 101)])  # a tap is not a signature
    assert not screen.accept.isEnabled()
    assert screen.need_signature.isVisible()
    width, height = screen.pad.width(), screen.pad.height()
    drag(screen.pad, [(width * (0.1 + 0.05 * i), height * (0.4 + 0.2 * (i % 2))) for i in range(12)])
    assert screen.accept.isEnabled()
    click(win, "clear_signature")
    assert not screen.accept.isEnabled()
    screen.pad.sign_programmatically()
    click(win, "accept_commitment")
    visit = win.machine.visit
    assert win.machine.step is Step.FORM
    assert visit.signature_png.startswith(PNG_MAGIC)
    assert visit.commitment_version == catalog_of(win.terminal).item(SECURITY_GUARD).commitment.version
    assert visit.commitment_accepted_at is not None and visit.commitment_accepted_at.tzinfo is not None


def test_application_assisted_visit_says_resident_must_sign_personally(win: KioskWindow) -> None:
    to_catalog(win)
    win.machine.choose_item(SECURITY_GUARD)
    click(win, "begin_application")
    screen = win.current_screen()
    assert isinstance(screen, CommitmentScreen)
    assert not screen.assisted.isVisible()
    win.machine.set_assisted({"staff_id": "S001", "name": "王"})
    assert screen.assisted.isVisible() and "本人" in screen.assisted.text()


# -- form ------------------------------------------------------------------------------

def test_application_form_prefilled_from_card(win: KioskWindow) -> None:
    form = to_form(win)
    assert form.rows["name"].value() == CANARY_NAME
    assert form.rows["id_number"].value() == CANARY_ID_NUMBER
    assert form.rows["household_address"].value() == ADDRESS
    assert form.rows["gender"].value() == "female"
    assert form.rows["name"].note.isVisible()
    assert not form.rows["phone"].note.isVisible()


def test_application_phone_with_spaces_and_fullwidth_digits_accepted(win: KioskWindow) -> None:
    form = to_form(win)
    fill_security_guard_form(form)
    form.set_values({"phone": "１３８ ００１３ ８０００"})
    assert form.rows["phone"].error is None
    click(win, "form_next")
    assert win.machine.step is Step.MATERIALS
    assert win.machine.visit.form_values["phone"] == "13800138000"
    assert win.machine.visit.form_values["education"] == "college"


def test_application_phone_typed_on_keypad_is_checked_when_moving_on(win: KioskWindow) -> None:
    form = to_form(win)
    form.focus_field("phone")
    for digit in "138001":
        click(win, f"key:{digit}")
    assert form.rows["phone"].value() == "138001"
    assert form.rows["phone"].error is None  # still typing
    form.focus_field("residence_address")  # moving on: now it is too short
    assert form.rows["phone"].error is not None
    assert form.rows["phone"].error_label.isVisible()


def test_application_bad_id_check_digit_shows_error_next_to_field(win: KioskWindow) -> None:
    form = to_form(win)
    fill_security_guard_form(form)
    row = form.rows["id_number"]
    form.set_values({"id_number": "11010519491231002"})
    assert row.error is None  # 17 characters: not finished yet
    form.set_values({"id_number": "110105194912310021"})  # the check character should be X
    click(win, "form_next")
    assert win.machine.step is Step.FORM
    assert row.error is not None and row.error.code == "id_number_check_digit"
    assert row.error_label.isVisible() and "校验码" in row.error_label.text()
    assert row.edit is not None
    assert row.error_label.parent() is row and row.error_label.y() > row.edit.y()
    assert form.summary.isVisible()
    assert form.errors().keys() == {"id_number"}


def test_application_pinyin_keyboard_types_chinese_into_text_field(win: KioskWindow) -> None:
    form = to_form(win)
    form.focus_field("employer")
    form.keyboard.type_text("xuexiao")
    assert form.keyboard.candidates[0] == "学校"
    click(win, "cand:0")
    assert form.rows["employer"].value() == "学校"
    click(win, "key:backspace")
    assert form.rows["employer"].value() == "学"


# -- delivery --------------------------------------------------------------------------

def test_application_express_requires_address(win: KioskWindow) -> None:
    delivery = to_delivery(win)
    assert set(delivery.choices) == {"express", "pickup"}
    click(win, "delivery:express")
    assert delivery.edits["recipient"].text() == CANARY_NAME
    assert delivery.edits["phone"].text() == "13800138000"  # from the form
    assert delivery.edits["address"].text() == ADDRESS  # from the card
    delivery.set_details(address="")
    click(win, "delivery_next")
    assert win.machine.step is Step.DELIVERY
    assert delivery.error_labels["address"].isVisible()
    assert "收件地址" in delivery.error_labels["address"].text()
    delivery.set_details(address="海南省海口市美兰区海甸五西路28号")
    click(win, "delivery_next")
    assert win.machine.step is Step.REVIEW
    assert win.machine.visit.delivery == {"method": "express", "recipient": CANARY_NAME,
                                          "phone": "13800138000", "address": "海南省海口市美兰区海甸五西路28号"}


def test_application_pickup_needs_no_address(win: KioskWindow) -> None:
    delivery = to_delivery(win)
    click(win, "delivery_next")
    assert win.machine.step is Step.DELIVERY  # nothing chosen yet: say so
    assert delivery.problem.isVisible()
    click(win, "delivery:pickup")
    assert not delivery.express.isVisible()
    click(win, "delivery_next")
    assert win.machine.visit.delivery == {"method": "pickup"}


# -- review ----------------------------------------------------------------------------

def test_application_review_masks_id_number_and_shows_everything(win: KioskWindow) -> None:
    review = to_review(win)
    text = " ".join(visible_texts(review))
    assert CANARY_ID_NUMBER not in text
    assert "110105********002X" in text
    assert CANARY_NAME in text and "大专" in text and "免费邮寄" in text and "已拍摄" not in text
    assert "容缺后补" not in text  # nothing was deferred
    for intent in ("edit:form", "edit:materials", "edit:delivery", "edit:commitment", "submit"):
        assert find_intent(review, intent) is not None, intent


def test_application_edit_from_review_returns_to_review(win: KioskWindow) -> None:
    to_review(win)
    click(win, "edit:form")
    form = win.current_screen()
    assert isinstance(form, FormScreen)
    assert form.rows["phone"].value() == "13800138000"  # what was typed is still there
    form.set_values({"phone": "13900139000"})
    click(win, "form_next")
    assert win.machine.step is Step.REVIEW
    assert win.machine.visit.form_values["phone"] == "13900139000"
    click(win, "edit:delivery")
    delivery = win.current_screen()
    assert isinstance(delivery, DeliveryScreen)
    assert delivery.method == "express"
    click(win, "delivery:pickup")
    click(win, "delivery_next")
    assert win.machine.step is Step.REVIEW
    assert "窗口自取" in " ".join(visible_texts(win.current_screen()))


def test_application_submit_failure_is_explained_and_data_kept(win: KioskWindow) -> None:
    review = to_review(win)
    assert win.terminal.outbox is None  # never started: nowhere to save the application
    click(win, "submit")
    assert win.machine.step is Step.REVIEW
    assert review.problem.isVisible()
    assert "没有丢失" in review.problem.text() and "工作人员" in review.problem.text()
    assert win.machine.visit.form_values["phone"] == "13800138000"
    win.machine.submit()
    win.machine.submit_failed("disk_full")
    assert "存储空间不足" in review.problem.text() and "没有丢失" in review.problem.text()


# -- every screen ----------------------------------------------------------------------

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _walk(win: KioskWindow) -> Iterator[QWidget]:
    """Every application screen in turn, with its keyboard open where it has one."""
    catalog = to_catalog(win)
    catalog.open_keyboard()
    QApplication.processEvents()
    yield catalog
    catalog.keyboard.detach()
    click(win, f"item:{SECURITY_GUARD}")
    yield win.current_screen()
    click(win, "begin_application")
    commitment = win.current_screen()
    assert isinstance(commitment, CommitmentScreen)
    commitment.pad.sign_programmatically()
    yield commitment
    click(win, "accept_commitment")
    form = win.current_screen()
    assert isinstance(form, FormScreen)
    form.focus_field("phone")
    QApplication.processEvents()
    yield form
    form.focus_field("residence_address")
    QApplication.processEvents()
    yield form
    fill_security_guard_form(form)
    click(win, "form_next")
    win.machine.materials_done(needs_face=False)
    click(win, "delivery:express")
    yield win.current_screen()
    click(win, "delivery_next")
    yield win.current_screen()


def test_application_english_texts(win: KioskWindow) -> None:
    win.machine.set_language("en")
    item: CatalogItem = catalog_of(win.terminal).item(SECURITY_GUARD)
    # Resident data and catalog content may be Chinese; the screens' own words may not.
    data = [CANARY_NAME, ADDRESS, "汉", "海南省海口市美兰区海甸五西路28号", item.commitment.text.get("en"),
            *(item.guide.get("en").split("\n") if item.guide else [])]
    seen = 0
    for screen in _walk(win):
        assert win.machine.visit.language == "en"
        for text in visible_texts(screen):
            rest = text
            for value in data:
                rest = rest.replace(value, "")
            assert not _CJK.search(rest), f"{win.machine.step.value}: untranslated {text!r}"
            seen += 1
    assert seen > 50


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
def test_application_elderly_mode_targets_at_least_90px(win: KioskWindow, size: tuple[int, int]) -> None:
    win.resize(*size)
    win.machine.set_elderly(True)
    for screen in _walk(win):
        assert win.machine.visit.elderly
        QApplication.processEvents()
        for widget in screen.findChildren(QWidget):
            if isinstance(widget, QPushButton | QLineEdit | QCheckBox) and widget.isVisibleTo(screen):
                name = widget.property("intent") or widget.objectName()
                assert widget.height() >= 90, f"{win.machine.step.value}: {name} is {widget.height()} px high"
                assert widget.width() >= 90, f"{win.machine.step.value}: {name} is {widget.width()} px wide"
        assert screen.minimumSizeHint().width() <= size[0], f"{win.machine.step.value} is wider than the panel"
        assert screen.minimumSizeHint().height() <= size[1] - 200, f"{win.machine.step.value} is taller than the panel"


def test_application_colours_have_contrast() -> None:
    for fg, bg in CONTRAST_PAIRS:
        assert theme.contrast(fg, bg) >= 4.5, (fg, bg)
