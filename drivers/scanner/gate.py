"""Between the framer and the kiosk: duplicates ignored, floods limited. Pure; times are
numbers the session passes in.

- **Duplicates.** A presentation scanner in continuous mode re-reads a code for as long
  as it is held under the window, so a scan of the same text within `dedupe_window_s`
  of the last time it was *seen* is ignored. The window slides while the code is held,
  so one presentation is one scan however long it lasts.
- **Floods.** A person presents at most a few codes a second. Scans beyond a token
  bucket (`max_scans_per_s`, `burst`) are not queued: the newest waits in one slot, older
  ones are counted as dropped, and when the bucket refills the kiosk gets one
  `ScanRejected(FLOOD, count)` and then the newest scan. The buffer is one scan, whatever
  the burst (reliability.md §7 B5: "a bounded buffer").
- **Rejections** are reported at most once per reason per `reject_interval_s`; the rest
  are folded into the next report's `count`, so garbage on the line cannot flood the
  kiosk with events either.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.scanner.codec import FramerEvent, Rejected, RejectReason, Scan
from drivers.scanner.events import CodeScanned, ScannerEvent, ScanRejected

# Rejections that suggest the line itself is wrong (baud rate, encoding setting) rather
# than one bad code: hardware-protocols.md §7 item 6 lists these settings as unverified.
_GARBLED = frozenset({RejectReason.UNDECODABLE, RejectReason.TRUNCATED})


@dataclass(frozen=True)
class ScannerStats:
    scanned: int = 0  # CodeScanned events emitted
    duplicates: int = 0  # ignored as the same text within the window
    dropped: int = 0  # lost to flood limiting
    rejected: int = 0  # frames the framer rejected (oversize, undecodable, …)


class ScanGate:
    def __init__(
        self,
        *,
        dedupe_window_s: float = 1.5,
        max_scans_per_s: float = 2.0,
        burst: int = 3,
        reject_interval_s: float = 1.0,
    ) -> None:
        if max_scans_per_s <= 0 or burst < 1:
            raise ValueError("max_scans_per_s must be > 0 and burst ≥ 1")
        self._window_s = dedupe_window_s
        self._rate = max_scans_per_s
        self._burst = float(burst)
        self._reject_interval_s = reject_interval_s
        self._last_text: str | None = None
        self._last_seen_at = 0.0
        self._tokens = float(burst)
        self._refilled_at: float | None = None
        self._held: Scan | None = None
        self._flood_dropped = 0  # dropped since the last summary
        self.last_drop_at: float | None = None
        self._reject_last: dict[RejectReason, float] = {}
        self._reject_pending: dict[RejectReason, int] = {}
        self.garbled_streak = 0  # undecodable/truncated frames since the last good scan
        self._scanned = 0
        self._duplicates = 0
        self._dropped = 0
        self._rejected = 0

    @property
    def stats(self) -> ScannerStats:
        return ScannerStats(self._scanned, self._duplicates, self._dropped, self._rejected)

    def offer(self, item: FramerEvent, now: float) -> list[ScannerEvent]:
        if isinstance(item, Rejected):
            return self._reject(item, now)
        self.garbled_streak = 0
        if item.text == self._last_text and now - self._last_seen_at < self._window_s:
            self._last_seen_at = now
            self._duplicates += 1
            return []
        self._last_text = item.text
        self._last_seen_at = now
        out = self.release(now)
        self._refill(now)
        if self._held is None and self._tokens >= 1.0:
            self._tokens -= 1.0
            return [*out, self._emit(item)]
        if self._held is not None:
            self._flood_dropped += 1
            self._dropped += 1
            self.last_drop_at = now
        self._held = item
        return out

    def release(self, now: float) -> list[ScannerEvent]:
        """Events that have become due: a held scan once a token is back, and the
        summaries of rejections folded since the last report."""
        out: list[ScannerEvent] = []
        for reason, count in list(self._reject_pending.items()):
            if now - self._reject_last[reason] >= self._reject_interval_s:
                out.append(ScanRejected(reason, count))
                self._reject_last[reason] = now
                del self._reject_pending[reason]
        if self._held is not None:
            self._refill(now)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                if self._flood_dropped:
                    out.append(ScanRejected(RejectReason.FLOOD, self._flood_dropped))
                    self._flood_dropped = 0
                out.append(self._emit(self._held))
                self._held = None
        return out

    def flooding(self, now: float, within_s: float) -> bool:
        return self.last_drop_at is not None and now - self.last_drop_at < within_s

    # -- internals ---------------------------------------------------------------------
    def _emit(self, scan: Scan) -> CodeScanned:
        self._scanned += 1
        return CodeScanned(scan.text, scan.symbology)

    def _refill(self, now: float) -> None:
        if self._refilled_at is not None and now > self._refilled_at:
            self._tokens = min(self._burst, self._tokens + (now - self._refilled_at) * self._rate)
        if self._refilled_at is None or now > self._refilled_at:
            self._refilled_at = now

    def _reject(self, item: Rejected, now: float) -> list[ScannerEvent]:
        self._rejected += 1
        if item.reason in _GARBLED:
            self.garbled_streak += 1
        last = self._reject_last.get(item.reason)
        if last is None or now - last >= self._reject_interval_s:
            self._reject_last[item.reason] = now
            folded = self._reject_pending.pop(item.reason, 0)
            return [ScanRejected(item.reason, 1 + folded, item.size if not folded else 0)]
        self._reject_pending[item.reason] = self._reject_pending.get(item.reason, 0) + 1
        return []
