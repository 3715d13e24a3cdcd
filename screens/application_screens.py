"""The application path from choosing an item to the review page, for the window
(`KioskWindow(terminal, extra_screens=APPLICATION_SCREENS)`), and its tour verbs
(INTERFACES.md §4: choose_item, accept_commitment, fill_form, delivery).

Every verb taps the real widgets, as a resident would, and shoots every screen shown.
A verb asked for on the wrong screen raises InvalidIntent (the tour then fails,
naming the step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.visit import InvalidIntent, Step
from screens.base import Screen
from screens.catalog_screen import CatalogScreen, catalog_of
from screens.commitment_screen import CommitmentScreen
from screens.delivery_screen import DeliveryScreen
from screens.form_screen import FormScreen
from screens.guide_screen import GuideScreen
from screens.review_screen import ReviewScreen

if TYPE_CHECKING:  # the tour imports the window, which imports these screens
    from screens.tour import Tour

APPLICATION_SCREENS: tuple[type[Screen], ...] = (
    CatalogScreen, GuideScreen, CommitmentScreen, FormScreen, DeliveryScreen, ReviewScreen,
)


def pinyin_initials(name: str) -> str:
    """无犯罪记录证明 → wfzjlzm: what a resident types to find it."""
    # Late: pypinyin's phrase dictionary costs ~0.3 s to import, and only a tour needs it.
    from pypinyin import Style, lazy_pinyin

    initials = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return "".join(c for c in "".join(initials).lower() if c.isascii() and c.isalnum())


def _screen(tour: Tour, step: Step, verb: str) -> Screen:
    if tour.machine.step is not step:
        raise InvalidIntent(verb, tour.machine.step)
    return tour.window.screens[step]


def choose_item(tour: Tour, step: dict[str, Any]) -> None:
    """On the catalog: type the pinyin initials of the item's name on the on-screen
    keyboard (or tap its category if the search does not show it), tap its tile, shoot
    the guide, tap 开始办理."""
    screen = _screen(tour, Step.CATALOG, "choose_item")
    assert isinstance(screen, CatalogScreen)
    code = str(step.get("code", ""))
    item = catalog_of(tour.terminal).get(code)
    if item is None:
        raise KeyError(f"no item {code!r} in the catalog")
    screen.clear_search()
    screen.open_keyboard()
    for letter in pinyin_initials(item.name.zh):
        if letter.isdigit() != screen.keyboard.digits_mode:
            tour.click("key:mode")
        tour.click(f"key:{letter}")
    tile = screen.tile_for(code)
    if tile is None:
        screen.clear_search()
        screen.keyboard.detach()
        tour.click(f"category:{item.category}")
        tile = screen.tile_for(code)
    tour.shoot()
    if tile is None:
        raise InvalidIntent(f"choose_item {code}", tour.machine.step)
    tour.click(f"item:{code}")
    tour.wait_step(Step.GUIDE)
    tour.shoot()
    tour.click("begin_application")
    tour.wait_step(Step.COMMITMENT)
    tour.shoot()


def accept_commitment(tour: Tour, step: dict[str, Any]) -> None:
    screen = _screen(tour, Step.COMMITMENT, "accept_commitment")
    assert isinstance(screen, CommitmentScreen)
    if step.get("sign", True):
        screen.pad.sign_programmatically()
    tour.shoot()
    tour.click("accept_commitment")
    tour.wait_step(Step.FORM, Step.REVIEW)
    tour.shoot()


def fill_form(tour: Tour, step: dict[str, Any]) -> None:
    screen = _screen(tour, Step.FORM, "fill_form")
    assert isinstance(screen, FormScreen)
    values = step.get("values", {})
    if not isinstance(values, dict):
        raise ValueError("fill_form: values must be an object")
    screen.set_values(values)
    tour.shoot()
    tour.click("form_next")
    if tour.machine.step is Step.FORM:
        tour.shoot("form-errors")
        wrong = screen.errors()
        raise ValueError("the form has mistakes in: " + ", ".join(f"{k} ({v})" for k, v in wrong.items()))
    tour.shoot()


def delivery(tour: Tour, step: dict[str, Any]) -> None:
    if tour.machine.step is Step.MATERIALS:
        tour.click("materials_next")
        if tour.machine.step is Step.MATERIALS:
            tour.shoot("materials-incomplete")
            raise InvalidIntent("materials_next (materials missing)", Step.MATERIALS)
    screen = _screen(tour, Step.DELIVERY, "delivery")
    assert isinstance(screen, DeliveryScreen)
    method = str(step.get("method", ""))
    if f"delivery:{method}" not in {f"delivery:{m}" for m in screen.choices}:
        raise ValueError(f"this service offers no delivery by {method!r}")
    tour.click(f"delivery:{method}")
    if method == "express":
        screen.set_details(step.get("recipient"), step.get("phone"), step.get("address"))
    tour.shoot()
    tour.click("delivery_next")
    if tour.machine.step is Step.DELIVERY:
        tour.shoot("delivery-errors")
        raise ValueError("the delivery details have mistakes in: " + ", ".join(screen.errors()))
    tour.wait_step(Step.REVIEW)
    tour.shoot()


def register_tour_verbs(tour: Tour) -> None:
    tour.verbs["choose_item"] = lambda step: choose_item(tour, step)
    tour.verbs["accept_commitment"] = lambda step: accept_commitment(tour, step)
    tour.verbs["fill_form"] = lambda step: fill_form(tour, step)
    tour.verbs["delivery"] = lambda step: delivery(tour, step)
