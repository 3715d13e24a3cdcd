"""Progress query figures (issue 8). Standalone: `.venv/bin/python bench/bench_progress.py
[--quick] [--in-thread] [--no-window]`. Prints figures; asserts nothing.

1. `ProgressService.by_receipt` against the reference platform on loopback, as the kiosk
   does it (a fresh client with the stored credentials per query, the outbox looked up
   too): a delivered case, an application still waiting in the outbox, an unknown
   receipt; and `by_identity` (POST /v1/cases/search) for a person with 20 cases.
2. Scan to result: a receipt sent by `sim://scanner` in its real byte format → the
   ScannerDriver on its DeviceRunner thread → CodeScanned → (queued to the "GUI" thread,
   as the Qt bridge does) `ProgressDesk.handle_scan` → the query on a worker thread →
   (queued back) `VisitMachine.progress_found`. Target p95 ≤ 300 ms.

3. The same into the real kiosk window offscreen, until the case card is painted.

The platform runs in its own process, as it does in reality (`--in-thread` puts it in a
thread of this process, where it competes with the terminal for the GIL).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drivers import sim  # noqa: E402
from drivers.health import DeviceState  # noqa: E402
from drivers.id_reader.identity import Identity, IdType  # noqa: E402
from drivers.runner import DeviceRunner  # noqa: E402
from drivers.scanner.device import ScannerDriver  # noqa: E402
from drivers.scanner.sim import ScannerSimulator  # noqa: E402
from kiosk.progress import (  # noqa: E402
    PROGRESS_TIMEOUT,
    EvaluationService,
    Outcome,
    ProgressDesk,
    ProgressResult,
    ProgressService,
)
from kiosk.visit import Delays, VisitMachine  # noqa: E402
from offline_queue import credentials  # noqa: E402
from offline_queue.client import Enrolled, PlatformClient  # noqa: E402
from offline_queue.model import NewApplication, NewMaterial  # noqa: E402
from offline_queue.outbox import Outbox  # noqa: E402
from offline_queue.receipt_no import make_receipt_no  # noqa: E402
from offline_queue.sync import SyncWorker, platform_client  # noqa: E402

TARGET_MS = 300.0
ID_NUMBER = "110101199003071238"
CATALOG = {
    "version": "bench-progress-1",
    "items": [{
        "code": "BENCH-0001", "name": {"zh": "基准事项", "en": "Bench item"}, "department": {"zh": "测试局"},
        "auth": "id_card", "time_limit_days": 5, "delivery": ["pickup"],
        "materials": [{"code": "pages", "name": {"zh": "材料"}, "required": True, "max_pages": 10}],
        "form": [], "commitment": {"version": "c1", "text": {"zh": "承诺"}},
    }],
}
_PLATFORM = """
import json, sys
from pathlib import Path
from kiosk.refplatform.server import start_in_thread
p = start_in_thread(Path(sys.argv[1]), catalog_path=Path(sys.argv[2]))
print(json.dumps({"url": p.url, "code": p.new_enrollment_code()}), flush=True)
sys.stdin.read()
p.stop()
"""


def application(seed: int) -> NewApplication:
    rng = random.Random(seed)
    return NewApplication(
        item_code="BENCH-0001",
        applicant={"id_type": "resident_id", "id_number": ID_NUMBER, "name": "张三明"},
        delivery={"method": "pickup"},
        commitment={"version": "c1"},
        materials=[NewMaterial("pages", "image/jpeg", b"\xff\xd8\xff\xe0" + rng.randbytes(20_000), 1)],
        catalog_version="bench-progress-1",
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(label: str, ms: list[float]) -> None:
    verdict = "ok" if percentile(ms, 0.95) <= TARGET_MS else "OVER TARGET"
    print(f"  {label:<52} n={len(ms):<4} p50 {statistics.median(ms):6.1f} ms  p95 {percentile(ms, 0.95):6.1f} ms"
          f"  max {max(ms):6.1f} ms  [{verdict}]")


def start_platform(work: Path, in_thread: bool) -> tuple[str, str, Callable[[], None]]:
    catalog = work / "catalog.json"
    catalog.write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")
    if in_thread:
        from kiosk.refplatform.server import start_in_thread

        running = start_in_thread(work / "platform", catalog_path=catalog)
        return running.url, running.new_enrollment_code(), running.stop
    proc = subprocess.Popen([sys.executable, "-c", _PLATFORM, str(work / "platform"), str(catalog)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    info = json.loads(proc.stdout.readline())

    def stop() -> None:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)

    return info["url"], info["code"], stop


def provision(storage: Path, url: str, code: str) -> None:
    with PlatformClient(url) as client:
        enrolled = client.enroll(code, "BENCH-HALL", "bench")
    assert isinstance(enrolled, Enrolled), enrolled
    credentials.save(storage, credentials.Credentials(enrolled.terminal_id, enrolled.token, url, "BENCH-HALL", "bench"))


def bench_service(service: ProgressService, delivered: list[str], waiting: str, rounds: int) -> None:
    print("ProgressService, one query as the kiosk makes it (new client, loopback):")
    unknown = make_receipt_no("T9999", dt.date(2026, 1, 5), 1)
    person = Identity(IdType.RESIDENT, "张三明", "male", dt.date(1990, 3, 7), ID_NUMBER)
    for label, call, outcome in (
        ("by_receipt, delivered case (GET by-receipt)", lambda i: service.by_receipt(delivered[i % len(delivered)]),
         Outcome.FOUND),
        ("by_receipt, still in this terminal's outbox", lambda i: service.by_receipt(waiting), Outcome.LOCAL),
        ("by_receipt, unknown receipt (404)", lambda i: service.by_receipt(unknown), Outcome.NOT_FOUND),
        (f"by_identity, {len(delivered)} cases (POST search)", lambda i: service.by_identity(person), Outcome.FOUND),
    ):
        call(0)  # warm-up: imports, the TLS context cache, the platform's page cache
        times = []
        for i in range(rounds):
            start = time.perf_counter()
            result = call(i)
            times.append((time.perf_counter() - start) * 1000)
            assert result.outcome is outcome, (label, result.outcome)
        report(label, times)


def bench_scan_to_result(service: ProgressService, outbox: Outbox, delivered: list[str], n: int) -> None:
    """Scanner bytes to the answer in the visit, through the real driver thread, with the
    desk's work on a worker thread and its callbacks on one "GUI" thread (this one)."""
    print("scan to result (sim://scanner → driver thread → desk → worker → progress_found):")
    gui: queue.Queue[Callable[[], None]] = queue.Queue()

    def background(work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        def run() -> None:
            try:
                result, error = work(), None
            except Exception as exc:
                result, error = None, exc
            gui.put(lambda: done(result, error))

        threading.Thread(target=run, daemon=True).start()

    machine = VisitMachine(Delays(), time.monotonic)
    desk = ProgressDesk(machine, background, service, EvaluationService(lambda: outbox), clock=time.monotonic)
    answered: list[tuple[float, ProgressResult]] = []
    machine.subscribe(lambda m: answered.append((time.perf_counter(), m.visit.progress_result))
                      if isinstance(m.visit.progress_result, ProgressResult) else None)

    scanner = ScannerSimulator()
    sim.register("scanner", scanner)
    # The kiosk's own gate settings (dedupe, 2 scans/s): scans below come ≥ 0.6 s apart.
    driver = ScannerDriver("sim://")
    runner = DeviceRunner("scanner", driver, idle_poll_s=0.0)  # as kiosk/devices.py runs the scanner
    ready = threading.Event()
    runner.on_health(lambda _n, h: ready.set() if h.state is DeviceState.READY else None)
    runner.on_event(lambda _n, event: gui.put(lambda: desk.handle_scan(event)))
    runner.start()
    rng = random.Random(8)
    times: list[float] = []
    try:
        if not ready.wait(5):
            print("  scanner never became ready")
            return
        for i in range(n):
            time.sleep(0.6 + rng.uniform(0.0, 0.3))
            receipt = delivered[i % len(delivered)]
            answered.clear()
            start = time.perf_counter()
            scanner.scan(receipt, symbology="]Q1")
            deadline = start + 5
            while not any(r.receipt_no == receipt for _t, r in answered) and time.perf_counter() < deadline:
                try:
                    gui.get(timeout=0.05)()
                except queue.Empty:
                    continue
            hit = [t for t, r in answered if r.receipt_no == receipt and r.outcome is Outcome.FOUND]
            if not hit:
                print(f"  scan {i} not answered")
                continue
            times.append((hit[0] - start) * 1000)
            desk.query_again()
    finally:
        runner.stop()
        sim.unregister("scanner")
    report("receipt QR scanned → case shown in the visit", times)


def bench_window(storage: Path, delivered: list[str], n: int) -> None:
    """The same, into the real window offscreen: until the case card is on the screen."""
    import dataclasses

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from kiosk.config import Config, DeviceConfig
    from kiosk.terminal import Terminal
    from kiosk.visit import Step
    from screens.after_screens import AFTER_SCREENS, wire
    from screens.ops import QtBackground
    from screens.progress_screen import ProgressScreen
    from screens.window import KioskWindow

    print("scan to result in the kiosk window (offscreen, 1080×1920, Qt worker pool, repaint included):")
    app = QApplication.instance() or QApplication([])
    config = Config().with_storage(storage)
    only_scanner = {kind: DeviceConfig(kind, port="sim://" if kind == "scanner" else "") for kind in config.devices}
    config = dataclasses.replace(config, devices=only_scanner)
    background = QtBackground()
    terminal = Terminal(config, background=background, start_sync=False)
    terminal.open_outbox()
    desk = wire(terminal)
    original = terminal.handle_device_event

    def routed(kind: str, event: object) -> None:  # what the lead's Terminal.handle_device_event does
        seen = desk.events_seen
        original(kind, event)
        if kind == "scanner" and desk.events_seen == seen:
            desk.handle_scan(event)

    terminal.handle_device_event = routed  # type: ignore[method-assign]
    window = KioskWindow(terminal, extra_screens=AFTER_SCREENS)
    window.allow_close = True
    window.resize(1080, 1920)
    window.show()
    terminal.devices.start()
    screen = window.screens[Step.PROGRESS]
    assert isinstance(screen, ProgressScreen)
    simulator = terminal.devices.simulators["scanner"]
    deadline = time.perf_counter() + 5
    while not terminal.devices.health()["scanner"].usable and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)
    rng = random.Random(9)
    times: list[float] = []
    try:
        for i in range(n):
            pause = time.perf_counter() + 0.6 + rng.uniform(0.0, 0.3)
            while time.perf_counter() < pause:
                app.processEvents()
                time.sleep(0.005)
            receipt = delivered[i % len(delivered)]
            start = time.perf_counter()
            simulator.scan(receipt, symbology="]Q1")
            deadline = start + 5

            def shown(receipt: str = receipt) -> bool:
                result = desk.result
                return (result is not None and result.receipt_no == receipt and bool(screen.cards)
                        and screen.cards[0].isVisible())

            while not shown() and time.perf_counter() < deadline:
                app.processEvents()
            if not shown():
                print(f"  scan {i} not shown")
                continue
            window.repaint()  # the frame that shows it
            times.append((time.perf_counter() - start) * 1000)
            desk.query_again()
            terminal.machine.end()
    finally:
        terminal.devices.stop()
        background.wait()
        window.allow_close = True
        window.close()
        terminal.stop()
    report("receipt QR scanned → case card painted", times)


def main() -> None:
    quick = "--quick" in sys.argv
    in_thread = "--in-thread" in sys.argv
    rounds, scans = (30, 15) if quick else (200, 60)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url, code, stop = start_platform(work, in_thread)
        try:
            storage = work / "terminal"
            provision(storage, url, code)
            outbox = Outbox(storage, min_free_bytes=0)
            delivered = [outbox.enqueue(application(i)).receipt_no for i in range(20)]
            worker = SyncWorker(outbox)
            worker.run_once(ignore_timers=True)
            worker.stop()
            waiting = outbox.enqueue(application(99)).receipt_no
            service = ProgressService(outbox=lambda: outbox,
                                      client=lambda: platform_client(storage, timeout=PROGRESS_TIMEOUT))
            where = "a thread of this process" if in_thread else "its own process"
            print(f"reference platform in {where}, {url}; {os.cpu_count()} CPUs; target p95 <= {TARGET_MS:.0f} ms")
            bench_service(service, delivered, waiting, rounds)
            bench_scan_to_result(service, outbox, delivered, scans)
            outbox.close()
            if "--no-window" not in sys.argv:
                bench_window(storage, delivered, scans)
        finally:
            stop()


if __name__ == "__main__":
    main()
