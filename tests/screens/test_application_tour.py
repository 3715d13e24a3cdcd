"""The tour verbs of the application path (INTERFACES.md §4) tap the real widgets,
shoot every screen they pass, and fail naming the step when they cannot be done."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.clock import SteppableClock
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.application_screens import APPLICATION_SCREENS, pinyin_initials, register_tour_verbs
from screens.tour import Tour, TourError
from screens.window import KioskWindow
from tests.screens.test_application_screens import resident

SOCIAL_INSURANCE_CERT = "4601001030700400"  # 个人社会保险参保证明开具: no materials, no face


@pytest.fixture
def tour(qtbot, terminal: Terminal, tmp_path: Path) -> Tour:  # type: ignore[no-untyped-def]
    window = KioskWindow(terminal, extra_screens=APPLICATION_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    tour = Tour(window, SteppableClock(), tmp_path)
    register_tour_verbs(tour)
    return tour


def at_catalog(tour: Tour) -> None:
    machine = tour.machine
    machine.start()
    machine.choose_apply()
    machine.card_read(resident())
    machine.confirm_identity()


def test_application_tour_walks_catalog_to_review_shooting_every_screen(tour: Tour, tmp_path: Path) -> None:
    at_catalog(tour)
    tour.run({"steps": [
        {"do": "choose_item", "code": SOCIAL_INSURANCE_CERT},
        {"do": "accept_commitment", "sign": True},
        {"do": "fill_form", "values": {"insurance": "pension", "purpose": "other", "phone": "138 0013 8000"}},
        {"do": "delivery", "method": "pickup"},
    ]})
    assert tour.machine.step is Step.REVIEW
    visit = tour.machine.visit
    assert visit.item_code == SOCIAL_INSURANCE_CERT
    assert visit.form_values["phone"] == "13800138000"
    assert visit.delivery == {"method": "pickup"}
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    for screen in ("catalog", "guide", "commitment", "form", "materials", "delivery", "review"):
        assert any(screen in name for name in shots), (screen, shots)
    assert [r.screens[-1] for r in tour.records] == ["commitment", "form", "materials", "review"]


def test_application_tour_fill_form_with_mistakes_fails_naming_fields(tour: Tour, tmp_path: Path) -> None:
    at_catalog(tour)
    with pytest.raises(TourError, match="phone"):
        tour.run({"steps": [
            {"do": "choose_item", "code": SOCIAL_INSURANCE_CERT},
            {"do": "accept_commitment", "sign": True},
            {"do": "fill_form", "values": {"insurance": "pension", "purpose": "other", "phone": "12345"}},
        ]})
    assert tour.machine.step is Step.FORM
    assert any("form-errors" in p.name for p in tmp_path.glob("*.png"))


def test_application_tour_choose_item_off_catalog_fails(tour: Tour) -> None:
    tour.machine.start()
    with pytest.raises(TourError, match="choose_item"):
        tour.run({"steps": [{"do": "choose_item", "code": SOCIAL_INSURANCE_CERT}]})


def test_application_tour_delivery_method_the_item_does_not_offer_fails(tour: Tour) -> None:
    at_catalog(tour)
    with pytest.raises(TourError, match="express"):
        tour.run({"steps": [
            {"do": "choose_item", "code": SOCIAL_INSURANCE_CERT},
            {"do": "accept_commitment", "sign": True},
            {"do": "fill_form", "values": {"insurance": "pension", "purpose": "other", "phone": "13800138000"}},
            {"do": "delivery", "method": "express", "recipient": "x", "phone": "13800138000", "address": "y"},
        ]})


def test_application_pinyin_initials_of_item_names() -> None:
    assert pinyin_initials("无犯罪记录证明") == "wfzjlzm"
    assert pinyin_initials("婚姻登记（结婚、离婚）") == "hydjjhlh"
