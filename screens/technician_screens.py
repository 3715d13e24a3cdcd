"""Technician mode and staff assistance, for the window (issue 9).

    window = KioskWindow(terminal, extra_screens=APPLICATION_SCREENS + TECHNICIAN_SCREENS)
    wiring = wire_technician(window, add_banner=True)   # long press → PIN → technician screen
    ...
    register_tour_verbs(tour)                           # `technician`, `assist`

`wire_technician` installs the corner long-press detector, the PIN pad, the staff
sign-in pad and (optionally) the assisted-visit banner; it takes the terminal's
`supervisor`, `disk_guard` and `nightly` when the terminal has them, else it makes a
DeviceSupervisor fed by the device registry so the technician screen can show resets.
The nightly job, when there is one, is ticked every 30 s from the Qt loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QBoxLayout

from kiosk.maintenance import DeviceSupervisor, DiskGuard, NightlyJob, registry_resetter
from kiosk.staff import TechnicianLock
from kiosk.visit import InvalidIntent, Step
from screens.assist import AssistBanner, StaffAssist, StaffSignInOverlay
from screens.base import Screen
from screens.keyboard import KeyboardKind
from screens.pin_screen import HOLD_MS, LongPressDetector, PinOverlay
from screens.technician_screen import (
    DevicesSection,
    PlatformSection,
    StaffSection,
    TechnicianScreen,
    TechnicianServices,
)

if TYPE_CHECKING:  # window.py and tour.py may import this module: no import cycle
    from screens.tour import Tour
    from screens.window import KioskWindow

log = logging.getLogger(__name__)

TECHNICIAN_SCREENS: tuple[type[Screen], ...] = (TechnicianScreen,)
RESTART_EXIT_CODE = 75  # kiosk.service restarts on any exit; 75 tells the journal it was asked for
NIGHTLY_TICK_MS = 30_000
ENTRY_STEPS = (Step.ATTRACT, Step.OUT_OF_SERVICE)


class _ScanBridge(QObject):
    scanned = Signal(str, object)


@dataclass
class TechnicianWiring:
    screen: TechnicianScreen
    services: TechnicianServices
    detector: LongPressDetector
    pin: PinOverlay
    assist: StaffAssist
    banner: AssistBanner
    sign_in: StaffSignInOverlay
    nightly_timer: QTimer | None = None
    scan_bridge: _ScanBridge | None = None

    def open_pin_pad(self) -> None:
        """What the long press does (the tour and tests may call it directly)."""
        self.pin.open()


def _quit_app(window: KioskWindow, code: int) -> None:
    window.allow_close = True
    window.close()
    app = QApplication.instance()
    if app is not None:
        app.exit(code)


def wire_technician(
    window: KioskWindow,
    *,
    lock: TechnicianLock | None = None,
    supervisor: DeviceSupervisor | None = None,
    disk: DiskGuard | None = None,
    nightly: NightlyJob | None = None,
    hold_ms: int = HOLD_MS,
    add_banner: bool = False,
    listen_to_scanner: bool = False,
    restart: Callable[[], None] | None = None,
    quit: Callable[[], None] | None = None,
) -> TechnicianWiring:
    """Wire technician mode and staff assistance into a window that has
    TECHNICIAN_SCREENS. `add_banner` puts the assisted-visit banner under the top bar.
    Scanned codes reach `StaffAssist.handle_scan` through `terminal.scan_hooks` (offered
    every scan first); `listen_to_scanner` is for a terminal without that list."""
    screen = window.screens.get(Step.TECHNICIAN)
    if not isinstance(screen, TechnicianScreen):
        raise RuntimeError("the window has no technician screen: pass extra_screens=TECHNICIAN_SCREENS")
    terminal = window.terminal
    services = screen.services
    if lock is not None:
        services.lock = lock
    services.supervisor = supervisor or _attr(terminal, "supervisor", DeviceSupervisor)
    if services.supervisor is None:
        made = DeviceSupervisor(clock=terminal.clock, reset=registry_resetter(terminal.devices))
        terminal.devices.on_health(made.observe)
        services.supervisor = made
    services.disk = disk or _attr(terminal, "disk_guard", DiskGuard)
    services.nightly = nightly or _attr(terminal, "nightly", NightlyJob)
    services.restart = restart or (lambda: _quit_app(window, RESTART_EXIT_CODE))
    services.quit = quit or (lambda: _quit_app(window, 0))

    pin = PinOverlay(window, services.lock, lambda: window.machine.visit.language)

    def allowed() -> bool:
        return window.machine.step in ENTRY_STEPS and not pin.isVisible()

    detector = LongPressDetector(window, allowed=allowed, hold_ms=hold_ms)
    app = QApplication.instance()
    if app is not None:
        app.installEventFilter(detector)
    detector.triggered.connect(pin.open)

    def enter() -> None:
        log.info("technician mode entered")
        window.machine.enter_technician()

    pin.accepted.connect(enter)

    assist = StaffAssist(terminal, services.staff)
    banner = AssistBanner(assist)
    sign_in = StaffSignInOverlay(window, assist)
    banner.sign_in_requested.connect(sign_in.open)
    if add_banner:
        layout = window.layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(1, banner)
    else:
        banner.hide()

    wiring = TechnicianWiring(screen, services, detector, pin, assist, banner, sign_in)
    hooks = getattr(terminal, "scan_hooks", None)
    if isinstance(hooks, list):
        # The terminal offers every scanned text to these before anything else.
        hooks.append(assist.handle_scan)
    elif listen_to_scanner:
        bridge = _ScanBridge()
        bridge.scanned.connect(lambda kind, event: _scan(assist, kind, event), Qt.ConnectionType.QueuedConnection)
        terminal.devices.on_event(bridge.scanned.emit)
        wiring.scan_bridge = bridge
    if services.nightly is not None:
        job = services.nightly
        timer = QTimer(window)
        timer.setInterval(NIGHTLY_TICK_MS)
        timer.timeout.connect(lambda: job.tick(terminal.background))
        timer.start()
        wiring.nightly_timer = timer
    screen.wiring = wiring
    return wiring


def _attr(obj: object, name: str, kind: type[Any]) -> Any:
    value = getattr(obj, name, None)
    return value if isinstance(value, kind) else None


def _scan(assist: StaffAssist, kind: str, event: object) -> None:
    from drivers.scanner.events import CodeScanned

    if kind == "scanner" and isinstance(event, CodeScanned):
        assist.handle_scan(event.text)


def wiring_of(window: KioskWindow) -> TechnicianWiring:
    screen = window.screens.get(Step.TECHNICIAN)
    wiring = getattr(screen, "wiring", None)
    if not isinstance(wiring, TechnicianWiring):
        raise RuntimeError("wire_technician(window) was not called")
    return wiring


# -- tour verbs -------------------------------------------------------------------------------------


def _long_press(tour: Tour, wiring: TechnicianWiring) -> None:
    """Press the top-left corner as a finger would and hold it until the pad opens."""
    from PySide6.QtTest import QTest

    window = tour.window
    spot = QPoint(24, 24)
    target = window.childAt(spot) or window
    local = target.mapFrom(window, spot)
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, local)
    try:
        tour.wait_for(lambda: wiring.pin.isVisible(), wiring.detector.hold_ms / 1000 + 3, "the PIN pad")
    finally:
        QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, local)


def _type_pin(tour: Tour, pin: str) -> None:
    tour.click("pin:clear")
    for digit in pin:
        tour.click(f"pin:{digit}")
    tour.click("pin:ok")


def technician(tour: Tour, step: dict[str, Any]) -> None:
    """Long press → PIN pad → technician screen; test each device and shoot each section;
    optionally add a staff member (their QR is shot); back to service."""
    wiring = wiring_of(tour.window)
    if tour.machine.step not in ENTRY_STEPS:
        raise InvalidIntent("technician", tour.machine.step)
    _long_press(tour, wiring)
    tour.shoot("technician-pin")
    if step.get("wrong_pin"):
        _type_pin(tour, str(step["wrong_pin"]))
        tour.shoot("technician-pin-wrong")
    _type_pin(tour, str(step.get("pin", "246810")))
    if tour.machine.step is not Step.TECHNICIAN:
        tour.shoot("technician-pin-refused")
        raise InvalidIntent("technician (PIN refused)", tour.machine.step)
    tour.shoot("technician-devices")
    if step.get("device_tests", True):
        _device_tests(tour, wiring)
    sections = step.get("sections", ["outbox", "platform", "logs", "staff", "system"])
    for key in sections:
        tour.click(f"section:{key}")
        tour.pump(50)
        if key == "staff" and isinstance(step.get("add_staff"), dict):
            _add_staff(tour, wiring, step["add_staff"])
        if key == "platform" and step.get("check_platform", True):
            _check_platform(tour, wiring)
        tour.shoot(f"technician-{key}")
    if step.get("leave", True):
        tour.click("technician:leave")
        tour.wait_step(*ENTRY_STEPS)
        tour.shoot()


def _check_platform(tour: Tour, wiring: TechnicianWiring) -> None:
    section = wiring.screen.sections["platform"]
    assert isinstance(section, PlatformSection)
    section.last_check = None
    tour.click("platform:check")
    tour.wait_for(lambda: section.last_check is not None, 15, "the platform check")


def _device_tests(tour: Tour, wiring: TechnicianWiring) -> None:
    section = wiring.screen.sections["devices"]
    assert isinstance(section, DevicesSection)
    simulators = tour.terminal.devices.simulators
    waiting_texts = {tour_text(wiring, k) for k in ("tech.printing", "tech.card_wait", "tech.scan_wait",
                                                     "tech.camera_wait")}

    def result_of(kind: str) -> str:
        return section.results.get(kind, "")

    for kind in ("printer", "id_reader", "scanner", "camera"):
        runner = tour.terminal.devices.runner(kind)
        if runner is None and kind != "camera":
            continue
        tour.click(f"test:{kind}")
        if kind == "id_reader" and "id_reader" in simulators:
            from drivers.id_reader.sim import sample_card

            simulators["id_reader"].remove_card()
            tour.pump(300)
            simulators["id_reader"].put_card(sample_card("resident"))
        if kind == "scanner" and "scanner" in simulators:
            simulators["scanner"].scan("KIOSK-TEST 扫码测试 0123456789")
        def finished(k: str = kind) -> bool:
            return bool(result_of(k)) and result_of(k) not in waiting_texts

        try:
            tour.wait_for(finished, 45, f"the {kind} test")
        except TimeoutError:
            log.warning("tour: %s test gave no result", kind)
        if kind == "id_reader" and "id_reader" in simulators:
            simulators["id_reader"].remove_card()
        tour.shoot(f"technician-test-{kind.replace('_', '-')}")


def tour_text(wiring: TechnicianWiring, key: str) -> str:
    from kiosk.strings import t

    return t(key, wiring.screen.lang)


def _add_staff(tour: Tour, wiring: TechnicianWiring, staff: dict[str, Any]) -> None:
    section = wiring.screen.sections["staff"]
    assert isinstance(section, StaffSection)
    section.staff_id.setText(str(staff.get("staff_id", "S001")))
    section.staff_name.setText(str(staff.get("name", "王芳")))
    section.staff_pin.setText(str(staff.get("pin", "135790")))
    tour.click("staff:add")
    tour.pump(50)


def assist(tour: Tour, step: dict[str, Any]) -> None:
    """A staff member identifies: by staff id and PIN after a resident's call for
    staff (default), or by scanning their staff code (`"via": "scan"`, or a literal
    `staff_code`). With `name`, the staff member is first registered as a technician
    would (their code is then what a scan sends)."""
    wiring = wiring_of(tour.window)
    machine = tour.machine
    code = step.get("staff_code")
    staff_id = str(step.get("staff_id", ""))
    pin = str(step.get("pin", ""))
    if step.get("name"):
        code = wiring.services.staff.add(staff_id, str(step["name"]), pin)
    if machine.step is Step.ATTRACT and not (code and step.get("via") == "scan"):
        tour.click("start")
        tour.wait_step(Step.HOME)
    if code and (step.get("via") == "scan" or "staff_code" in step):
        scanner = tour.terminal.devices.simulators.get("scanner")
        if scanner is None:
            raise InvalidIntent("assist by scan (no simulated scanner)", machine.step)
        scanner.scan(str(code))
        tour.wait_for(lambda: machine.visit.assisted_by is not None, 5,
                      "the staff code scan (is StaffAssist.handle_scan wired to the scanner?)")
        tour.shoot("assisted")
        return
    tour.click("help")
    tour.wait_for(lambda: wiring.banner.button.isVisible() or not wiring.banner.isVisibleTo(tour.window), 3,
                  "the call for staff")
    tour.shoot("help-called")
    if not wiring.banner.isVisibleTo(tour.window):
        wiring.sign_in.open()  # the banner is not in this window's layout: open the pad directly
    else:
        tour.click("staff_sign_in")
    overlay = wiring.sign_in
    overlay.staff_id.setText(staff_id)
    overlay.keyboard.attach(overlay.pin, KeyboardKind.DIGITS)
    for digit in pin:
        tour.click(f"key:{digit}")
    tour.shoot("staff-sign-in")
    tour.click("assist:ok")
    if machine.visit.assisted_by is None:
        tour.shoot("staff-sign-in-refused")
        raise ValueError("the staff sign-in was refused")
    tour.shoot("assisted")


def register_tour_verbs(tour: Tour) -> None:
    tour.verbs["technician"] = lambda step: technician(tour, step)
    tour.verbs["assist"] = lambda step: assist(tour, step)


__all__ = ["RESTART_EXIT_CODE", "TECHNICIAN_SCREENS", "TechnicianWiring", "register_tour_verbs",
           "wire_technician", "wiring_of"]
