"""A kiosk runs for months with a dozen threads. glibc gives every new thread a malloc
arena of its own (up to 8 per core) and never gives one back; what a thread leaves live
in it stays. The soak saw a replaced worker thread bring a new arena holding 11 MB
(issue 9). `limit_malloc_arenas` caps them; each case runs in a fresh interpreter,
since arenas are made once per process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Six threads alive at once, each allocating through malloc (a 4 KiB bytearray is past
# pymalloc's 512-byte limit). A non-main arena is a read-write anonymous mapping at a
# 64 MiB boundary (glibc's HEAP_MAX_SIZE on 64-bit).
PROBE = textwrap.dedent("""
    import sys, threading
    from kiosk.maintenance import limit_malloc_arenas
    if sys.argv[1] == "limit":
        assert limit_malloc_arenas(2)

    def arenas():
        count = 0
        for line in open("/proc/self/maps"):
            fields = line.split()
            start = int(fields[0].split("-")[0], 16)
            if len(fields) == 5 and fields[1].startswith("rw") and start % (64 << 20) == 0:
                count += 1
        return count

    before = arenas()
    barrier = threading.Barrier(6)
    hold = []

    def work():
        hold.append(bytearray(4096))
        barrier.wait()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(arenas() - before)
""")


def _new_arenas(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=60)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc/self/maps")
def test_six_threads_do_not_make_six_malloc_arenas() -> None:
    unlimited = _new_arenas("none")
    limited = _new_arenas("limit")
    assert unlimited >= 3, "the probe no longer sees arenas being made; it proves nothing"
    assert limited <= 1  # the main arena and one more
