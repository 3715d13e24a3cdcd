"""Duplicates and floods, with times as plain numbers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from drivers.scanner.codec import Rejected, RejectReason, Scan
from drivers.scanner.events import CodeScanned, ScanRejected
from drivers.scanner.gate import ScanGate


def test_same_code_held_under_the_window_is_one_scan() -> None:
    gate = ScanGate(dedupe_window_s=1.5)
    assert gate.offer(Scan("A"), 0.0) == [CodeScanned("A")]
    # Continuous mode re-reads the held code every 0.4 s for 3 s: all ignored.
    for i in range(1, 8):
        assert gate.offer(Scan("A"), i * 0.4) == []
    assert gate.offer(Scan("A"), 7 * 0.4 + 1.5) == [CodeScanned("A")]  # presented again, 1.5 s later
    assert gate.stats.duplicates == 7


def test_a_different_code_is_not_a_duplicate() -> None:
    gate = ScanGate()
    assert gate.offer(Scan("A"), 0.0) == [CodeScanned("A")]
    assert gate.offer(Scan("B"), 0.1) == [CodeScanned("B")]
    assert gate.offer(Scan("A"), 0.2) == [CodeScanned("A")]


def test_flood_keeps_the_newest_and_counts_the_dropped() -> None:
    gate = ScanGate(max_scans_per_s=2.0, burst=3)
    out = []
    for i in range(100):
        out += gate.offer(Scan(f"S{i}"), 0.0)
    assert out == [CodeScanned("S0"), CodeScanned("S1"), CodeScanned("S2")]
    assert gate.stats.dropped == 96
    assert gate.release(0.4) == []  # 0.8 of a token
    assert gate.release(0.5) == [ScanRejected(RejectReason.FLOOD, 96), CodeScanned("S99")]
    assert gate.release(5.0) == []
    assert gate.flooding(5.0, within_s=10.0) and not gate.flooding(10.0, within_s=10.0)


@given(st.lists(st.tuples(st.integers(0, 30), st.floats(0, 0.5)), max_size=200))
def test_emitted_rate_is_bounded_and_nothing_is_lost_uncounted(arrivals: list[tuple[int, float]]) -> None:
    gate = ScanGate(dedupe_window_s=0.0, max_scans_per_s=2.0, burst=3)
    now = 0.0
    emitted = dropped_reported = 0
    for code, gap in arrivals:
        now += gap
        for event in gate.offer(Scan(f"C{code}"), now):
            emitted += isinstance(event, CodeScanned)
            dropped_reported += event.count if isinstance(event, ScanRejected) else 0
    for event in gate.release(now + 10.0):
        emitted += isinstance(event, CodeScanned)
        dropped_reported += event.count if isinstance(event, ScanRejected) else 0
    assert emitted + dropped_reported == len(arrivals)
    assert emitted <= 3 + 2.0 * (now + 10.0) + 1


def test_rejections_are_summarised_not_repeated() -> None:
    gate = ScanGate(reject_interval_s=1.0)
    garbage = Rejected(RejectReason.UNDECODABLE, 3)
    assert gate.offer(garbage, 0.0) == [ScanRejected(RejectReason.UNDECODABLE, 1, 3)]
    for i in range(50):
        assert gate.offer(garbage, 0.01 * i) == []
    assert gate.release(1.0) == [ScanRejected(RejectReason.UNDECODABLE, 50)]
    assert gate.stats.rejected == 51 and gate.garbled_streak == 51
    gate.offer(Scan("OK"), 1.1)
    assert gate.garbled_streak == 0
