"""The resident's visit as an explicit state machine, with an injected clock.

No Qt, no I/O: screens send intents (methods below), the machine changes `step` and
the visit's data, and listeners re-render. Slow work (writing the application to the
outbox, printing) is requested through `effects` and its outcome comes back as
another intent (`submitted`, `submit_failed`), so a double tap on submit can never
make two applications: the second tap finds the machine in SUBMITTING.

Idle handling follows kiosk-features.md (c): a warning after `idle_warning_s` without
a touch, with a visible countdown of `idle_reset_s` and a "more time" button; at zero
the visit ends, and ending wipes everything it held (VVSG 2.0 7.1-A: settings back
to their defaults too).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drivers.id_reader.identity import Identity

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Step(enum.Enum):
    ATTRACT = "attract"
    HOME = "home"
    IDENTIFY = "identify"
    IDENTITY = "identity"
    CATALOG = "catalog"
    GUIDE = "guide"
    COMMITMENT = "commitment"
    FORM = "form"
    MATERIALS = "materials"
    CAPTURE = "capture"
    FACE = "face"
    DELIVERY = "delivery"
    REVIEW = "review"
    SUBMITTING = "submitting"
    RECEIPT = "receipt"
    RATE = "rate"
    THANKS = "thanks"
    PROGRESS = "progress"
    OUT_OF_SERVICE = "out_of_service"
    TECHNICIAN = "technician"


class Purpose(enum.Enum):
    APPLY = "apply"
    PROGRESS = "progress"


# Steps in which the idle timer runs. ATTRACT has nothing to wipe; OUT_OF_SERVICE and
# SUBMITTING must not be interrupted (the application is being made durable).
_IDLE_STEPS = frozenset(Step) - {Step.ATTRACT, Step.OUT_OF_SERVICE, Step.SUBMITTING, Step.TECHNICIAN}

# Steps a visit may be in when a required device goes down and the kiosk can still
# finish what the resident started (the application is already on disk, or nothing
# of it needs that device any more).
_FINISHING_STEPS = frozenset({Step.SUBMITTING, Step.RECEIPT, Step.RATE, Step.THANKS})


@dataclass(frozen=True)
class Delays:
    """Every timeout of a visit, in one place (vxsuite `Delays`)."""

    idle_warning_s: float = 120.0
    idle_reset_s: float = 30.0
    receipt_s: float = 90.0  # the receipt screen returns to attract by itself after this
    thanks_s: float = 8.0


class InvalidIntent(Exception):
    """An intent the current screen does not offer (a bug in a screen, or a tour step
    that cannot be done on the screen shown)."""

    def __init__(self, intent: str, step: Step) -> None:
        super().__init__(f"{intent} is not possible on the {step.value} screen")
        self.intent = intent
        self.step = step


@dataclass
class CapturedMaterial:
    code: str
    pages: list[bytes] = field(default_factory=list, repr=False)  # JPEG of each page, rectified

    def __repr__(self) -> str:
        return f"CapturedMaterial({self.code!r}, pages={len(self.pages)})"


@dataclass
class Visit:
    """Everything one resident's visit holds. Dropped whole when the visit ends."""

    purpose: Purpose | None = None
    language: str = "zh"
    elderly: bool = False
    identity: Identity | None = None
    identity_problem: str = ""  # reason code shown on the identify screen
    item_code: str | None = None
    commitment_version: str | None = None
    commitment_accepted_at: dt.datetime | None = None
    signature_png: bytes = field(default=b"", repr=False)
    form_values: dict[str, str] = field(default_factory=dict, repr=False)
    materials: dict[str, CapturedMaterial] = field(default_factory=dict)
    deferred: set[str] = field(default_factory=set)
    capturing: str | None = None  # material code on the capture screen
    face_jpeg: bytes = field(default=b"", repr=False)
    delivery: dict[str, str] = field(default_factory=dict, repr=False)
    assisted_by: dict[str, str] | None = None
    submission_id: str | None = None
    receipt_no: str | None = None
    submit_problem: str = ""
    rating: int | None = None
    rating_reasons: list[str] = field(default_factory=list)
    progress_query: str = ""
    progress_result: Any = field(default=None, repr=False)
    came_from: Step | None = None  # REVIEW, when the resident went back to edit


Listener = Callable[["VisitMachine"], None]


class VisitMachine:
    def __init__(self, delays: Delays, clock: Clock, *, default_language: str = "zh") -> None:
        self.delays = delays
        self._clock = clock
        self.default_language = default_language
        self.step = Step.ATTRACT
        self.visit = Visit(language=default_language)
        self.out_of_service = False
        self.out_of_service_reason = ""
        self.idle_warning = False
        self._last_touch = clock()
        self._step_entered = clock()
        self._listeners: list[Listener] = []
        self.visits_ended = 0

    def __repr__(self) -> str:
        return f"VisitMachine({self.step.value}, warning={self.idle_warning})"

    # -- observation ---------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    def _go(self, step: Step) -> None:
        if step is not self.step:
            log.info("visit step %s -> %s", self.step.value, step.value)
        self.step = step
        self._step_entered = self._clock()
        self._last_touch = self._step_entered
        self.idle_warning = False
        self._changed()

    def _require(self, intent: str, *steps: Step) -> None:
        if self.step not in steps:
            raise InvalidIntent(intent, self.step)

    def refresh(self) -> None:
        """Something the screens show changed outside the visit (a print finished)."""
        self._changed()

    @property
    def active(self) -> bool:
        return self.step not in (Step.ATTRACT, Step.OUT_OF_SERVICE)

    def idle_remaining_s(self) -> float:
        """Seconds left on the warning's countdown (meaningful while `idle_warning`)."""
        elapsed = self._clock() - self._last_touch
        return max(0.0, self.delays.idle_warning_s + self.delays.idle_reset_s - elapsed)

    # -- time ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Called about once a second by the UI's timer (or a test's fake clock)."""
        now = self._clock()
        if self.step is Step.RECEIPT and now - self._step_entered >= self.delays.receipt_s:
            self.end("receipt_timeout")
            return
        if self.step is Step.THANKS and now - self._step_entered >= self.delays.thanks_s:
            self.end("thanks_done")
            return
        if self.step not in _IDLE_STEPS:
            return
        idle = now - self._last_touch
        if idle < 0:  # the clock went backwards (it is monotonic, but be safe): restart
            self._last_touch = now
            return
        if idle >= self.delays.idle_warning_s + self.delays.idle_reset_s:
            self.end("idle")
        elif idle >= self.delays.idle_warning_s and not self.idle_warning:
            self.idle_warning = True
            self._changed()

    def touch(self) -> None:
        """Any tap on the screen. Does not dismiss the warning: that takes the button."""
        if not self.idle_warning:
            self._last_touch = self._clock()

    def more_time(self) -> None:
        self._last_touch = self._clock()
        if self.idle_warning:
            self.idle_warning = False
            self._changed()

    # -- visit lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._require("start", Step.ATTRACT)
        self._go(Step.HOME)

    def end(self, why: str = "resident") -> None:
        """End the visit from anywhere; wipes everything it held."""
        if self.step is Step.SUBMITTING:
            # Never abandon an application that is being made durable; the submit's
            # outcome ends or continues the visit.
            return
        log.info("visit ended (%s)", why)
        self.visit = Visit(language=self.default_language)
        self.visits_ended += 1
        self._go(Step.OUT_OF_SERVICE if self.out_of_service else Step.ATTRACT)

    def set_language(self, language: str) -> None:
        if language not in ("zh", "en"):
            raise ValueError("language must be zh or en")
        self.visit.language = language
        self.touch()
        self._changed()

    def set_elderly(self, on: bool) -> None:
        self.visit.elderly = on
        self.touch()
        self._changed()

    def set_service_available(self, available: bool, reason: str = "") -> None:
        """Required devices up or down (the device registry's aggregate)."""
        self.out_of_service_reason = "" if available else reason
        if available == (not self.out_of_service):
            return
        self.out_of_service = not available
        if not available and self.step in (Step.ATTRACT, Step.HOME):
            self._go(Step.OUT_OF_SERVICE)
        elif available and self.step is Step.OUT_OF_SERVICE:
            self._go(Step.ATTRACT)
        else:
            self._changed()

    # -- identify --------------------------------------------------------------------------
    def choose_apply(self) -> None:
        self._require("choose_apply", Step.HOME, Step.ATTRACT)
        self.visit.purpose = Purpose.APPLY
        self._go(Step.IDENTITY if self.visit.identity else Step.IDENTIFY)

    def choose_progress(self) -> None:
        self._require("choose_progress", Step.HOME, Step.ATTRACT, Step.RECEIPT, Step.THANKS)
        self.visit.purpose = Purpose.PROGRESS
        self._go(Step.PROGRESS)

    def card_read(self, identity: Identity) -> None:
        """A card was read. At the attract screen this starts an application visit."""
        if self.step in (Step.ATTRACT, Step.HOME):
            self.visit.purpose = self.visit.purpose or Purpose.APPLY
        elif self.step is Step.PROGRESS:
            self.visit.identity = identity
            self._changed()
            return
        elif self.step is not Step.IDENTIFY:
            return  # a card laid down mid-form changes nothing
        self.visit.identity = identity
        self.visit.identity_problem = ""
        self._go(Step.IDENTITY)

    def card_failed(self, reason: str) -> None:
        """A card could not be used (removed too early, unreadable, expired): the
        identify screen says why and what to do. Nothing of the card is kept."""
        if self.step in (Step.ATTRACT, Step.HOME):
            self.visit.purpose = Purpose.APPLY
            self.visit.identity_problem = reason
            self._go(Step.IDENTIFY)
        elif self.step is Step.IDENTIFY:
            self.visit.identity_problem = reason
            self.visit.identity = None
            self.touch()
            self._changed()

    def confirm_identity(self) -> None:
        self._require("confirm_identity", Step.IDENTITY)
        self._go(Step.CATALOG)

    # -- application -----------------------------------------------------------------------
    def choose_item(self, code: str) -> None:
        self._require("choose_item", Step.CATALOG)
        if code != self.visit.item_code:
            # Another item: what was filled for the previous one does not carry over.
            self.visit.item_code = code
            self.visit.form_values = {}
            self.visit.materials = {}
            self.visit.deferred = set()
            self.visit.commitment_accepted_at = None
        self._go(Step.GUIDE)

    def begin_application(self) -> None:
        self._require("begin_application", Step.GUIDE)
        self._go(Step.COMMITMENT)

    def accept_commitment(self, version: str, at: dt.datetime, signature_png: bytes) -> None:
        self._require("accept_commitment", Step.COMMITMENT)
        if not signature_png:
            raise ValueError("a signature is required")
        self.visit.commitment_version = version
        self.visit.commitment_accepted_at = at
        self.visit.signature_png = signature_png
        self._go(self._after(Step.FORM))

    def form_done(self, values: dict[str, str]) -> None:
        self._require("form_done", Step.FORM)
        self.visit.form_values = dict(values)
        self._go(self._after(Step.MATERIALS))

    def start_capture(self, code: str) -> None:
        self._require("start_capture", Step.MATERIALS)
        self.visit.capturing = code
        self.visit.deferred.discard(code)
        self._go(Step.CAPTURE)

    def capture_done(self, pages: list[bytes]) -> None:
        self._require("capture_done", Step.CAPTURE)
        code = self.visit.capturing
        assert code is not None
        if pages:
            self.visit.materials[code] = CapturedMaterial(code, list(pages))
        self.visit.capturing = None
        self._go(Step.MATERIALS)

    def defer_material(self, code: str) -> None:
        self._require("defer_material", Step.MATERIALS)
        self.visit.materials.pop(code, None)
        self.visit.deferred.add(code)
        self.touch()
        self._changed()

    def remove_material(self, code: str) -> None:
        self._require("remove_material", Step.MATERIALS)
        self.visit.materials.pop(code, None)
        self.visit.deferred.discard(code)
        self._changed()

    def materials_done(self, needs_face: bool) -> None:
        self._require("materials_done", Step.MATERIALS)
        if needs_face and not self.visit.face_jpeg:
            self._go(Step.FACE)
        else:
            self._go(self._after(Step.DELIVERY))

    def face_captured(self, jpeg: bytes) -> None:
        self._require("face_captured", Step.FACE)
        self.visit.face_jpeg = jpeg
        self._go(self._after(Step.DELIVERY))

    def delivery_done(self, delivery: dict[str, str]) -> None:
        self._require("delivery_done", Step.DELIVERY)
        self.visit.delivery = dict(delivery)
        self._go(Step.REVIEW)

    def edit(self, step: Step) -> None:
        """From the review page back to one earlier step; 'next' there returns here."""
        self._require("edit", Step.REVIEW)
        if step not in (Step.FORM, Step.MATERIALS, Step.DELIVERY, Step.COMMITMENT):
            raise InvalidIntent(f"edit {step.value}", self.step)
        self.visit.came_from = Step.REVIEW
        self._go(step)

    def _after(self, natural: Step) -> Step:
        if self.visit.came_from is Step.REVIEW:
            self.visit.came_from = None
            return Step.REVIEW
        return natural

    def back(self) -> None:
        """The resident's 'back' button: one step towards the start of the visit."""
        previous = {
            Step.IDENTIFY: Step.HOME,
            Step.IDENTITY: Step.HOME,
            Step.CATALOG: Step.IDENTITY,
            Step.GUIDE: Step.CATALOG,
            Step.COMMITMENT: Step.GUIDE,
            Step.FORM: Step.COMMITMENT,
            Step.MATERIALS: Step.FORM,
            Step.CAPTURE: Step.MATERIALS,
            Step.FACE: Step.MATERIALS,
            Step.DELIVERY: Step.MATERIALS,
            Step.REVIEW: Step.DELIVERY,
            Step.PROGRESS: Step.HOME,
            Step.RATE: Step.RECEIPT if self.visit.receipt_no else Step.HOME,
        }
        target = previous.get(self.step)
        if target is None:
            raise InvalidIntent("back", self.step)
        self.visit.came_from = None
        if self.step is Step.CAPTURE:
            self.visit.capturing = None
        self._go(target)

    def submit(self) -> bool:
        """True when this tap starts the submission; a second tap returns False."""
        if self.step is Step.SUBMITTING or (self.step is Step.RECEIPT and self.visit.receipt_no):
            return False  # a second tap, however late it arrives, is not a second application
        self._require("submit", Step.REVIEW)
        self.visit.submit_problem = ""
        self._go(Step.SUBMITTING)
        return True

    def submitted(self, submission_id: str, receipt_no: str) -> None:
        """The application is durable on disk (not yet delivered: that is the outbox's)."""
        self._require("submitted", Step.SUBMITTING)
        self.visit.submission_id = submission_id
        self.visit.receipt_no = receipt_no
        self._go(Step.RECEIPT)

    def submit_failed(self, reason: str) -> None:
        """Nothing was written (e.g. the disk is full): back to review, data kept."""
        self._require("submit_failed", Step.SUBMITTING)
        self.visit.submit_problem = reason
        self._go(Step.REVIEW)

    # -- after -----------------------------------------------------------------------------
    def choose_rate(self) -> None:
        self._require("choose_rate", Step.RECEIPT, Step.PROGRESS)
        self._go(Step.RATE)

    def rated(self, stars: int, reasons: list[str]) -> None:
        self._require("rated", Step.RATE)
        if not 1 <= stars <= 5:
            raise ValueError("stars must be 1..5")
        self.visit.rating = stars
        self.visit.rating_reasons = list(reasons)
        self._go(Step.THANKS)

    def progress_found(self, query: str, result: Any) -> None:
        self._require("progress_found", Step.PROGRESS)
        self.visit.progress_query = query
        self.visit.progress_result = result
        self.touch()
        self._changed()

    # -- staff -----------------------------------------------------------------------------
    def enter_technician(self) -> None:
        self.visit = Visit(language=self.default_language)
        self._go(Step.TECHNICIAN)

    def leave_technician(self) -> None:
        self._require("leave_technician", Step.TECHNICIAN)
        self._go(Step.OUT_OF_SERVICE if self.out_of_service else Step.ATTRACT)

    def set_assisted(self, staff: dict[str, str] | None) -> None:
        self.visit.assisted_by = staff
        self._changed()
