"""Outbox benchmarks (issue 4). Standalone: `.venv/bin/python bench/bench_outbox.py`.

1. Durable enqueue of a 5-page application (5 × 1.5 MB random bytes, i.e. already
   encoded images): p50/p95/max ms until `enqueue` returns (files encrypted, written,
   fsynced, renamed, directory fsynced, row committed with synchronous=FULL).
   Target p95 ≤ 150 ms.
2. Delivery throughput over loopback to the reference platform: MB of material per
   second for a sync pass (PUT, HEAD, PATCH in 4 MiB chunks with checksums, finalize,
   purge). Target ≥ 50 MB/s.
3. `Outbox.status()` with 10,000 delivered and 1,000 pending rows. Target ≤ 20 ms.
   (Also shown: the whole `kiosk queue status --json` process, Python start-up included.)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from offline_queue import credentials  # noqa: E402
from offline_queue.client import Enrolled, PlatformClient  # noqa: E402
from offline_queue.model import NewApplication, NewMaterial  # noqa: E402
from offline_queue.outbox import Outbox  # noqa: E402
from offline_queue.sync import SyncWorker  # noqa: E402

PAGE = 1_500_000
CATALOG = {
    "version": "bench-1",
    "items": [{
        "code": "BENCH-0001", "name": {"zh": "基准事项"}, "department": {"zh": "测试局"}, "auth": "id_card",
        "time_limit_days": 5, "delivery": ["pickup"],
        "materials": [{"code": "pages", "name": {"zh": "材料"}, "required": True, "max_pages": 10}],
        "form": [], "commitment": {"version": "c1", "text": {"zh": "承诺"}},
    }],
}


def application(pages: list[bytes]) -> NewApplication:
    return NewApplication(
        item_code="BENCH-0001",
        applicant={"id_type": "resident_id", "id_number": "110101199003071238", "name": "张三"},
        delivery={"method": "pickup"},
        commitment={"version": "c1"},
        materials=[NewMaterial("pages", "image/jpeg", b"\xff\xd8\xff\xe0" + p, 1) for p in pages],
        catalog_version="bench-1",
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_enqueue(work: Path, rounds: int = 40) -> None:
    box = Outbox(work / "enqueue", "BENCH-01", min_free_bytes=0)
    times = []
    for _ in range(rounds):
        app = application([os.urandom(PAGE) for _ in range(5)])  # "encoding" done before the clock starts
        start = time.perf_counter()
        box.enqueue(app)
        times.append((time.perf_counter() - start) * 1000)
    box.close()
    print(f"durable enqueue, 5 pages x 1.5 MB: p50 {statistics.median(times):.1f} ms, "
          f"p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms  (n={rounds}, target p95 <= 150 ms)")


# The reference platform in its own process, as it is in reality (in a thread of this
# process it would compete with the terminal for the GIL and halve both).
_PLATFORM = """
import json, sys
from pathlib import Path
from kiosk.refplatform.server import start_in_thread
p = start_in_thread(Path(sys.argv[1]), catalog_path=Path(sys.argv[2]))
print(json.dumps({"url": p.url, "code": p.new_enrollment_code()}), flush=True)
sys.stdin.read()
p.stop()
"""


def bench_delivery(work: Path, apps: int = 12, *, in_thread: bool = False) -> None:
    catalog = work / "catalog.json"
    catalog.write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")
    data = work / ("platform-t" if in_thread else "platform-p")
    proc = None
    if in_thread:
        from kiosk.refplatform.server import start_in_thread

        running = start_in_thread(data, catalog_path=catalog)
        url, code, stop = running.url, running.new_enrollment_code(), running.stop
    else:
        proc = subprocess.Popen([sys.executable, "-c", _PLATFORM, str(data), str(catalog)], cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdin is not None
        info = json.loads(proc.stdout.readline())
        url, code = info["url"], info["code"]

        def stop() -> None:
            assert proc is not None and proc.stdin is not None
            proc.stdin.close()
            proc.wait(30)
    try:
        storage = work / ("deliver-t" if in_thread else "deliver-p")
        with PlatformClient(url) as client:
            enrolled = client.enroll(code, "BENCH-HALL", "bench")
        assert isinstance(enrolled, Enrolled)
        credentials.save(storage, credentials.Credentials(enrolled.terminal_id, enrolled.token, url,
                                                          "BENCH-HALL", "bench"))
        box = Outbox(storage, min_free_bytes=0)
        for _ in range(2):
            box.enqueue(application([os.urandom(PAGE) for _ in range(5)]))
        worker = SyncWorker(box)
        worker.run_once(ignore_timers=True)  # heartbeat and connection set-up out of the measurement
        total = 0
        for _ in range(apps):
            pages = [os.urandom(PAGE) for _ in range(5)]
            total += sum(len(p) + 4 for p in pages)
            box.enqueue(application(pages))
        start = time.perf_counter()
        report = worker.run_once(ignore_timers=True)
        elapsed = time.perf_counter() - start
        worker.stop()
        assert report.delivered == apps, report
        assert box.status().undelivered == 0
        box.close()
        mb = total / 1e6
        where = "in a thread of the same process" if in_thread else "in its own process"
        print(f"delivery over loopback to the reference platform ({where}): {mb / elapsed:.1f} MB/s "
              f"({apps} applications, {mb:.0f} MB in {elapsed:.2f} s, purge included; target >= 50 MB/s)")
    finally:
        stop()


def bench_status(work: Path) -> None:
    storage = work / "status"
    box = Outbox(storage, "BENCH-01", min_free_bytes=0)
    with box.db.transaction() as conn:  # 10,000 delivered (and purged) applications
        conn.executemany(
            "INSERT INTO submissions (id, receipt_no, terminal_id, item_code, delivery_method, created_at,"
            " created_ts, state, case_no, delivered_at, purged_at) VALUES (?, ?, 'BENCH-01', 'BENCH-0001', 'pickup',"
            " '2026-11-01T09:00:00+08:00', ?, 'purged', ?, '2026-11-01T09:01:00+08:00', '2026-11-01T09:01:00+08:00')",
            [(str(uuid.uuid4()), f"BENCH-01-OLD-{i:06d}", 1_790_000_000 + i, f"C{i:08d}") for i in range(10_000)])
    no_pages = NewApplication(item_code="BENCH-0001", delivery={"method": "pickup"}, commitment={"version": "c1"},
                              applicant={"id_type": "resident_id", "id_number": "110101199003071238", "name": "李四"})
    for _ in range(1_000):
        box.enqueue(no_pages)
    status = box.status()
    assert status.delivered == 10_000 and status.pending == 1_000, status
    times = []
    for _ in range(300):
        start = time.perf_counter()
        box.status()
        times.append((time.perf_counter() - start) * 1000)
    box.close()
    print(f"queue status, 10,000 delivered + 1,000 pending: p50 {statistics.median(times):.2f} ms, "
          f"p95 {percentile(times, 0.95):.2f} ms  (target <= 20 ms)")
    config = work / "kiosk.toml"
    config.write_text(f'[storage]\ndir = "{storage}"\n', encoding="utf-8")
    cli = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(config), "queue", "status", "--json"],
                       cwd=ROOT, check=True, capture_output=True)
        cli.append((time.perf_counter() - start) * 1000)
    print(f"  (`kiosk queue status --json` as a process, Python start-up included: {min(cli):.0f} ms)")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-outbox-", dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        import sqlite3

        print(f"sqlite {sqlite3.sqlite_version}, storage in {work}")
        bench_enqueue(work)
        bench_delivery(work)
        bench_delivery(work, in_thread=True)
        bench_status(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
