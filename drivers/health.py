"""The closed set of device health states (after XFS4IoT / CUSS / vxsuite).

A fault is a state, not an exception: sessions report `Health` values and the kiosk
decides what a resident sees. Reasons are short machine codes without personal data
(e.g. "paper_out", "sam_fault"); `detail` is for technicians.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DeviceState(enum.Enum):
    CONNECTING = "connecting"  # opening the port / first handshake not done yet
    READY = "ready"  # present and operational
    BUSY = "busy"  # an operation is in progress
    DEGRADED = "degraded"  # works, but a supply or sub-part needs attention (paper near end)
    OFFLINE = "offline"  # unplugged, not answering, or taken offline after repeated faults
    ERROR = "error"  # present but inoperable (cover open, paper out, SAM fault)

    @property
    def usable(self) -> bool:
        return self in (DeviceState.READY, DeviceState.BUSY, DeviceState.DEGRADED)

    @property
    def heartbeat(self) -> str:
        """The platform's TerminalStatus device state (ok, degraded, offline, error)."""
        return _HEARTBEAT[self]


_HEARTBEAT = {
    DeviceState.CONNECTING: "offline",
    DeviceState.READY: "ok",
    DeviceState.BUSY: "ok",
    DeviceState.DEGRADED: "degraded",
    DeviceState.OFFLINE: "offline",
    DeviceState.ERROR: "error",
}


@dataclass(frozen=True)
class Health:
    state: DeviceState
    reason: str = ""
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.state.usable


CONNECTING = Health(DeviceState.CONNECTING)
READY = Health(DeviceState.READY)


class DeviceUnavailable(Exception):
    """The transport dropped or the device stopped answering; the runner reconnects."""
