"""After the application: progress queries and ratings, for the window
(`KioskWindow(terminal, extra_screens=AFTER_SCREENS)`), the scanner wiring
(`wire(terminal).handle_scan(event)` for every scanner event, on the GUI thread) and
the tour verbs `rate` and `query_progress` (INTERFACES.md §4).

Every verb taps the real widgets, or presents the receipt to the configured scanner
simulator, as a resident would; it shoots every screen shown.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kiosk.progress import LOW_RATING, ProgressDesk, ProgressResult, RateStatus, desk_for, reason_code
from kiosk.terminal import Terminal
from kiosk.visit import InvalidIntent, Step
from screens.base import Screen, find_intent
from screens.progress_screen import ProgressScreen
from screens.rate_screen import RateScreen, ThanksScreen

if TYPE_CHECKING:  # the tour imports the window, which imports these screens
    from screens.tour import Tour

log = logging.getLogger(__name__)

AFTER_SCREENS: tuple[type[Screen], ...] = (ProgressScreen, RateScreen, ThanksScreen)


def wire(terminal: Terminal) -> ProgressDesk:
    """The object whose `handle_scan(event)` takes the scanner's events (CodeScanned,
    ScanRejected) on the GUI thread. Call once at start-up; the screens share it.

    Dispatch order: a staff code is staff assistance's (`StaffAssist.handle_scan(text)`
    returns True for it) and must not reach this; everything else comes here, which
    answers receipts on attract, home and progress and ignores scans elsewhere."""
    return desk_for(terminal)


# -- tour verbs -------------------------------------------------------------------------------------
def rate(tour: Tour, step: dict[str, Any]) -> None:
    """From the receipt or a progress result: 评价 → the five choices (shoot) → the
    stars → the reasons when low (shoot) → submit → thanks (shoot)."""
    stars = int(step.get("stars", 5))
    if not 1 <= stars <= 5:
        raise ValueError("stars must be 1 to 5")
    reasons = [reason_code(str(r)) for r in step.get("reasons", [])]
    machine = tour.machine
    if machine.step is Step.RECEIPT:
        tour.click("rate")
    elif machine.step is Step.PROGRESS:
        screen = tour.window.current_screen()
        button = find_intent(screen, "rate") or find_intent(screen, "rate:0")
        if button is None or not button.isEnabled():
            raise InvalidIntent("rate (no case to rate on this result)", machine.step)
        tour.click(str(button.property("intent")))
    else:
        raise InvalidIntent("rate", machine.step)
    tour.wait_step(Step.RATE)
    screen = tour.window.screens[Step.RATE]
    assert isinstance(screen, RateScreen)
    if screen.desk.already_rated():
        tour.shoot("rate-already")
        raise AssertionError("this case or visit has been rated already")
    tour.shoot()
    tour.click(f"stars:{stars}")
    if stars <= LOW_RATING:
        for code in reasons:
            tour.click(f"reason:{code}")
        tour.shoot("rate-reasons")
    tour.click("submit_rating")
    tour.wait_for(lambda: machine.step is not Step.RATE or _rating_settled(screen.desk), 10, "the rating to be saved")
    if _step_of(tour) is not Step.THANKS:
        tour.shoot("rate-failed")
        raise AssertionError("the rating was not saved")
    tour.shoot()


def _step_of(tour: Tour) -> Step:
    return tour.machine.step


def _rating_settled(desk: ProgressDesk) -> bool:
    result = desk.rating.result
    return not desk.rating.busy and result is not None and result.status is not RateStatus.QUEUED


def query_progress(tour: Tour, step: dict[str, Any]) -> None:
    """To 查询进度 by its button, then the receipt number through the scanner simulator
    (or the keypad when there is none); shoot the result."""
    wanted = str(step.get("receipt_no", "last"))
    receipt_no = _last_receipt_no(tour) if wanted == "last" else wanted
    machine = tour.machine
    if machine.step is Step.RECEIPT and find_intent(tour.window.current_screen(), "progress") is None:
        tour.click("done")  # the receipt screen offers 完成; 查询进度 is on the start screen
        tour.wait_step(Step.ATTRACT, Step.OUT_OF_SERVICE)
    if machine.step in (Step.ATTRACT, Step.HOME, Step.RECEIPT, Step.THANKS):
        tour.click("progress")
    elif machine.step is not Step.PROGRESS:
        raise InvalidIntent("query_progress", machine.step)
    tour.wait_step(Step.PROGRESS)
    screen = tour.window.screens[Step.PROGRESS]
    assert isinstance(screen, ProgressScreen)
    desk = screen.desk
    if desk.result is not None:
        desk.query_again()
    tour.wait_for(lambda: not desk.busy, 15, "an earlier query to finish")
    tour.shoot()
    before = desk.queries_started
    simulator = tour.terminal.devices.simulators.get("scanner")
    health = tour.terminal.devices.health().get("scanner")
    via_scanner = bool(step.get("scan", True)) and simulator is not None and health is not None and health.usable
    if via_scanner:
        assert simulator is not None
        seen = desk.scans_seen
        simulator.scan(receipt_no, symbology="]Q1")
        try:
            tour.wait_for(lambda: desk.scans_seen > seen, 5, "the scan")
        except TimeoutError as exc:
            raise AssertionError("the scan did not reach the progress screen: scanner events must go to "
                                 "screens.after_screens.wire(terminal).handle_scan") from exc
    else:
        screen.keypad.type_text(receipt_no, click=tour.click)
        tour.shoot("progress-typed")
        tour.click("progress_query")

    def answered() -> bool:
        result = desk.result
        return (desk.queries_started > before and not desk.busy and isinstance(result, ProgressResult)
                and result.receipt_no == receipt_no) or (desk.notice is not None and not desk.busy)

    tour.wait_for(answered, float(step.get("timeout_s", 15)), "the progress result")
    if desk.notice is not None and desk.result is None:
        tour.shoot("progress-refused")
        raise AssertionError(f"the receipt number was refused ({desk.notice.kind.value})")
    tour.shoot()


def _last_receipt_no(tour: Tour) -> str:
    receipt_no = tour.receipt_no or tour.machine.visit.receipt_no or tour.summary().get("receipt_no")
    if not receipt_no:
        raise ValueError("no receipt number yet: submit an application first (or give receipt_no)")
    tour.receipt_no = str(receipt_no)  # kept for later steps: the visit forgets it when it ends
    return str(receipt_no)


def register_tour_verbs(tour: Tour) -> None:
    tour.verbs["rate"] = lambda step: rate(tour, step)
    tour.verbs["query_progress"] = lambda step: query_progress(tour, step)
