"""Soak: 2,000 simulated visits through the real Terminal and KioskWindow, offscreen,
every device simulated (their byte protocols and driver threads), the reference
platform (in its own process) taking the applications (reliability.md §7 C1, issue 9).

Visits cycle through what a hall sees: a full application (read the card, find the
item by pinyin on the on-screen keyboard, sign, fill the form, submit, receipt printed,
delivered in the background), a visit abandoned to the idle timeout (the clock is
jumped, not waited for), a staff-assisted visit (staff code scanned), and every 100
visits a technician session. Logging goes to the kiosk's rotating file through the
redactor, as in production.

Measured after a warm-up of 5% of the visits (every kind of visit runs in it): resident-set growth, open file
descriptors and threads (both must come back to where they were), and each visit's
duration against the first visit of its kind ("any visit slower than the first by
more than 20%"). The simulators' own records of what they received (a test double's
memory, not the kiosk's) are cleared as the run goes.

    python bench/bench_soak.py                 # 2,000 visits
    python bench/bench_soak.py --visits 100    # CI size (or KIOSK_SOAK_VISITS=100)

Exit 1 when RSS grows by more than 10 MB or descriptors/threads do not stay flat.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RSS_LIMIT_MB = 10.0
SLOWER_LIMIT = 1.20
ITEM = "4601001030700400"  # 个人社会保险参保证明开具: a form and no material to photograph
FORM = {"insurance": "all", "purpose": "housing", "phone": "13800138000"}
KINDS = ("apply", "idle", "apply", "assisted")


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def os_threads() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def malloc_trim() -> bool:
    """Give glibc's free heap pages back to the system (what is left is really held)."""
    try:
        import ctypes

        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


@dataclass
class Sample:
    visit: int
    rss_kb: int
    fds: int
    threads: int
    py_threads: int


@dataclass
class SoakResult:
    visits: int
    failures: int
    errors: list[str] = field(default_factory=list)
    warmup: int = 0
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    rss_end_trimmed_kb: int = 0
    fds_start: int = 0
    fds_end: int = 0
    fds_max: int = 0
    threads_start: int = 0
    threads_end: int = 0
    threads_max: int = 0
    first_ms: dict[str, float] = field(default_factory=dict)
    slowest_ms: dict[str, float] = field(default_factory=dict)
    median_ms: dict[str, float] = field(default_factory=dict)
    slower_than_first: dict[str, int] = field(default_factory=dict)
    early_median_ms: dict[str, float] = field(default_factory=dict)  # the kind's first 10 % (from its 2nd)
    late_median_ms: dict[str, float] = field(default_factory=dict)  # its last 10 % of visits
    late_p95_ms: dict[str, float] = field(default_factory=dict)
    durations_ms: dict[str, list[float]] = field(default_factory=dict)
    delivered: int = 0
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)

    @property
    def rss_growth_mb(self) -> float:
        return (self.rss_end_kb - self.rss_start_kb) / 1024

    @property
    def flat(self) -> bool:
        return self.fds_end <= self.fds_start + 2 and self.threads_end <= self.threads_start + 2

    @property
    def ok(self) -> bool:
        return self.rss_growth_mb <= RSS_LIMIT_MB and self.flat and self.failures == 0 and not self.slowed

    @property
    def slowed(self) -> list[str]:
        """Kinds (with enough visits to tell) whose last tenth ran over 20 % slower than
        their first: a single first visit is no baseline (it warms caches, or it is the
        one that ran while the machine was idle), the median of a tenth is."""
        return [kind for kind, late in self.late_median_ms.items()
                if len(self.durations_ms.get(kind, [])) >= 20 and late > SLOWER_LIMIT * self.early_median_ms[kind]]

    def report(self) -> str:
        lines = [
            f"soak: {self.visits} visits in {self.seconds:.0f} s ({self.failures} failed), "
            f"{self.delivered} applications delivered",
            f"  RSS {self.rss_start_kb / 1024:.1f} -> {self.rss_end_kb / 1024:.1f} MB after warm-up of "
            f"{self.warmup} visits: growth {self.rss_growth_mb:+.1f} MB  [target <= {RSS_LIMIT_MB:.0f} MB]; "
            f"after malloc_trim at the end {self.rss_end_trimmed_kb / 1024:.1f} MB",
            f"  open fds {self.fds_start} -> {self.fds_end} (max {self.fds_max}); "
            f"threads {self.threads_start} -> {self.threads_end} (max {self.threads_max})  [flat: {self.flat}]",
        ]
        for kind in sorted(self.first_ms):
            count = len(self.durations_ms.get(kind, []))
            lines.append(
                f"  {kind:<11} n={count:<5} first {self.first_ms[kind]:6.0f} ms  early median "
                f"{self.early_median_ms[kind]:6.0f}  late median {self.late_median_ms[kind]:6.0f}  late p95 "
                f"{self.late_p95_ms[kind]:6.0f}  slowest {self.slowest_ms[kind]:6.0f} ms; late vs early "
                f"{(self.late_median_ms[kind] / max(self.early_median_ms[kind], 1e-9) - 1) * 100:+.0f}% [<= +20%]; "
                f"single visits slower than the first by >20%: {self.slower_than_first[kind]}")
        for error in self.errors[:5]:
            lines.append(f"  error: {error}")
        return "\n".join(lines)


class _QuietTour:
    """A Tour whose screenshots are only an event-loop turn (one real grab in a hundred
    visits is enough to keep painting in the loop)."""

    def __init__(self, tour: Any) -> None:
        self.tour = tour
        self.grab_every = 0

    def shoot(self, name: str | None = None) -> Path:
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.processEvents()
        # processEvents() never runs deleteLater(); the app's event loop does. Without
        # this, widgets a screen rebuilt pile up here and no real kiosk sees them.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if self.grab_every:
            self.tour.window.grab()
            self.grab_every = 0
        return self.tour.out_dir / "unused.png"


class _PlatformProcess:
    """The reference platform in a process of its own: its memory (every request it
    records, its database) must not count as the kiosk's."""

    def __init__(self, data: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        self.data = data
        self.url = f"http://127.0.0.1:{port}"
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "platform", "serve", "--port", str(port), "--data", str(data)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import httpx

        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{self.url}/v1/catalog", timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self._proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("the reference platform did not start") from None
                time.sleep(0.1)

    def new_enrollment_code(self) -> str:
        out = subprocess.run([sys.executable, "-m", "kiosk.cli", "platform", "enroll-code", "--data", str(self.data)],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def run_soak(visits: int, *, workdir: Path | None = None, progress: Callable[[str], None] | None = None,
             log_level: int = logging.INFO, trace: bool = False, trim_samples: bool = False,
             objects: bool = False, warmup: int | None = None, pixmap_cache_kb: int | None = None) -> SoakResult:
    from PySide6.QtWidgets import QApplication

    from drivers.health import DeviceState
    from kiosk.clock import SteppableClock
    from kiosk.config import Config, DeviceConfig
    from kiosk.logs import setup_logging, watch_visits
    from kiosk.maintenance import DiskGuard, NightlyJob
    from kiosk.provisioning import Provisioned, ProvisionRequest, provision
    from kiosk.terminal import Terminal
    from kiosk.visit import Step
    from screens.application_screens import APPLICATION_SCREENS
    from screens.application_screens import register_tour_verbs as application_verbs
    from screens.ops import QtBackground, steady_process
    from screens.technician_screens import TECHNICIAN_SCREENS, register_tour_verbs, wire_technician
    from screens.tour import Tour
    from screens.window import KioskWindow

    say = progress or (lambda text: None)
    own_dir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="kiosk-soak-")) if workdir is None else workdir
    steady_process()  # as `kiosk run` does at start-up
    app = QApplication.instance() or QApplication([])
    if pixmap_cache_kb is not None:
        from PySide6.QtGui import QPixmapCache

        QPixmapCache.setCacheLimit(pixmap_cache_kb)
    platform = _PlatformProcess(root / "platform")
    devices = {kind: replace(cfg) for kind, cfg in Config().devices.items()}
    devices["camera"] = DeviceConfig("camera", required=False)  # no camera driver in the tree yet
    config = replace(Config(), storage_dir=root / "storage", platform_url=platform.url, devices=devices)
    logs = setup_logging(config.storage_dir, level=log_level)
    outcome = provision(ProvisionRequest(platform.url, platform.new_enrollment_code(), "SOAK-HALL", "浸泡测试机"),
                        config)
    if not isinstance(outcome, Provisioned):
        raise RuntimeError(f"provisioning failed: {outcome}")
    from kiosk.staff import StaffDirectory

    staff_code = StaffDirectory(config.storage_dir).add("S001", "王芳", "135790")

    clock = SteppableClock()
    background = QtBackground()
    terminal = Terminal(config, clock=clock, background=background)
    watch_visits(terminal, logs.redactor)
    window = KioskWindow(terminal, extra_screens=_unique(APPLICATION_SCREENS + TECHNICIAN_SCREENS))
    window.resize(1080, 1920)
    window.show()
    disk = DiskGuard(config.storage_dir)
    nightly = NightlyJob(config.storage_dir, outbox=lambda: terminal.outbox,
                         visit_active=lambda: terminal.machine.active)
    wiring = wire_technician(window, add_banner=True, listen_to_scanner=True, hold_ms=50, disk=disk,
                             nightly=nightly, quit=lambda: None, restart=lambda: None)
    terminal.start()
    out_dir = root / "shots"
    out_dir.mkdir(exist_ok=True)
    tour = Tour(window, clock, out_dir)
    application_verbs(tour)
    register_tour_verbs(tour)
    quiet = _QuietTour(tour)
    tour.shoot = quiet.shoot  # type: ignore[method-assign]
    machine = terminal.machine
    result = SoakResult(visits=visits, failures=0)
    durations: dict[str, list[float]] = {}
    warmup = warmup if warmup is not None else max(2, visits // 20)
    result.warmup = warmup
    started = time.perf_counter()

    def apply_visit() -> None:
        tour.verbs["start"]({})
        tour.verbs["identify"]({"card": "resident"})
        tour.verbs["choose_item"]({"code": ITEM})
        tour.verbs["accept_commitment"]({"sign": True})
        tour.verbs["fill_form"]({"values": FORM})
        tour.verbs["delivery"]({"method": "pickup"})
        tour.verbs["submit"]({"wait_delivery": False})
        tour.verbs["end"]({})

    def idle_visit() -> None:
        tour.verbs["start"]({})
        tour.verbs["identify"]({"card": "resident"})
        tour.verbs["wait_idle_reset"]({})
        terminal.devices.simulators["id_reader"].remove_card()

    def assisted_visit() -> None:
        terminal.devices.simulators["scanner"].scan(staff_code)
        tour.wait_for(lambda: machine.visit.assisted_by is not None, 10, "the staff code")
        tour.verbs["identify"]({"card": "elderly" if "elderly" in _cards() else "resident"})
        tour.verbs["end"]({})

    def technician_visit() -> None:
        wiring.pin.open()
        for digit in "246810":
            tour.click(f"pin:{digit}")
        tour.click("pin:ok")
        tour.wait_step(Step.TECHNICIAN)
        for key in ("outbox", "logs", "system", "devices"):
            tour.click(f"section:{key}")
        tour.click("technician:leave")
        tour.wait_step(Step.ATTRACT, Step.OUT_OF_SERVICE)

    runs: dict[str, Callable[[], None]] = {"apply": apply_visit, "idle": idle_visit, "assisted": assisted_visit,
                                          "technician": technician_visit}
    try:
        tour.wait_for(lambda: all(h.state is not DeviceState.CONNECTING for k, h in terminal.devices.health().items()
                                  if k != "camera"), 15, "devices")
        terminal.refresh_service_availability()
        for index in range(visits):
            # A technician every 100 visits, the first inside the warm-up: the first use
            # of each kind of visit loads what it needs once (fonts, screens), which is
            # not growth over a day.
            kind = "technician" if index % 100 == 50 else KINDS[index % len(KINDS)]
            if index % 100 == 1:
                quiet.grab_every = 1
            begun = time.perf_counter()
            try:
                runs[kind]()
            except Exception as exc:  # a failed visit is counted and the hall carries on
                result.failures += 1
                result.errors.append(f"visit {index} ({kind}): {type(exc).__name__}: {exc}"[:300])
                _recover(terminal, tour)
            elapsed = (time.perf_counter() - begun) * 1000
            durations.setdefault(kind, []).append(elapsed)
            clear_simulators(terminal)
            if index + 1 == warmup or (index + 1) % 50 == 0 or index + 1 == visits:
                gc.collect()
                tour.pump(20)
                if trim_samples:  # what is really held, without the allocator's free pages
                    malloc_trim()
                sample = Sample(index + 1, rss_kb(), open_fds(), os_threads(), threading.active_count())
                result.samples.append(sample)
                if index + 1 == warmup:
                    result.rss_start_kb, result.fds_start, result.threads_start = sample.rss_kb, sample.fds, sample.threads
                    if objects:
                        counted = _object_counts()
                    if trace:
                        import tracemalloc

                        tracemalloc.start(12)
                        traced = tracemalloc.take_snapshot()
                say(f"visit {index + 1}/{visits}: rss {sample.rss_kb / 1024:.1f} MB fds {sample.fds} "
                    f"threads {sample.threads} failures {result.failures}")
        # Let the background delivery finish what the last visits queued.
        sync = terminal.sync
        outbox = terminal.outbox
        if sync is not None and outbox is not None:
            sync.wake()
            deadline = time.monotonic() + 60
            while outbox.status().undelivered and time.monotonic() < deadline:
                tour.pump(100)
            result.delivered = outbox.status().delivered
        gc.collect()
        tour.pump(50)
        result.rss_end_kb, result.fds_end, result.threads_end = rss_kb(), open_fds(), os_threads()
        malloc_trim()
        result.rss_end_trimmed_kb = rss_kb()
        if objects:
            grown = _object_counts()
            grown.subtract(counted)
            for name, count in grown.most_common(15):
                say(f"objects {name}: {count:+d}")
        if trace:
            import tracemalloc

            for stat in tracemalloc.take_snapshot().compare_to(traced, "traceback")[:15]:
                say(f"tracemalloc {stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks:\n  "
                    + "\n  ".join(stat.traceback.format()[-8:]))
        after_warmup = [s for s in result.samples if s.visit >= warmup]
        result.fds_max = max([s.fds for s in after_warmup] + [result.fds_end])
        result.threads_max = max([s.threads for s in after_warmup] + [result.threads_end])
        for kind, times in durations.items():
            first = times[0]
            result.first_ms[kind] = round(first, 1)
            result.slowest_ms[kind] = round(max(times), 1)
            result.median_ms[kind] = round(statistics.median(times), 1)
            result.slower_than_first[kind] = sum(1 for t in times[1:] if t > SLOWER_LIMIT * first)
            # A tenth, but never fewer than 5 visits: the median of two technician
            # sessions (20 in 2,000 visits) is one noisy visit, not a trend.
            tenth = max(5, len(times) // 10)
            early = times[1:1 + tenth] or times  # the first visit of a kind warms caches: not a baseline
            late = times[-tenth:]
            result.early_median_ms[kind] = round(statistics.median(early), 1)
            result.late_median_ms[kind] = round(statistics.median(late), 1)
            result.late_p95_ms[kind] = round(sorted(late)[min(len(late) - 1, math.ceil(0.95 * len(late)) - 1)], 1)
            result.durations_ms[kind] = [round(t, 1) for t in times]
    finally:
        result.seconds = time.perf_counter() - started
        background.wait()
        window.allow_close = True
        window.close()
        terminal.stop()
        platform.stop()
        logs.close()
        app.processEvents()
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)
    return result


def clear_simulators(terminal: Any) -> None:
    """Forget what the simulators recorded (a test double's memory, not the kiosk's)."""
    for simulator in terminal.devices.simulators.values():
        simulator.host_bytes.clear()
        for name in ("receipts", "torn_off"):
            kept = getattr(simulator, name, None)
            if isinstance(kept, list):
                kept.clear()


def _object_counts() -> Any:
    import collections

    gc.collect()
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def _unique(classes: tuple[Any, ...]) -> tuple[Any, ...]:
    seen: dict[Any, Any] = {}
    for cls in classes:
        seen.setdefault(cls.step, cls)
    return tuple(seen.values())


def _cards() -> set[str]:
    from drivers.id_reader.sim import SAMPLE_CARDS

    return set(SAMPLE_CARDS)


def _recover(terminal: Any, tour: Any) -> None:
    """After a failed visit: what a resident walking away leaves, the idle reset clears."""
    from kiosk.visit import Step

    simulator = terminal.devices.simulators.get("id_reader")
    if simulator is not None:
        simulator.remove_card()
    machine = terminal.machine
    if machine.step is Step.TECHNICIAN:
        machine.leave_technician()
    with contextlib.suppress(TimeoutError):  # an application being saved finishes first
        tour.wait_for(lambda: machine.step is not Step.SUBMITTING, 30, "the submission")
    machine.end("soak_recover")
    tour.pump(50)


def main(argv: list[str] | None = None) -> int:
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>`: every thread's stack, for a hung soak
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=int(os.environ.get("KIOSK_SOAK_VISITS", "2000")))
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--trace", action="store_true", help="tracemalloc: where Python memory grew")
    parser.add_argument("--objects", action="store_true", help="which Python object types grew")
    parser.add_argument("--warmup", type=int, help="visits before the baseline sample (default 5%%)")
    parser.add_argument("--pixmap-cache-kb", type=int, help="QPixmapCache limit (Qt's default is 10240)")
    parser.add_argument("--trim-samples", action="store_true",
                        help="malloc_trim before each sample: live memory rather than what the allocator holds")
    args = parser.parse_args(argv)
    result = run_soak(args.visits, progress=lambda text: print(text, flush=True), trace=args.trace,
                      trim_samples=args.trim_samples, objects=args.objects, warmup=args.warmup,
                      pixmap_cache_kb=args.pixmap_cache_kb)
    print(result.report())
    if args.json:
        Path(args.json).write_text(json.dumps({**asdict(result), "rss_growth_mb": result.rss_growth_mb,
                                               "flat": result.flat}, ensure_ascii=False, indent=2))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
