"""ID card reader benchmarks: `.venv/bin/python bench/bench_id_reader.py` (< 60 s).

1. decode latency: from feeding the last byte of a `30 01` reply to the framer until
   the `Identity` exists (framer → payload split → text decode). Target ≤ 50 ms.
2. idle CPU: a DeviceRunner polling an empty `sim://` reader with production timings,
   process CPU time / wall time. The simulator runs in this process too, so the
   figure is an upper bound for the driver. Target ≤ 2 % of one core.
3. framer throughput: a stream of mixed replies with garbage, fed in random chunks.
"""

from __future__ import annotations

import random
import statistics
import threading
import time

from drivers import sim
from drivers.health import DeviceState, Health
from drivers.id_reader import codec
from drivers.id_reader.device import IdReaderDriver, read_card_once
from drivers.id_reader.sim import CARD_TYPE_SAMPLES, SAMPLE_CARDS, IdReaderSimulator
from drivers.runner import DeviceRunner

DECODE_TARGET_MS = 50.0
IDLE_CPU_TARGET = 0.02


def read_reply(name: str) -> bytes:
    card = SAMPLE_CARDS[name]
    payload = codec.encode_card_payload(codec.encode_identity_text(card), card.photo_wlt)
    return codec.encode_reply(codec.Status.SUCCESS, payload)


def bench_decode(rounds: int = 3000) -> None:
    print("1. last reply byte → Identity (framer + payload + text decode)")
    for name in CARD_TYPE_SAMPLES:
        frame = read_reply(name)
        samples = []
        for _ in range(rounds):
            framer = codec.ReplyFramer()
            framer.feed(frame[:-1])
            start = time.perf_counter()
            (reply,) = framer.feed(frame[-1:])
            blocks = codec.parse_card_payload(reply.data)
            identity = codec.decode_identity(blocks.text, blocks.photo)
            samples.append((time.perf_counter() - start) * 1000)
        assert identity.id_number == SAMPLE_CARDS[name].id_number
        samples.sort()
        p99 = samples[int(len(samples) * 0.99)]
        verdict = "ok" if p99 <= DECODE_TARGET_MS else "OVER TARGET"
        print(f"   {name:<14} median {statistics.median(samples):.3f} ms  p99 {p99:.3f} ms  "
              f"max {samples[-1]:.3f} ms  [{verdict}, target ≤ {DECODE_TARGET_MS:g} ms]")

    # For scale: a whole session through sim:// (open, reset, find, select, read, 30 03).
    simulator = IdReaderSimulator("resident_moved")
    sim.register("id_reader", simulator)
    try:
        times = []
        for _ in range(50):
            start = time.perf_counter()
            read_card_once("sim://", 5.0)
            times.append((time.perf_counter() - start) * 1000)
        print(f"   whole one-shot read via sim:// (open→reset→find→select→30 01→30 03→close): "
              f"median {statistics.median(times):.2f} ms (no wire or RF time in a simulator)")
    finally:
        sim.unregister("id_reader")


def bench_idle_cpu(seconds: float = 5.0, card: str | None = None) -> None:
    if card is None:
        print(f"2. idle CPU, empty reader, production timings, {seconds:g} s")
    else:
        print(f"   the same with a read card left on the reader (presence probes), {seconds:g} s")
    simulator = IdReaderSimulator(card)
    sim.register("id_reader", simulator)
    ready = threading.Event()

    def on_health(_name: str, health: Health) -> None:
        if health.state is DeviceState.READY:
            ready.set()

    runner = DeviceRunner("id_reader", IdReaderDriver("sim://"))
    runner.on_health(on_health)
    runner.start()
    try:
        if not ready.wait(5):
            raise SystemExit("reader never became READY")
        finds = simulator.count(codec.Command.FIND_CARD)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        threading.Event().wait(seconds)  # the main thread idles too
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        finds = simulator.count(codec.Command.FIND_CARD) - finds
    finally:
        runner.stop()
        sim.unregister("id_reader")
    share = cpu / wall
    if card is None:
        verdict = "ok" if share <= IDLE_CPU_TARGET else "OVER TARGET"
        target = f"[{verdict}, target ≤ {IDLE_CPU_TARGET * 100:g} %]"
    else:
        target = "[no target]"
    print(f"   {cpu * 1000:.1f} ms CPU in {wall:.2f} s = {share * 100:.2f} % of one core "
          f"{target}; {finds / wall:.1f} find-card/s")


def bench_framer(total_mb: float = 16.0) -> None:
    print(f"3. framer throughput, {total_mb:g} MB of replies with garbage between")
    rng = random.Random(1)
    pieces = []
    size = 0
    frames = 0
    kinds = [read_reply(n) for n in CARD_TYPE_SAMPLES] + [
        codec.encode_reply(codec.Status.FIND_FAILED),
        codec.encode_reply(codec.Status.CARD_FOUND, bytes(4)),
        codec.encode_reply(codec.Status.SUCCESS, bytes(8)),
    ]
    while size < total_mb * 1_000_000:
        if rng.random() < 0.2:
            noise = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 16))).replace(b"\xaa", b"\x00")
            pieces.append(noise)
            size += len(noise)
        frame = rng.choice(kinds)
        pieces.append(frame)
        size += len(frame)
        frames += 1
    stream = b"".join(pieces)
    for label, low, high in (("chunks of 1-4096 B", 1, 4096), ("chunks of 1-64 B", 1, 64)):
        cuts = []
        pos = 0
        while pos < len(stream):
            step = rng.randint(low, high)
            cuts.append(stream[pos : pos + step])
            pos += step
        framer = codec.ReplyFramer()
        start = time.perf_counter()
        count = 0
        for chunk in cuts:
            count += len(framer.feed(chunk))
        elapsed = time.perf_counter() - start
        assert count == frames and framer.rejected == 0, (count, frames, framer.rejected)
        print(f"   {label:<18} {len(stream) / elapsed / 1e6:7.1f} MB/s  ({count} frames, "
              f"{len(cuts)} chunks, {elapsed:.2f} s)")


def main() -> None:
    started = time.perf_counter()
    bench_decode()
    bench_idle_cpu()
    bench_idle_cpu(3.0, card="resident")
    bench_framer()
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
