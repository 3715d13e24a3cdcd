"""The visit state machine: idle warnings and resets, double taps, going back."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.visit import Delays, InvalidIntent, Step, VisitMachine
from tests.fakes import FakeClock, sample_identity

DELAYS = Delays(idle_warning_s=120, idle_reset_s=30)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def machine(clock: FakeClock) -> VisitMachine:
    return VisitMachine(DELAYS, clock)


def _to_review(m: VisitMachine) -> None:
    m.start()
    m.choose_apply()
    m.card_read(sample_identity())
    m.confirm_identity()
    m.choose_item("ITEM")
    m.begin_application()
    m.accept_commitment("v1", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), b"png")
    m.form_done({"phone": "13800138000"})
    m.defer_material("M1")
    m.materials_done(needs_face=False)
    m.delivery_done({"method": "pickup"})
    assert m.step is Step.REVIEW


def test_idle_warning_then_reset_wipes_the_visit(machine: VisitMachine, clock: FakeClock) -> None:
    machine.start()
    machine.set_language("en")
    machine.set_elderly(True)
    machine.choose_apply()
    machine.card_read(sample_identity())
    clock.advance(119)
    machine.tick()
    assert not machine.idle_warning
    clock.advance(1)
    machine.tick()
    assert machine.idle_warning
    assert machine.idle_remaining_s() == pytest.approx(30)
    clock.advance(30)
    machine.tick()
    assert machine.step is Step.ATTRACT
    assert machine.visit.identity is None
    assert machine.visit.language == "zh" and machine.visit.elderly is False


def test_a_touch_during_the_warning_does_not_dismiss_it(machine: VisitMachine, clock: FakeClock) -> None:
    machine.start()
    clock.advance(125)
    machine.tick()
    machine.touch()
    clock.advance(25)
    machine.tick()
    assert machine.step is Step.ATTRACT


def test_more_time_restarts_the_idle_timer(machine: VisitMachine, clock: FakeClock) -> None:
    machine.start()
    clock.advance(125)
    machine.tick()
    machine.more_time()
    assert not machine.idle_warning
    clock.advance(119)
    machine.tick()
    assert machine.step is Step.HOME and not machine.idle_warning


def test_double_tap_on_submit_makes_one_application(machine: VisitMachine) -> None:
    _to_review(machine)
    assert machine.submit() is True
    assert machine.submit() is False
    machine.submitted("sid", "T0001-261123-00011")
    assert machine.step is Step.RECEIPT


def test_idle_reset_never_interrupts_a_submission(machine: VisitMachine, clock: FakeClock) -> None:
    _to_review(machine)
    machine.submit()
    clock.advance(10_000)
    machine.tick()
    machine.end("idle")
    assert machine.step is Step.SUBMITTING
    machine.submitted("sid", "R")
    assert machine.visit.receipt_no == "R"


def test_failed_submit_returns_to_review_with_data_kept(machine: VisitMachine) -> None:
    _to_review(machine)
    machine.submit()
    machine.submit_failed("disk_full")
    assert machine.step is Step.REVIEW
    assert machine.visit.form_values == {"phone": "13800138000"}
    assert machine.visit.submit_problem == "disk_full"


def test_edit_from_review_returns_to_review(machine: VisitMachine) -> None:
    _to_review(machine)
    machine.edit(Step.FORM)
    assert machine.step is Step.FORM
    machine.form_done({"phone": "13900139000"})
    assert machine.step is Step.REVIEW
    assert machine.visit.form_values["phone"] == "13900139000"


def test_choosing_another_item_drops_the_previous_answers(machine: VisitMachine) -> None:
    _to_review(machine)
    for _ in range(6):
        machine.back()
    assert machine.step is Step.CATALOG
    machine.choose_item("OTHER")
    assert machine.visit.form_values == {} and machine.visit.deferred == set()


def test_intent_not_offered_on_this_screen_is_refused(machine: VisitMachine) -> None:
    with pytest.raises(InvalidIntent):
        machine.confirm_identity()


def test_required_device_down_at_attract_shows_out_of_service_and_recovers(machine: VisitMachine) -> None:
    machine.set_service_available(False, "printer")
    assert machine.step is Step.OUT_OF_SERVICE
    machine.set_service_available(True)
    assert machine.step is Step.ATTRACT


def test_device_down_mid_visit_lets_the_resident_finish(machine: VisitMachine) -> None:
    _to_review(machine)
    machine.set_service_available(False, "camera")
    assert machine.step is Step.REVIEW
    machine.end()
    assert machine.step is Step.OUT_OF_SERVICE


def test_card_laid_down_at_attract_starts_a_visit(machine: VisitMachine) -> None:
    machine.card_read(sample_identity())
    assert machine.step is Step.IDENTITY


def test_identity_repr_carries_no_personal_data() -> None:
    text = repr(sample_identity()) + repr(VisitMachine(DELAYS, FakeClock()).visit)
    assert "测试金丝雀" not in text and "11010519491231002X" not in text
