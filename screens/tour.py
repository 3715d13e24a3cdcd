"""`kiosk tour`: drive the real screens through a scenario, offscreen, writing
`NN-<screen>.png` for every screen shown and `summary.json` (INTERFACES.md §4).

Each step goes through the same code path a tap or a device event takes: buttons are
clicked by their intent name, fields are typed into, and device events come from the
configured (usually simulated) devices. A step that cannot be done on the screen
shown fails the tour, naming the step.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from kiosk.clock import SteppableClock
from kiosk.config import Config
from kiosk.terminal import Terminal
from kiosk.visit import InvalidIntent, Step
from screens.base import find_intent
from screens.ops import QtBackground
from screens.window import KioskWindow

log = logging.getLogger(__name__)

PORTRAIT = (1080, 1920)


class TourError(Exception):
    def __init__(self, index: int, step: dict[str, Any], message: str) -> None:
        super().__init__(f"step {index + 1} ({step.get('do')}): {message}")


@dataclass
class StepRecord:
    index: int
    do: str
    screens: list[str] = field(default_factory=list)
    ms: float = 0.0
    ok: bool = True
    error: str = ""


class Tour:
    def __init__(self, window: KioskWindow, clock: SteppableClock, out_dir: Path) -> None:
        self.window = window
        self.terminal = window.terminal
        self.machine = window.machine
        self.clock = clock
        self.out_dir = out_dir
        self.shot_index = 0
        self.records: list[StepRecord] = []
        self.submission_id: str | None = None
        self.receipt_no: str | None = None
        self.case_no: str | None = None
        self.scenario_dir = Path.cwd()
        self._current: StepRecord | None = None
        self.verbs: dict[str, Callable[[dict[str, Any]], None]] = {
            "start": self._start,
            "end": self._end,
            "wait_idle_reset": self._wait_idle_reset,
            "set_language": self._set_language,
            "set_elderly": self._set_elderly,
            "identify": self._identify,
            "defer": self._defer,
            "capture": self._capture,
            "submit": self._submit,
        }

    # -- plumbing -------------------------------------------------------------------------
    def pump(self, ms: int = 30) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            self.pump(20)

    def wait_step(self, *steps: Step, timeout_s: float = 10.0) -> None:
        self.wait_for(lambda: self.machine.step in steps, timeout_s, "/".join(s.value for s in steps))

    def click(self, intent: str) -> None:
        screen = self.window.current_screen()
        button = find_intent(screen, intent) or find_intent(self.window, intent)
        if button is None:
            raise InvalidIntent(intent, self.machine.step)
        if not button.isEnabled():
            raise InvalidIntent(f"{intent} (disabled)", self.machine.step)
        button.click()
        QCoreApplication.processEvents()

    def shoot(self, name: str | None = None) -> Path:
        QCoreApplication.processEvents()
        self.shot_index += 1
        label = name or self.machine.step.value
        if self.machine.idle_warning and name is None:
            label += "-idle-warning"
        path = self.out_dir / f"{self.shot_index:02d}-{label}.png"
        self.window.grab().save(str(path))
        if self._current is not None:
            self._current.screens.append(label)
        return path

    # -- verbs ----------------------------------------------------------------------------
    def _start(self, step: dict[str, Any]) -> None:
        self.click("start")
        self.wait_step(Step.HOME)
        self.shoot()

    def _end(self, step: dict[str, Any]) -> None:
        simulator = self.terminal.devices.simulators.get("id_reader")
        if simulator is not None:
            simulator.remove_card()
        self.machine.end("resident")
        self.wait_step(Step.ATTRACT, Step.OUT_OF_SERVICE)
        self.shoot()

    def _wait_idle_reset(self, step: dict[str, Any]) -> None:
        """Jump the visit's clock past the idle warning (screenshot it), then past the
        countdown; the visit must end and its data be gone."""
        if not self.machine.active:
            raise InvalidIntent("wait_idle_reset", self.machine.step)
        self.clock.advance(self.machine.delays.idle_warning_s + 0.5)
        self.machine.tick()
        self.wait_for(lambda: self.machine.idle_warning, 5, "the idle warning")
        self.shoot()
        self.clock.advance(self.machine.delays.idle_reset_s)
        self.machine.tick()
        self.wait_step(Step.ATTRACT, Step.OUT_OF_SERVICE)
        if self.machine.visit.identity is not None or self.machine.visit.form_values:
            raise AssertionError("the idle reset left visit data behind")
        self.shoot()

    def _identify(self, step: dict[str, Any]) -> None:
        """From attract or home: lay a card on the reader and confirm who was read.
        With a simulated reader the tour lays the scenario's sample card (default: a
        resident card); with a real one it waits for a person to do it."""
        if self.machine.step is Step.HOME:
            self.click("apply")
            self.wait_step(Step.IDENTIFY, Step.IDENTITY)
            self.shoot()
        elif self.machine.step not in (Step.ATTRACT, Step.IDENTIFY):
            raise InvalidIntent("identify", self.machine.step)
        simulator = self.terminal.devices.simulators.get("id_reader")
        if simulator is not None:
            from drivers.id_reader.sim import sample_card

            simulator.remove_card()
            simulator.put_card(sample_card(str(step.get("card", "resident"))))
        self.wait_step(Step.IDENTITY, timeout_s=float(step.get("timeout_s", 60 if simulator is None else 10)))
        self.shoot()
        self.click("confirm_identity")
        self.wait_step(Step.CATALOG)
        self.shoot()

    def _capture(self, step: dict[str, Any]) -> None:
        """On the materials screen: open the material's capture screen, play each image
        through the same path a camera still takes, then 'done'."""
        from kiosk.capture import read_image

        if self.machine.step is not Step.MATERIALS:
            raise InvalidIntent("capture", self.machine.step)
        code = str(step["material"])
        self.click(f"capture:{code}")
        self.wait_step(Step.CAPTURE)
        session = self.terminal.capture
        if session is None:
            raise InvalidIntent(f"capture {code}", self.machine.step)
        if self.terminal.camera_ready():  # shoot the live picture, not "opening the camera"
            with contextlib.suppress(TimeoutError):
                self.wait_for(lambda: session.live is not None, 5, "the camera's live picture")
            self.pump(50)
        self.shoot()
        for name in step.get("images", []):
            path = Path(name) if Path(name).is_absolute() else self.scenario_dir / name
            before = len(session.pages)
            self.terminal.capture_still(read_image(path))
            self.wait_for(lambda: not self.terminal.capture_busy, 20, "the page to be processed")
            self.shoot()
            if len(session.pages) == before:
                reason = session.last.reason if session.last else "unreadable"
                raise AssertionError(f"{path.name} was refused: {reason}")
        self.click("capture_finish")
        self.wait_step(Step.MATERIALS)
        self.shoot()

    def _defer(self, step: dict[str, Any]) -> None:
        if self.machine.step is not Step.MATERIALS:
            raise InvalidIntent("defer", self.machine.step)
        code = str(step["material"])
        self.click(f"defer:{code}")
        self.wait_for(lambda: code in self.machine.visit.deferred, 5, f"{code} deferred")
        self.shoot()

    def _submit(self, step: dict[str, Any]) -> None:
        if self.machine.step is not Step.REVIEW:
            raise InvalidIntent("submit", self.machine.step)
        self.click("submit")
        self.wait_step(Step.RECEIPT, Step.REVIEW, timeout_s=30)
        if self.machine.step is Step.REVIEW:
            raise AssertionError(f"the application was not saved ({self.machine.visit.submit_problem})")
        self.submission_id = self.machine.visit.submission_id
        self.receipt_no = self.machine.visit.receipt_no
        self.wait_for(lambda: self.terminal.receipt_print_state != "printing", 35, "the receipt printer")
        self.shoot()
        if step.get("wait_delivery", True) and self.terminal.sync is not None:
            self.wait_for_case(float(step.get("delivery_timeout_s", 20)))

    def wait_for_case(self, timeout_s: float) -> None:
        """Let the sync worker deliver; record the case number when the platform gives one."""
        outbox = self.terminal.outbox
        sync = self.terminal.sync
        if outbox is None or sync is None or not self.receipt_no:
            return
        sync.wake()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            info = outbox.lookup(self.receipt_no)
            if info.case_no:
                self.case_no = info.case_no
                return
            self.pump(100)

    def _set_language(self, step: dict[str, Any]) -> None:
        self.machine.set_language(str(step.get("language", "en")))
        self.shoot()

    def _set_elderly(self, step: dict[str, Any]) -> None:
        self.machine.set_elderly(bool(step.get("on", True)))
        self.shoot()

    # -- running --------------------------------------------------------------------------
    def run(self, scenario: dict[str, Any]) -> list[StepRecord]:
        self.machine.default_language = scenario.get("language", self.machine.default_language)
        self.machine.visit.language = self.machine.default_language
        if scenario.get("elderly_mode"):
            self.machine.set_elderly(True)
        self.pump(50)
        self.shoot()
        for index, step in enumerate(scenario.get("steps", [])):
            verb = step.get("do", "")
            record = StepRecord(index, verb)
            self._current = record
            self.records.append(record)
            started = time.perf_counter()
            handler = self.verbs.get(verb)
            if handler is None:
                record.ok, record.error = False, f"unknown step {verb!r}"
                raise TourError(index, step, record.error)
            try:
                handler(step)
                # Elderly mode and language are visit settings: a new visit resets them;
                # a scenario that asks for them keeps them for its whole length.
                if scenario.get("elderly_mode") and not self.machine.visit.elderly and not self.machine.active:
                    self.machine.set_elderly(True)
            except (InvalidIntent, TimeoutError, AssertionError, ValueError, KeyError) as exc:
                record.ok, record.error = False, str(exc)
                raise TourError(index, step, str(exc)) from exc
            finally:
                record.ms = round((time.perf_counter() - started) * 1000, 1)
        return self.records

    def summary(self) -> dict[str, Any]:
        visit = self.machine.visit
        return {
            "steps": [
                {"index": r.index, "do": r.do, "screens": r.screens, "ms": r.ms, "ok": r.ok, **({"error": r.error} if r.error else {})}
                for r in self.records
            ],
            "screenshots": self.shot_index,
            "submission_id": self.submission_id or visit.submission_id,
            "receipt_no": self.receipt_no or visit.receipt_no,
            "case_no": self.case_no,
        }


def register_all_verbs(tour: Tour) -> None:
    """The verbs each group of screens brings (imported here: they import Tour)."""
    from screens.after_screens import register_tour_verbs as after_verbs
    from screens.application_screens import register_tour_verbs as application_verbs
    from screens.technician_screens import register_tour_verbs as technician_verbs

    application_verbs(tour)
    after_verbs(tour)
    technician_verbs(tour)


def _wire(window: KioskWindow) -> None:
    from screens.technician_screens import wire_technician as wire

    wire(window, add_banner=True)


def run_tour(config: Config, scenario_path: Path, out_dir: Path, *, size: tuple[int, int] = PORTRAIT) -> int:
    try:
        scenario = json.loads(scenario_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"kiosk tour: cannot read scenario {scenario_path}: {exc}")
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("[0-9][0-9]-*.png"):
        old.unlink()
    app = QApplication.instance() or QApplication([])
    clock = SteppableClock()
    background = QtBackground()
    terminal = Terminal(config, clock=clock, background=background)
    window = KioskWindow(terminal)
    _wire(window)
    window.resize(*size)
    window.show()
    terminal.start()
    tour = Tour(window, clock, out_dir)
    tour.scenario_dir = scenario_path.parent
    register_all_verbs(tour)
    code = 0
    try:
        tour.wait_for(lambda: all(h.state.value != "connecting" for h in terminal.devices.health().values()), 10, "devices")
        terminal.refresh_service_availability()
        tour.run(scenario)
        print(f"tour: {tour.shot_index} screenshots in {out_dir}")
    except TourError as exc:
        print(f"kiosk tour: {exc}")
        try:
            tour.shoot("failed")
        except Exception:
            log.debug("could not take the failure screenshot", exc_info=True)
        code = 1
    finally:
        (out_dir / "summary.json").write_text(json.dumps(tour.summary(), ensure_ascii=False, indent=2), encoding="utf-8")
        background.wait()
        window.allow_close = True
        window.close()
        terminal.stop()
        app.processEvents()
    return code
