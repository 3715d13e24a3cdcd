"""What the progress and rating steps do without widgets (kiosk.progress.ProgressDesk,
EvaluationService), against the real reference platform: scans on the wrong screen, a
flood of scans, a receipt held under the scanner, an answer arriving after the visit
ended, a card laid on the progress step; a low rating with reasons queued through the
outbox and delivered; a second rating for the same case or visit refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drivers.scanner.codec import RejectReason
from drivers.scanner.events import CodeScanned, ScanRejected
from kiosk.progress import (
    EvaluationService,
    NoticeKind,
    Outcome,
    ProgressDesk,
    ProgressResult,
    ProgressService,
    RateStatus,
    RatingTarget,
    reason_code,
)
from kiosk.terminal import run_inline
from kiosk.visit import Delays, Step, VisitMachine
from offline_queue.model import Kind, State
from offline_queue.outbox import Outbox
from tests.fakes import CANARY_ID_NUMBER, FakeClock, sample_identity
from tests.kiosk.test_progress_service import deliver, outbox, platform, service, storage  # noqa: F401
from tests.offline_queue.helpers import make_app

Work = Callable[[], Any]
Done = Callable[[Any, BaseException | None], None]


class HeldBackground:
    """A `Background` that runs the work at once but hands the answer back only when
    the test says so (as a worker thread finishing later would)."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Any, BaseException | None, Done]] = []

    def __call__(self, work: Work, done: Done) -> None:
        try:
            self.waiting.append((work(), None, done))
        except Exception as exc:
            self.waiting.append((None, exc, done))

    def release(self) -> None:
        waiting, self.waiting = self.waiting, []
        for result, exc, done in waiting:
            done(result, exc)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def machine(clock: FakeClock) -> VisitMachine:
    return VisitMachine(Delays(), clock)


@pytest.fixture
def evaluations(outbox: Outbox) -> EvaluationService:  # noqa: F811
    return EvaluationService(lambda: outbox)


@pytest.fixture
def desk(machine: VisitMachine, service: ProgressService, evaluations: EvaluationService,  # noqa: F811
         clock: FakeClock) -> ProgressDesk:
    return ProgressDesk(machine, run_inline, service, evaluations, clock=clock)


def scan(desk: ProgressDesk, clock: FakeClock, text: str) -> None:
    clock.advance(4)  # a person, not a flood
    desk.handle_scan(CodeScanned(text))


# -- scans ------------------------------------------------------------------------------------------
def test_scan_on_attract_opens_progress_and_answers(
        desk: ProgressDesk, machine: VisitMachine, outbox: Outbox, clock: FakeClock) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=1))
    deliver(outbox)
    scan(desk, clock, receipt.receipt_no)
    assert machine.step is Step.PROGRESS
    result = desk.result
    assert isinstance(result, ProgressResult) and result.outcome is Outcome.FOUND
    assert machine.visit.progress_query == receipt.receipt_no
    assert not desk.busy and desk.notice is None


@pytest.mark.parametrize("step", ["form", "identify", "review", "receipt", "rate", "thanks"])
def test_scan_on_another_screen_is_ignored(desk: ProgressDesk, machine: VisitMachine, clock: FakeClock,
                                           step: str) -> None:
    machine.step = Step(step)  # where the visit happens to be; how it got there does not matter
    scan(desk, clock, "https://evil.example")
    scan(desk, clock, "T0001-261123-04278Q")
    assert machine.step is Step(step)
    assert desk.queries_started == 0 and desk.notice is None


def test_url_scan_shows_a_message_and_asks_nothing(desk: ProgressDesk, machine: VisitMachine, clock: FakeClock,
                                                   platform: Any) -> None:  # noqa: F811
    before = len(platform.requests())
    scan(desk, clock, "https://evil.example/phish")
    assert machine.step is Step.PROGRESS  # our own screen, to say what happened
    assert desk.notice is not None and desk.notice.kind is NoticeKind.NOT_OURS
    assert desk.queries_started == 0 and len(platform.requests()) == before
    assert desk.result is None


def test_misread_receipt_shows_a_message(desk: ProgressDesk, outbox: Outbox, clock: FakeClock) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=2)).receipt_no
    scan(desk, clock, receipt[:-1] + ("0" if receipt[-1] != "0" else "1"))
    assert desk.notice is not None and desk.notice.kind is NoticeKind.MISREAD
    assert desk.queries_started == 0


def test_flood_of_scans_is_one_message_and_no_query(desk: ProgressDesk, machine: VisitMachine,
                                                    clock: FakeClock, platform: Any) -> None:  # noqa: F811
    machine.choose_progress()
    before = len(platform.requests())
    changes = []
    machine.subscribe(lambda m: changes.append(desk.notice.kind if desk.notice else None))
    for i in range(200):
        clock.advance(0.01)
        desk.handle_scan(CodeScanned(f"FLOOD-{i:05d}"))
    desk.handle_scan(ScanRejected(RejectReason.FLOOD, 180))
    assert desk.notice is not None and desk.notice.kind is NoticeKind.FLOOD
    assert changes.count(NoticeKind.FLOOD) == 1
    assert desk.queries_started == 0 and len(platform.requests()) == before
    assert machine.step is Step.PROGRESS


def test_flood_of_valid_receipts_asks_at_most_a_few_times(
        desk: ProgressDesk, machine: VisitMachine, outbox: Outbox, clock: FakeClock) -> None:  # noqa: F811
    receipts = [outbox.enqueue(make_app(seed=10 + i)).receipt_no for i in range(3)]
    machine.choose_progress()
    for i in range(60):
        clock.advance(0.02)
        desk.handle_scan(CodeScanned(receipts[i % 3]))
    assert desk.notice is not None and desk.notice.kind is NoticeKind.FLOOD
    assert desk.queries_started <= desk.FLOOD_SCANS


def test_scanner_quiet_again_after_a_flood_answers_the_next_receipt(
        desk: ProgressDesk, machine: VisitMachine, outbox: Outbox, clock: FakeClock) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=3)).receipt_no
    machine.choose_progress()
    desk.handle_scan(ScanRejected(RejectReason.FLOOD, 40))
    clock.advance(0.5)
    desk.handle_scan(CodeScanned(receipt))
    assert desk.result is None  # still flooding: ignored
    scan(desk, clock, receipt)
    result = desk.result
    assert result is not None and result.receipt_no == receipt and desk.notice is None


def test_receipt_held_under_the_scanner_is_asked_once(
        desk: ProgressDesk, machine: VisitMachine, outbox: Outbox, clock: FakeClock) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=4)).receipt_no
    scan(desk, clock, receipt)
    for _ in range(3):
        clock.advance(0.5)
        desk.handle_scan(CodeScanned(receipt))
    assert desk.queries_started == 1
    clock.advance(5)
    desk.handle_scan(CodeScanned(receipt))  # presented again later: asked again
    assert desk.queries_started == 2


def test_unreadable_scan_says_scan_again(desk: ProgressDesk, machine: VisitMachine) -> None:
    machine.choose_progress()
    desk.handle_scan(ScanRejected(RejectReason.UNDECODABLE))
    assert desk.notice is not None and desk.notice.kind is NoticeKind.UNREADABLE
    machine.end()
    desk.handle_scan(ScanRejected(RejectReason.OVERSIZE))  # on attract: nothing to say, nowhere to go
    assert machine.step is Step.ATTRACT and desk.notice is None


def test_answer_arriving_after_the_visit_ended_is_dropped(
        machine: VisitMachine, service: ProgressService, evaluations: EvaluationService,  # noqa: F811
        outbox: Outbox, clock: FakeClock) -> None:  # noqa: F811
    held = HeldBackground()
    desk = ProgressDesk(machine, held, service, evaluations, clock=clock)
    receipt = outbox.enqueue(make_app(seed=5)).receipt_no
    scan(desk, clock, receipt)
    assert desk.busy
    machine.end("idle")
    held.release()
    assert machine.step is Step.ATTRACT and machine.visit.progress_result is None and not desk.busy


def test_newer_question_replaces_a_waiting_one(
        machine: VisitMachine, service: ProgressService, evaluations: EvaluationService,  # noqa: F811
        outbox: Outbox, clock: FakeClock) -> None:  # noqa: F811
    held = HeldBackground()
    desk = ProgressDesk(machine, held, service, evaluations, clock=clock)
    first, second, third = (outbox.enqueue(make_app(seed=20 + i)).receipt_no for i in range(3))
    for receipt in (first, second, third):
        scan(desk, clock, receipt)
    held.release()  # the first answer is stale: the third question is asked
    held.release()
    assert desk.queries_started == 2
    result = desk.result
    assert result is not None and result.receipt_no == third


def test_card_laid_on_the_progress_step_lists_the_persons_cases(
        desk: ProgressDesk, machine: VisitMachine, outbox: Outbox) -> None:  # noqa: F811
    outbox.enqueue(make_app(seed=6, id_no=CANARY_ID_NUMBER))
    deliver(outbox)
    machine.choose_progress()
    machine.card_read(sample_identity())
    result = desk.result
    assert result is not None and result.outcome is Outcome.FOUND and len(result.cases) == 1
    machine.refresh()  # re-renders do not search again
    assert desk.queries_started == 1


def test_typed_receipt_without_dashes_is_answered(
        desk: ProgressDesk, machine: VisitMachine, outbox: Outbox) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=7)).receipt_no
    machine.choose_progress()
    desk.typed(receipt.replace("-", "").lower())
    result = desk.result
    assert result is not None and result.receipt_no == receipt
    desk.typed("T0001")
    assert desk.notice is not None and desk.notice.kind is NoticeKind.TYPO
    desk.typed("")
    assert desk.notice is not None and desk.notice.kind is NoticeKind.EMPTY


# -- ratings ---------------------------------------------------------------------------------------------
def platform_evaluations(running: Any) -> list[tuple[str, str | None, int]]:
    with sqlite3.connect(f"file:{Path(running.data_dir) / 'platform.db'}?mode=ro", uri=True) as conn:
        return [(str(b), c, int(r)) for b, c, r in conn.execute("SELECT body, case_no, rating FROM evaluations")]


def test_low_rating_with_reasons_is_queued_through_the_outbox_and_delivered(
        evaluations: EvaluationService, service: ProgressService, outbox: Outbox,  # noqa: F811
        platform: Any) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=30))
    deliver(outbox)
    (case,) = service.by_receipt(receipt.receipt_no).cases
    reasons = ["办事效率", "服务态度"]
    outcome = evaluations.rate(case.rating_target(), 2, reasons, "等的时间太长")
    assert outcome.status is RateStatus.QUEUED and outcome.evaluation_id
    body = outbox.payload(Kind.EVALUATION, outcome.evaluation_id)
    assert body["rating"] == 2 and body["reasons"] == reasons and body["comment"] == "等的时间太长"
    assert body["case_no"] == case.case_no
    deliver_evaluations(outbox)
    (stored,) = platform_evaluations(platform)
    assert stored[1] == case.case_no and stored[2] == 2 and "服务态度" in stored[0]
    (again,) = service.by_receipt(receipt.receipt_no).cases
    assert again.evaluated  # the platform says so now


def deliver_evaluations(box: Outbox) -> None:
    from offline_queue.sync import SyncWorker

    worker = SyncWorker(box)
    try:
        worker.run_once(ignore_timers=True)
    finally:
        worker.stop()
    assert box.status().evaluations_delivered >= 1


def test_rating_at_the_receipt_queued_before_the_application_is_delivered(
        evaluations: EvaluationService, outbox: Outbox, platform: Any) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=31))
    target = RatingTarget(submission_id=receipt.submission_id, receipt_no=receipt.receipt_no)
    assert evaluations.rate(target, 5).status is RateStatus.QUEUED
    deliver(outbox)  # the application first, then its rating
    assert platform.count_evaluations() == 1
    assert outbox.lookup(receipt.receipt_no).state in (State.DELIVERED, State.PURGED)


def test_second_rating_for_the_same_case_is_refused(
        evaluations: EvaluationService, service: ProgressService, outbox: Outbox,  # noqa: F811
        platform: Any) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=32))
    deliver(outbox)
    (case,) = service.by_receipt(receipt.receipt_no).cases
    assert evaluations.rate(case.rating_target(), 4).status is RateStatus.QUEUED
    assert evaluations.rate(case.rating_target(), 1, ["办事效率"]).status is RateStatus.ALREADY_RATED
    # After a restart (a new service, the rating still in the outbox) …
    fresh = EvaluationService(lambda: outbox)
    assert fresh.rate(case.rating_target(), 1).status is RateStatus.ALREADY_RATED
    # … and once delivered, from another terminal's point of view: the platform knows.
    deliver_evaluations(outbox)
    (seen,) = service.by_receipt(receipt.receipt_no).cases
    assert seen.evaluated
    assert EvaluationService(lambda: outbox).rate(seen.rating_target(), 3).status is RateStatus.ALREADY_RATED
    assert platform.count_evaluations() == 1


def test_rating_at_the_receipt_then_the_same_case_from_progress_is_refused(
        evaluations: EvaluationService, service: ProgressService, outbox: Outbox) -> None:  # noqa: F811
    receipt = outbox.enqueue(make_app(seed=33))
    at_receipt = RatingTarget(submission_id=receipt.submission_id, receipt_no=receipt.receipt_no)
    assert evaluations.rate(at_receipt, 5).status is RateStatus.QUEUED
    deliver(outbox)
    (case,) = service.by_receipt(receipt.receipt_no).cases
    assert case.evaluated  # known here, before the rating has even been delivered
    assert EvaluationService(lambda: outbox).rate(case.rating_target(), 2).status is RateStatus.ALREADY_RATED


def test_second_rating_in_the_same_visit_is_refused(
        desk: ProgressDesk, machine: VisitMachine, outbox: Outbox) -> None:  # noqa: F811
    machine.choose_progress()
    desk.rate()
    assert machine.step is Step.RATE and not desk.already_rated()
    desk.submit_rating(5)
    assert machine.step is Step.THANKS and machine.visit.rating == 5
    machine.choose_progress()
    desk.rate()
    assert desk.already_rated()
    desk.submit_rating(1)
    assert machine.step is Step.RATE
    assert desk.rating.result is not None and desk.rating.result.status is RateStatus.ALREADY_RATED
    assert outbox.status().evaluations_pending == 1
    machine.end()
    machine.choose_progress()
    desk.rate()
    assert not desk.already_rated()  # a new visit may rate again


def test_rating_fails_honestly_when_nothing_can_be_stored(machine: VisitMachine, service: ProgressService,  # noqa: F811
                                                          clock: FakeClock) -> None:
    desk = ProgressDesk(machine, run_inline, service, EvaluationService(lambda: None), clock=clock)
    machine.choose_progress()
    desk.rate()
    desk.submit_rating(4)
    assert machine.step is Step.RATE
    assert desk.rating.result is not None and desk.rating.result.status is RateStatus.FAILED


def test_rating_reasons_are_named_by_code_or_label() -> None:
    assert reason_code("efficiency") == reason_code("办事效率") == reason_code("Speed") == "efficiency"
    with pytest.raises(KeyError):
        reason_code("rm -rf /")
