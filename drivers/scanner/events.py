"""What the scanner session reports to the kiosk (through DeviceRunner.on_event)."""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.scanner.codec import RejectReason, Symbology


@dataclass(frozen=True)
class CodeScanned:
    """A code was read. `text` is plain data: show it with Qt.PlainText, never open,
    run or interpolate it (reliability.md §4.2). Not in repr: it may be personal data."""

    text: str = field(repr=False)
    symbology: Symbology | None = None

    def __repr__(self) -> str:
        return f"CodeScanned(<{len(self.text)} chars>, symbology={self.symbology})"


@dataclass(frozen=True)
class ScanRejected:
    """A scan, or several, that the kiosk will not see. `count` > 1 summarises a burst
    (a flood, or repeated garbage); `size` is the raw byte length when one frame was
    rejected for what it held, else 0."""

    reason: RejectReason
    count: int = 1
    size: int = 0


ScannerEvent = CodeScanned | ScanRejected
