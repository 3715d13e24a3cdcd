"""Scanner figures: framing throughput over random chunkings, and the latency from a
scan's last byte to the CodeScanned event through the real DeviceRunner thread.
Prints figures; asserts nothing. `python bench/bench_scanner.py [--quick]`."""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from collections.abc import Callable

from drivers import sim
from drivers.health import DeviceState
from drivers.runner import DeviceRunner
from drivers.scanner.codec import LINE, Scan, ScanFramer, Suffix
from drivers.scanner.device import ScannerDriver
from drivers.scanner.events import CodeScanned
from drivers.scanner.sim import ScannerSimulator
from drivers.sim.pty import serve_pty

HANZI = "北京市东城区景山前街号海南省海口市龙华区政务服务中心办事指南"


def sample_scans(n: int, rng: random.Random) -> list[bytes]:
    """A hall's mix: receipt numbers, EAN-13, URL QR codes, GBK Chinese QR codes."""
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            body = f"]C0T0001-261123-{i % 10000:04d}X".encode()
        elif kind == 1:
            body = b"]E0" + str(rng.randrange(10**12, 10**13)).encode()
        elif kind == 2:
            body = b"]Q1https://zwfw.example.gov.cn/q?id=" + rng.randbytes(rng.randrange(20, 120)).hex().encode()
        else:
            body = b"]Q1" + "".join(rng.choice(HANZI) for _ in range(rng.randrange(6, 40))).encode("gbk")
        out.append(body + b"\r\n")
    return out


def chunk(stream: bytes, lo: int, hi: int, rng: random.Random) -> list[bytes]:
    chunks, i = [], 0
    while i < len(stream):
        n = rng.randint(lo, hi)
        chunks.append(stream[i : i + n])
        i += n
    return chunks


def bench_framing(n_scans: int) -> None:
    rng = random.Random(8)
    scans = sample_scans(n_scans, rng)
    stream = b"".join(scans)
    print(f"framing, chunk sizes random in the range shown: {n_scans} scans, {len(stream) / 1e6:.2f} MB (CR LF suffix, AIM ids, 1/4 GBK)")
    for label, lo, hi in (("1 B", 1, 1), ("1-16 B", 1, 16), ("1-256 B", 1, 256), ("1-4096 B", 1, 4096),
                          ("one chunk", len(stream), len(stream))):
        chunks = chunk(stream, lo, hi, rng)
        for suffix in (LINE, b"\r\n"):
            framer = ScanFramer(suffix)
            t0 = time.perf_counter()
            got = 0
            for c in chunks:
                got += sum(isinstance(e, Scan) for e in framer.feed(c, 0.0))
            dt = time.perf_counter() - t0
            assert got == n_scans, (label, got)
            mode = "LINE  " if suffix == LINE else "b'\\r\\n'"
            print(f"  {label:>9}, suffix {mode}: {n_scans / dt:>10,.0f} scans/s  {len(stream) / dt / 1e6:6.2f} MB/s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_latency(label: str, url: str, send: Callable[[str], None], n: int, *,
                  suffix: Suffix = LINE, idle_poll_s: float = 0.05) -> None:
    # Flood limiting and duplicate suppression off: this measures the path, not the policy.
    driver = ScannerDriver(url, suffix=suffix, dedupe_window_s=0.0, max_scans_per_s=1e9, flood_burst=10**9)
    runner = DeviceRunner("scanner", driver, idle_poll_s=idle_poll_s)
    arrived = threading.Event()
    stamp: list[float] = []

    def on_event(_name: str, event: object) -> None:
        if isinstance(event, CodeScanned):
            stamp.append(time.perf_counter())
            arrived.set()

    ready = threading.Event()
    runner.on_event(on_event)
    runner.on_health(lambda _n, h: ready.set() if h.state is DeviceState.READY else None)
    runner.start()
    rng = random.Random(1)
    latencies = []
    try:
        if not ready.wait(5):
            print(f"  {label}: scanner never became ready")
            return
        for i in range(n):
            # Scans land at random phases of the runner's poll/idle cycle (a poll is up to
            # 0.2 s of reads, then the runner waits idle_poll_s), as people's scans do.
            time.sleep(rng.uniform(0.0, 0.35))
            arrived.clear()
            stamp.clear()
            t0 = time.perf_counter()  # sim.send makes every byte, the last one too, readable now
            send(f"T0001-261123-{i:05d}")
            if not arrived.wait(2):
                print(f"  {label}: scan {i} lost")
                continue
            latencies.append(stamp[0] - t0)
    finally:
        runner.stop()
    ms = [x * 1000 for x in latencies]
    print(f"  {label:<58} n={len(ms)}  p50 {statistics.median(ms):6.1f} ms  p95 {percentile(ms, 0.95):6.1f} ms"
          f"  max {max(ms):6.1f} ms")


def main() -> None:
    quick = "--quick" in sys.argv
    bench_framing(5_000 if quick else 50_000)
    n = 30 if quick else 120
    print("latency, last byte → CodeScanned on the runner's listener (DeviceRunner thread):")
    scanner = ScannerSimulator()
    sim.register("scanner", scanner)
    for idle_poll_s in (0.05, 0.0):
        runner_label = f"runner idle_poll_s={idle_poll_s:g}"
        bench_latency(f"sim://, CR suffix, {runner_label}", "sim://", lambda t: scanner.scan(t), n,
                      idle_poll_s=idle_poll_s)
        bench_latency(f"sim://, no suffix (idle_s 0.1), {runner_label}", "sim://",
                      lambda t: scanner.scan(t, suffix=""), n, suffix=None, idle_poll_s=idle_poll_s)
    pty_scanner = ScannerSimulator()
    with serve_pty(pty_scanner) as bridge:
        bench_latency("pty (bridge pumps every 10 ms), CR suffix, idle_poll_s=0.05", bridge.path,
                      lambda t: pty_scanner.scan(t), n)
    sim.unregister("scanner")

if __name__ == "__main__":
    main()
