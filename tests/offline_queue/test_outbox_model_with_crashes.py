"""A stateful model of the outbox with crashes (offline-sync.md §10 L0, reliability.md A8).

Rules: enqueue an application or an evaluation (sometimes crashing inside), deliver
with a platform fault (dropped before/after the platform committed, 500 after commit,
503 with Retry-After, a captive portal) and sometimes a crash at a delivery crash
point, restart (close without commit, reopen), step the clock. After every step:
every receipt handed out is either still queued locally or finalized on the platform;
nothing is purged before the platform has it; the platform holds nothing the terminal
does not. At the end the queue drains with no loss and no duplicate.

Example count: OQ_MODEL_EXAMPLES (default CI-sized; raise it for a nightly run).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from offline_queue import crashpoints, credentials
from offline_queue.clock import FakeClock
from offline_queue.model import State
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from tests.offline_queue.helpers import make_app

EXAMPLES = int(os.environ.get("OQ_MODEL_EXAMPLES", "12"))
ENQUEUE_CRASHES = ("enqueue.file_fsynced", "enqueue.files_durable", "enqueue.committed")
SYNC_CRASHES = ("put.answered", "patch.answered", "finalize.answered", "deliver.before_ack", "purge.committed",
                "purge.unlinked", "evaluation.answered")
FAULTS = ("none", "drop_before", "drop_after", "status_after", "refuse", "captive_portal")


class OutboxModel(RuleBasedStateMachine):
    platform: Any  # bound by the test to the running reference platform

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="oq-model-"))
        self.storage = self.dir / "storage"
        self.clock = FakeClock()
        self.acked: dict[str, str] = {}  # submission id -> receipt (the resident holds it)
        self.maybe: set[str] = set()  # committed but the caller never heard back
        self.evaluations: set[str] = set()
        self.box: Outbox | None = None
        self.baseline = 0

    @initialize()
    def provision(self) -> None:
        terminal_id, token = self.platform.enroll()
        credentials.save(self.storage, credentials.Credentials(terminal_id, token, self.platform.url, "H", "N"))
        self.baseline = self.platform.count_submissions()
        self.box = Outbox(self.storage, clock=self.clock)

    @property
    def outbox(self) -> Outbox:
        assert self.box is not None
        return self.box

    def restart(self) -> None:
        self.outbox.abandon()
        self.box = Outbox(self.storage, clock=self.clock)

    # -- rules ---------------------------------------------------------------------------------
    @rule(seed=st.integers(0, 10_000), pages=st.integers(0, 2), crash=st.sampled_from((None, *ENQUEUE_CRASHES)))
    def enqueue(self, seed: int, pages: int, crash: str | None) -> None:
        app = make_app(seed=seed, pages=max(1, pages), page_size=3000) if pages else make_app(item="OQ-0002", seed=seed)
        if crash is None:
            receipt = self.outbox.enqueue(app)
            self.acked[receipt.submission_id] = receipt.receipt_no
            return
        before = {r[0] for r in self.outbox.db.query("SELECT id FROM submissions")}
        try:
            with crashpoints.hooked(crashpoints.crash_at(crash)):
                receipt = self.outbox.enqueue(app)
            if app.materials or crash != "enqueue.file_fsynced":
                raise AssertionError("the crash point was not reached")
            self.acked[receipt.submission_id] = receipt.receipt_no
            return
        except crashpoints.SimulatedCrash:
            pass
        self.restart()
        after = {r[0] for r in self.outbox.db.query("SELECT id FROM submissions")}
        new = after - before
        if crash == "enqueue.committed":
            assert len(new) == 1
            self.maybe |= new
        else:
            assert new == set(), "a crash before the commit left a row"

    @rule(rating=st.integers(1, 5))
    def evaluate(self, rating: int) -> None:
        sid = next(iter(self.acked), None)
        self.evaluations.add(self.outbox.enqueue_evaluation(rating, submission_id=sid))

    @rule(fault=st.sampled_from(FAULTS), where=st.sampled_from(("/v1/submissions/", "/v1/evaluations/")),
          times=st.integers(1, 3), crash=st.sampled_from((None, None, *SYNC_CRASHES)))
    def sync(self, fault: str, where: str, times: int, crash: str | None) -> None:
        from kiosk.refplatform.faults import Fault, FaultKind

        if fault != "none":
            self.platform.inject(Fault(FaultKind(fault), path_prefix=where, times=times, status=500 if fault ==
                                       "status_after" else 503, retry_after="7" if fault == "refuse" else None))
        worker = SyncWorker(self.outbox, clock=self.clock)
        try:
            if crash is None:
                worker.run_once(ignore_timers=True)
            else:
                try:
                    with crashpoints.hooked(crashpoints.crash_at(crash)):
                        worker.run_once(ignore_timers=True)
                except crashpoints.SimulatedCrash:
                    self.restart()
                    return
        finally:
            self.platform.clear_faults()
        worker.stop()

    @rule()
    def power_cut(self) -> None:
        self.restart()

    @rule(seconds=st.sampled_from((5, 90, 3600, -7200)))
    def clock_step(self, seconds: int) -> None:
        if seconds > 0:
            self.clock.advance(seconds)
        else:  # an NTP step backwards: wall time only
            self.clock.set_wall(self.clock.now() + dt.timedelta(seconds=seconds))

    @precondition(lambda self: self.box is not None)
    @rule()
    def worker_on_timers(self) -> None:
        """A pass that honours backoff (it may do nothing): must never lose anything either."""
        worker = SyncWorker(self.outbox, clock=self.clock)
        worker.run_once()
        worker.stop()

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def nothing_lost_nothing_invented(self) -> None:
        if self.box is None:
            return
        rows = {r[0]: (r[1], r[2]) for r in self.outbox.db.query("SELECT id, receipt_no, state FROM submissions")}
        for sid in self.acked:
            assert sid in rows, "an acknowledged application vanished"
            state = rows[sid][1]
            if state in ("delivered", "purged"):
                assert self.platform.case_of_submission(sid) is not None, "purged before the platform had it"
        assert set(self.acked) | self.maybe == set(rows)
        assert self.platform.count_submissions() - self.baseline <= len(rows)
        assert all(state != "quarantined" for _, state in rows.values()), "a transient fault quarantined something"

    def teardown(self) -> None:
        try:
            if self.box is None:
                return
            self.platform.clear_faults()
            self.restart()
            worker = SyncWorker(self.outbox, clock=self.clock)
            for _ in range(3):
                worker.run_once(ignore_timers=True)
            worker.stop()
            status = self.outbox.status()
            assert status.pending == status.delivering == status.quarantined == 0, status
            assert status.evaluations_pending == 0 and status.evaluations_quarantined == 0
            for sid, receipt_no in self.acked.items():
                case = self.platform.case_of_submission(sid)
                assert case is not None and case["receipt_no"] == receipt_no, "lost"
                assert self.outbox.lookup(receipt_no).state is State.PURGED
            rows = self.outbox.db.query("SELECT count(*) FROM submissions")[0][0]
            assert self.platform.count_submissions() - self.baseline == rows, "duplicate or missing on the platform"
            assert self.outbox.files.names() == []
            self.outbox.close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def test_outbox_survives_crashes_and_faults(platform: Any) -> None:
    bound = type("BoundOutboxModel", (OutboxModel,), {"platform": platform})
    run_state_machine_as_test(bound, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=10, deadline=None, suppress_health_check=list(HealthCheck)))
