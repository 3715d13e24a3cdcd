"""The terminal without its screens: configuration, devices, the visit, the outbox.

`screens/` renders a Terminal and sends it intents; the tour and the tests drive the
same object. Nothing here imports Qt. Slow work runs through `background`, which the
Qt layer supplies (a worker pool that reports back on the GUI thread); tests and
the CLI use a synchronous one.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drivers.health import Health
from drivers.runner import DeviceRunner
from kiosk.application import build_application, jpeg_pages_to_pdf, receipt_for
from kiosk.capture import (
    CaptureSession,
    Shot,
    by_hand,
    camera_shot,
    camera_still,
    develop,
    hold_of,
    live_view,
    start_live,
    stop_live,
    unmoved,
)
from kiosk.catalog import Catalog, CatalogError, load_cached_catalog, sample_catalog
from kiosk.config import Config
from kiosk.devices import DeviceRegistry
from kiosk.maintenance import (
    Alert,
    DeviceSupervisor,
    DiskGuard,
    NightlyJob,
    collect_alerts,
    heartbeat_extras,
    registry_resetter,
    release_free_memory,
)
from kiosk.receipt import ReceiptData, build_receipt
from kiosk.visit import Delays, Step, VisitMachine
from offline_queue.errors import NotProvisioned, OutboxError, StorageFull
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncReport, SyncWorker

log = logging.getLogger(__name__)

PRINT_WAIT_S = 30.0
CAMERA_STILL_TIMEOUT_S = 20.0  # a 13 MP still: the switch, the frame, the page (~2 s simulated, cold)

Background = Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]


def run_inline(work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
    """A `Background` that runs the work at once (CLI, unit tests)."""
    try:
        result = work()
    except Exception as exc:
        done(None, exc)
        return
    done(result, None)


@dataclass
class StatusView:
    """What the status strip shows."""

    platform_reachable: bool | None = None  # None: not known yet
    devices: dict[str, Health] = field(default_factory=dict)
    queue_pending: int = 0
    help_requested: bool = False


class Terminal:
    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] = time.monotonic,
        background: Background = run_inline,
        devices: DeviceRegistry | None = None,
        start_sync: bool = True,
    ) -> None:
        self.config = config
        self.clock = clock
        self.background = background
        self.machine = VisitMachine(
            Delays(idle_warning_s=config.idle_warning_s, idle_reset_s=config.idle_reset_s),
            clock,
            default_language=config.language,
        )
        self.devices = devices if devices is not None else DeviceRegistry(config, clock=clock)
        # Resets a device that keeps falling over and, after a few, takes it offline
        # with a technician alert (screen and heartbeat).
        self.supervisor = DeviceSupervisor(clock=clock, reset=registry_resetter(self.devices))
        self.devices.on_health(self.supervisor.observe)
        self.status = StatusView()
        self._status_listeners: list[Callable[[StatusView], None]] = []
        self.devices.on_health(self._device_health)
        self.devices.on_event(self._device_event)
        self.catalog: Catalog | None = self.load_catalog()
        self.receipt_print_state = "printing"  # printing | printed | failed
        self.outbox: Outbox | None = None
        self.sync: SyncWorker | None = None
        self.start_sync = start_sync
        self.storage_problem = ""
        self.capture: CaptureSession | None = None
        self.capture_busy = False
        self._capture_listeners: list[Callable[[], None]] = []
        self.devices.on_event(self._camera_frame)  # after _device_event, before the Qt layer's relay
        self.devices.on_health(self._camera_health)
        config.storage_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.disk_guard = DiskGuard(config.storage_dir, clock=clock)
        self.nightly = NightlyJob(
            config.storage_dir, outbox=lambda: self.outbox, visit_active=lambda: self.machine.active,
            disk=self.disk_guard,
        )
        # Scanned text offered first to these (staff codes); True means "taken".
        self.scan_hooks: list[Callable[[str], bool]] = []
        self._last_step = self.machine.step
        self.machine.subscribe(self._visit_changed)

    def _visit_changed(self, machine: VisitMachine) -> None:
        if machine.step is not Step.CAPTURE and self.capture is not None:
            self.capture = None  # pages not kept by 'done' leave with the screen
        ended = machine.step is Step.ATTRACT and self._last_step is not Step.ATTRACT
        self._last_step = machine.step
        if ended:
            # A visit's frames, PDFs and screens are freed now; give the pages back
            # while nobody waits (a few ms, off the GUI thread).
            self.background(release_free_memory, lambda result, exc: None)

    def load_catalog(self) -> Catalog | None:
        """The cached catalog (works offline). With the reference platform on loopback
        and nothing cached yet (a fresh `make run`), its bundled sample."""
        try:
            cached = load_cached_catalog(self.config.storage_dir)
        except CatalogError:
            log.error("cached catalog is unreadable; waiting for the next fetch")
            cached = None
        if cached is None and self.config.platform_is_local:
            return sample_catalog()
        return cached

    def __repr__(self) -> str:
        return f"Terminal({self.config.hall!r}, {self.machine.step.value})"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.devices.start()
        self.open_outbox()
        if self.sync is not None and self.start_sync:
            try:
                self.sync.start()
            except OutboxError:
                # Another process (a technician's `kiosk sync`) is delivering; the
                # outbox still takes applications and that process delivers them.
                log.warning("sync worker not started: another process holds the worker lock")

    def stop(self) -> None:
        if self.sync is not None:
            self.sync.stop()
        self.devices.stop()
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None

    def open_outbox(self) -> None:
        """Open the outbox; a broken one puts the terminal out of service with a reason a
        technician can act on, it never crashes the app."""
        if self.outbox is not None:
            return
        try:
            self.outbox = Outbox(self.config.storage_dir)
        except OutboxError as exc:
            log.error("outbox unavailable: %s", type(exc).__name__)
            self.storage_problem = type(exc).__name__
            self.machine.set_service_available(False, "storage")
            return
        self.outbox.add_listener(self._queue_changed)
        self.sync = SyncWorker(
            self.outbox,
            device_health=self._heartbeat_devices,
            on_catalog_updated=self._catalog_updated,
            on_pass=self._sync_pass,
            heartbeat_extras=self._heartbeat_extras,
        )
        self._queue_changed()

    def _heartbeat_devices(self) -> list[dict[str, Any]]:
        return list(self.supervisor.heartbeat_devices(self.devices.health()))

    def alerts(self) -> list[Alert]:
        """Every technician alert: devices taken offline, disk, the nightly reconcile."""
        return collect_alerts(self.supervisor, self.disk_guard, self.nightly)

    def _heartbeat_extras(self) -> dict[str, Any]:
        """Sync thread: a resident's call for staff and the technician alerts, so the
        hall's console sees them without walking to the terminal."""
        return heartbeat_extras(help_requested=self.status.help_requested, alerts=self.alerts())

    def _catalog_updated(self) -> None:
        """Sync thread: a new catalog was stored. Parse it here; keep the old one if the
        new one does not parse (a bad catalog must not put the hall out of service)."""
        try:
            fresh = load_cached_catalog(self.config.storage_dir)
        except CatalogError:
            log.error("the platform sent a catalog that does not parse; keeping the previous one")
            return
        if fresh is not None:
            self.catalog = fresh

    def _sync_pass(self, report: SyncReport) -> None:
        """Sync thread. The heartbeat (every 60 s) says whether the platform answers; a
        delivery in this pass proves it too."""
        if report.delivered or report.evaluations_delivered:
            self.status.platform_reachable = True
        elif report.heartbeat is not None:
            self.status.platform_reachable = report.heartbeat
        self._queue_changed()

    def _queue_changed(self) -> None:
        outbox = self.outbox
        if outbox is None:
            return
        try:
            self.status.queue_pending = outbox.status().undelivered
        except OutboxError:
            return
        self._publish_status()

    # -- capture ---------------------------------------------------------------------------
    # The capture screen's intents. The camera finds the page on its own thread; stills
    # are judged on a worker; the session changes on the GUI thread (kiosk/capture.py).
    def begin_capture(self) -> CaptureSession | None:
        """The capture screen opened: a fresh session for the material being captured,
        starting from the pages it already has (a retake replaces them only on 'done'),
        and the camera's live preview with the page outlined."""
        code = self.machine.visit.capturing
        item = self.catalog.get(self.machine.visit.item_code or "") if self.catalog else None
        material = item.material(code) if item is not None and code else None
        if material is None or code is None:
            self.capture = None
            return None
        min_pages = max(material.min_pages, material.sides)
        max_pages = max(material.max_pages, min_pages)
        self.capture = CaptureSession(code, min_pages=min_pages, max_pages=max_pages)
        self._camera_call(self._live_on)
        return self.capture

    def end_capture(self) -> None:
        """The capture screen was left: stop finding pages on preview frames."""
        self._camera_call(stop_live)

    def on_capture_changed(self, listener: Callable[[], None]) -> None:
        """`listener()` runs when the live preview or the camera's health changed. It
        runs on the camera's thread: the Qt layer hands it to the GUI thread."""
        self._capture_listeners.append(listener)

    @property
    def capture_auto(self) -> bool:
        return self.config.device("camera").auto_capture_s > 0

    def camera_ready(self) -> bool:
        runner = self._camera_runner()
        return runner is not None and runner.health.usable

    def capture_still(self, frame: Any) -> None:
        """An image played as if the camera produced it (the tour's `capture` step): it
        takes the camera's place on the screen for the rest of this material; its page
        is found, flattened and judged off the GUI thread."""
        session = self.capture
        if session is None or self.capture_busy:
            return
        self.capture_busy = True
        if not session.played:
            session.played = True
            self._camera_call(stop_live)

        def done(result: Any, exc: BaseException | None) -> None:
            self.capture_busy = False
            if self.capture is not session:
                return
            if exc is not None:
                log.error("capture failed: %s", type(exc).__name__)
                session.add(Shot("unreadable"))
            else:
                shot, still, view = result
                if view is not None:
                    session.live = view
                session.add(shot, still)
            self.machine.refresh()
            self._capture_changed()

        self.machine.touch()
        self.machine.refresh()
        self.background(lambda: develop(frame, session.pipeline), done)

    def take_still(self) -> bool:
        """The resident tapped 'take photo', or a new placement lay still long enough: a
        full-resolution still from the camera, judged off the GUI thread. False when
        there is no working camera (the screen says so; the pages stay)."""
        session = self.capture
        runner = self._camera_runner()
        if runner is None or not runner.health.usable:
            if session is not None:
                session.last = Shot("camera_offline")
            return False
        if session is None or self.capture_busy or session.full or session.adjusting:
            return True
        self.capture_busy = True
        preview = session.live  # the outline the resident saw: where corners by hand start
        future = runner.call(camera_still)

        def done(result: Any, exc: BaseException | None) -> None:
            self.capture_busy = False
            if self.capture is not session:
                return
            if exc is not None:
                # Unplugged or stalled mid-capture: say so, keep every page taken.
                log.warning("camera still failed: %s", type(exc).__name__)
                session.add(Shot("camera_offline"))
            else:
                shot, still = result
                session.add(shot, still)
            self.machine.refresh()

        self.machine.touch()
        self.machine.refresh()
        self.background(lambda: camera_shot(future.result(timeout=CAMERA_STILL_TIMEOUT_S), preview), done)
        return True

    def adjust_corners(self) -> None:
        """Set the page's corners by hand on the last still (no page found there, or
        the outline was wrong)."""
        session = self.capture
        if session is None or session.still is None or self.capture_busy:
            return
        session.adjusting = True
        self.machine.touch()
        self.machine.refresh()

    def cancel_corners(self) -> None:
        session = self.capture
        if session is not None and session.adjusting:
            session.adjusting = False
            self.machine.touch()
            self.machine.refresh()

    def confirm_corners(self, corners: list[tuple[float, float]]) -> None:
        """Flatten the page from the four corners set (still pixels) off the GUI thread;
        it replaces the page that still gave, if any."""
        session = self.capture
        still = session.still if session is not None else None
        if session is None or still is None or self.capture_busy:
            return
        self.capture_busy = True
        points = [(float(x), float(y)) for x, y in corners]

        def done(result: Any, exc: BaseException | None) -> None:
            self.capture_busy = False
            if self.capture is not session:
                return
            if exc is not None:
                log.error("corners by hand failed: %s", type(exc).__name__)
            kept = session.add(result if exc is None else Shot("unreadable"), still, replace=still.page)
            if kept.ok:
                session.adjusting = False
            self.machine.refresh()

        self.machine.touch()
        self.machine.refresh()
        self.background(lambda: by_hand(still, points, session.pipeline), done)

    def select_page(self, index: int) -> None:
        if self.capture is not None:
            self.capture.select(index)
            self.machine.touch()
            self.machine.refresh()

    def retake_page(self, index: int) -> None:
        if self.capture is not None:
            self.capture.retake(index)
            self.machine.touch()
            self.machine.refresh()

    def delete_page(self, index: int) -> None:
        if self.capture is not None:
            self.capture.delete(index)
            self.machine.touch()
            self.machine.refresh()

    def finish_capture(self) -> None:
        session = self.capture
        self.capture = None
        self.end_capture()
        self.machine.capture_done(list(session.pages) if session is not None else [])

    def _camera_runner(self) -> DeviceRunner[Any] | None:
        from drivers.camera.device import CameraDriver

        runner = self.devices.runner("camera")
        return runner if runner is not None and isinstance(runner.driver, CameraDriver) else None

    def _camera_call(self, fn: Callable[[Any], Any]) -> None:
        runner = self._camera_runner()
        if runner is not None:
            runner.call(fn)  # an offline camera fails the call; _camera_health starts it again

    def _live_on(self, driver: Any) -> None:
        start_live(driver, self.config.device("camera").auto_capture_s)

    def _capture_changed(self) -> None:
        for listener in list(self._capture_listeners):
            listener()

    def _camera_frame(self, kind: str, event: object) -> None:
        """Camera thread: each preview frame, shrunk for the screen with its outline."""
        from drivers.camera.device import PreviewUpdated

        session = self.capture
        if kind != "camera" or session is None or session.played or not isinstance(event, PreviewUpdated):
            return
        runner = self._camera_runner()
        result = event.result
        hold = hold_of(runner.driver, event.frame.t, result.capture) if runner is not None else 0.0
        still = result.still or unmoved(session.live, result.quad)
        session.live = live_view(event.frame.image, result.quad, result.reason, still=still, hold=hold,
                                 seq=event.frame.seq, detect_ms=result.ms)
        self._capture_changed()

    def _camera_health(self, kind: str, health: Health) -> None:
        """Camera thread: back after a fault with a capture screen open, the preview is
        turned on again (the call that turned it on may have failed while it was down)."""
        session = self.capture
        if kind != "camera" or session is None:
            return
        if health.usable and not session.played:
            self._camera_call(self._live_on)
        self._capture_changed()

    def _camera_event(self, event: object) -> None:
        """GUI thread: the pipeline's auto-capture timer fired on a placement not taken
        yet (kiosk/capture.py `Placement`): take it."""
        from drivers.camera.device import PreviewUpdated

        session = self.capture
        if session is None or session.played or not isinstance(event, PreviewUpdated):
            return
        session.placement.seen(event.result.quad)
        if (event.result.capture and session.placement.armed and self.capture_auto and not session.adjusting
                and not session.full and not self.capture_busy):
            self.take_still()

    # -- the application -------------------------------------------------------------------
    def submit_application(self) -> None:
        """The resident tapped submit. The application is durable on disk before the
        receipt screen shows; a second tap does nothing."""
        machine = self.machine
        if not machine.submit():
            return
        item = self.catalog.get(machine.visit.item_code or "") if self.catalog else None
        outbox = self.outbox
        if item is None or outbox is None:
            machine.submit_failed("storage" if outbox is None else "catalog")
            return
        visit = machine.visit  # SUBMITTING cannot be ended or reset: this visit stays whole
        catalog_version = self.catalog.version if self.catalog else None
        created = dt.datetime.now().astimezone()

        def make_durable() -> Any:
            # Off the GUI thread: the signed form PDF and the materials' PDFs take 30 ms
            # warm and over 200 ms on the first submit (font loading).
            application = build_application(
                visit, item, catalog_version=catalog_version, assemble=assemble_material_pdf,
                hall_name=self.config.hall, terminal_name=self.config.terminal_name,
            )
            return outbox.enqueue(application)

        def done(result: Any, exc: BaseException | None) -> None:
            if exc is not None:
                machine.submit_failed(_submit_problem(exc))
                return
            machine.submitted(result.submission_id, result.receipt_no)
            if self.sync is not None:
                self.sync.wake()
            self.print_receipt(receipt_for(
                machine.visit, item, receipt_no=result.receipt_no, created_at=created,
                hall_name=self.config.hall, terminal_name=self.config.terminal_name,
            ))

        self.background(make_durable, done)

    def print_receipt(self, data: ReceiptData) -> None:
        """Print on the device thread; the receipt screen says how it went. A printer
        fault never touches the application: it is already in the outbox."""
        self.receipt_print_state = "printing"
        cfg = self.config.device("printer")
        job = build_receipt(data, encoding=cfg.encoding, columns=cfg.columns)

        def done(result: Any, exc: BaseException | None) -> None:
            printed = exc is None and bool(getattr(result, "printed", False))
            self.receipt_print_state = "printed" if printed else "failed"
            self.machine.refresh()

        if not self.send_to_printer(job, done):
            self.receipt_print_state = "failed"
            self.machine.refresh()

    def send_to_printer(self, job: bytes, done: Callable[[Any, BaseException | None], None]) -> bool:
        """Send ESC/POS bytes to the printer on its device thread; `done(PrintResult,
        exception)` comes back through `background`. False, and nothing sent, when no
        printer is configured."""
        runner = self.devices.runner("printer")
        if runner is None:
            return False
        future = runner.call(lambda driver: driver.print_job(job))
        # The driver's own job timeout is 20 s; this only bounds the wait for it.
        self.background(lambda: future.result(timeout=PRINT_WAIT_S), done)
        return True

    # -- status ------------------------------------------------------------------------------
    def on_status(self, listener: Callable[[StatusView], None]) -> None:
        self._status_listeners.append(listener)

    def _publish_status(self) -> None:
        for listener in list(self._status_listeners):
            listener(self.status)

    def _device_health(self, kind: str, health: Health) -> None:
        """Called on a device thread; the Qt layer marshals `on_status` to the GUI."""
        self.status.devices[kind] = health
        self._publish_status()

    def refresh_service_availability(self) -> None:
        """GUI thread: turn the devices' health and the free disk into 'in service' or
        not. Only the start screens give way; a visit under way is always finished (the
        disk guard keeps room for one whole application)."""
        down = self.devices.required_down()
        if self.storage_problem or not self.disk_guard.admits_new_application():
            down.append("storage")
        self.machine.set_service_available(not down, ",".join(down))

    def tick(self) -> None:
        """About once a second from the UI's timer."""
        self.refresh_service_availability()

    def _device_event(self, kind: str, event: object) -> None:
        """Device events arrive on device threads; the Qt layer forwards them here on
        the GUI thread through `handle_device_event`."""

    def handle_device_event(self, kind: str, event: object) -> None:
        """GUI thread. Device events become visit intents."""
        log.debug("device event %s %s", kind, type(event).__name__)
        if kind == "id_reader":
            self._id_reader_event(event)
        elif kind == "scanner":
            self._scanner_event(event)
        elif kind == "camera":
            self._camera_event(event)

    def _scanner_event(self, event: object) -> None:
        """A staff code belongs to staff assistance; everything else to the progress desk
        (which answers receipts on attract, home and progress and ignores the rest)."""
        from kiosk.progress import desk_for

        text = getattr(event, "text", None)
        if isinstance(text, str) and self.scan_hooks and any(hook(text) for hook in self.scan_hooks):
            return
        desk_for(self).handle_scan(event)

    def _id_reader_event(self, event: object) -> None:
        from drivers.id_reader.device import CardRead, CardReadFailed

        if isinstance(event, CardRead):
            if self.machine.step is Step.PROGRESS:
                self.machine.card_read(event.identity)  # an expired card still finds its cases
            elif event.identity.expired_on(self.today()):
                self.machine.card_failed("expired")
            else:
                self.machine.card_read(event.identity)
        elif isinstance(event, CardReadFailed):
            self.machine.card_failed(event.reason)

    def today(self) -> dt.date:
        return dt.datetime.now().astimezone().date()

    def request_help(self) -> None:
        self.status.help_requested = True
        self._publish_status()

    def help_answered(self) -> None:
        self.status.help_requested = False
        self._publish_status()


def _submit_problem(exc: BaseException) -> str:
    """A reason code the review screen explains; the visit's data is kept."""
    if isinstance(exc, StorageFull):
        return "disk_full"
    if isinstance(exc, NotProvisioned):
        return "not_provisioned"
    if isinstance(exc, OutboxError):
        return "storage"
    log.error("submit failed: %s", type(exc).__name__)
    return "storage"


def assemble_material_pdf(pages: list[bytes]) -> bytes:
    """The captured pages of one material as one PDF."""
    return jpeg_pages_to_pdf(pages)
