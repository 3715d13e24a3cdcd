"""Reference platform benchmarks: `.venv/bin/python bench/bench_platform.py` (< 60 s).

1. one delivery: PUT the manifest, PATCH a 3 MiB scan in 1 MiB chunks with checksums,
   finalize; durable (as `kiosk platform serve`: synchronous=FULL, fsync) and not (as
   embedded in tests). Median and 95th percentile.
2. replay: the same PUT again (the answer a terminal gets after a lost 201).
3. a hall reconnecting: 16 terminals deliver 20 small applications each at once;
   applications per second, and every one exactly once.
"""

from __future__ import annotations

import base64
import hashlib
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from kiosk.refplatform.catalog import FALLBACK_CATALOG
from kiosk.refplatform.server import RunningPlatform, start_in_thread


def manifest(terminal_id: str, sequence: int, scan: bytes) -> dict[str, Any]:
    return {
        "terminal_id": terminal_id, "receipt_no": f"{terminal_id}-261123-{sequence:05d}X", "item_code": "REF-CJ-0003",
        "created_at": "2026-11-23T09:30:00+08:00",
        "applicant": {"id_type": "resident_id", "id_number": "11010519491231002X", "name": "张三明"},
        "form": {"phone": "13800138000", "address": "北京市东城区景山前街4号", "agree_visit": True},
        "commitment": {"version": "2026-01", "accepted_at": "2026-11-23T09:29:00+08:00"},
        "delivery": {"method": "pickup"}, "deferred_materials": ["old_certificate"],
        "materials": [{"material_id": "photo-1", "code": "photo", "content_type": "image/jpeg", "size": len(scan),
                       "sha256": hashlib.sha256(scan).hexdigest()}],
    }


def deliver(client: httpx.Client, terminal_id: str, sequence: int, scan: bytes, chunk: int = 1 << 20) -> str:
    submission_id = str(uuid.uuid4())
    assert client.put(f"/v1/submissions/{submission_id}", json=manifest(terminal_id, sequence, scan)).status_code == 201
    for offset in range(0, len(scan), chunk):
        part = scan[offset:offset + chunk]
        response = client.patch(f"/v1/submissions/{submission_id}/materials/photo-1", content=part, headers={
            "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
            "Upload-Checksum": "sha256 " + base64.b64encode(hashlib.sha256(part).digest()).decode()})
        assert response.status_code == 204, response.text
    assert client.post(f"/v1/submissions/{submission_id}/finalize").status_code == 200
    return submission_id


def terminal_client(platform: RunningPlatform) -> tuple[str, httpx.Client]:
    terminal_id, token = platform.enroll()
    return terminal_id, httpx.Client(base_url=platform.url, verify=False, timeout=30.0,
                                     headers={"Authorization": f"Bearer {token}"})


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    return (f"median {statistics.median(ordered) * 1000:7.1f} ms   "
            f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:7.1f} ms")


def bench_delivery(root: Path, durable: bool, rounds: int = 30) -> None:
    scan = os.urandom(3 * 1024 * 1024)
    with start_in_thread(root / f"delivery-{durable}", catalog_path=FALLBACK_CATALOG, durable=durable) as platform:
        terminal_id, client = terminal_client(platform)
        with client:
            samples = []
            for sequence in range(rounds):
                started = time.perf_counter()
                deliver(client, terminal_id, sequence, scan)
                samples.append(time.perf_counter() - started)
            replay_id = str(uuid.uuid4())
            client.put(f"/v1/submissions/{replay_id}", json=manifest(terminal_id, 10_000, scan))
            replays = []
            for _ in range(200):
                started = time.perf_counter()
                client.put(f"/v1/submissions/{replay_id}", json=manifest(terminal_id, 10_000, scan))
                replays.append(time.perf_counter() - started)
    label = "durable (serve)" if durable else "embedded (tests)"
    print(f"1. 3 MiB delivery, {label:17}: {percentiles(samples)}")
    print(f"2. replayed PUT,    {label:17}: {percentiles(replays)}")


def bench_reconnect(root: Path, terminals: int = 16, each: int = 20) -> None:
    scan = os.urandom(200_000)
    with start_in_thread(root / "reconnect", catalog_path=FALLBACK_CATALOG, durable=True) as platform:
        clients = [terminal_client(platform) for _ in range(terminals)]
        errors: list[BaseException] = []

        def run(terminal_id: str, client: httpx.Client) -> None:
            try:
                for sequence in range(each):
                    deliver(client, terminal_id, sequence, scan)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=pair) for pair in clients]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        for _, client in clients:
            client.close()
        assert not errors, errors[0]
        assert platform.count_submissions() == platform.count_cases() == terminals * each
    print(f"3. {terminals} terminals × {each} applications (200 kB scan, durable): "
          f"{terminals * each / elapsed:6.1f} applications/s, all delivered exactly once")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        bench_delivery(root, durable=True)
        bench_delivery(root, durable=False)
        bench_reconnect(root)


if __name__ == "__main__":
    main()
