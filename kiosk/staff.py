"""Technician PIN with a lockout that survives restarts, and hall staff who may operate
the terminal for a resident (帮办代办).

PINs and staff secrets are stored only as scrypt hashes in files of mode 0600 in the
storage dir. Wrong PINs lock the technician entry with growing delays; the lock is
written to disk before the answer is given, so pulling the plug does not reset it.
The lock is kept in wall-clock time (it must survive a restart) but never longer than
the longest delay from now, so a clock that jumps by a day neither unlocks early
forever nor locks a technician out for a day.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FREE_ATTEMPTS = 3
FIRST_DELAY_S = 30.0
MAX_DELAY_S = 3600.0
STAFF_CODE_PREFIX = "KIOSK-STAFF:"


def _hash(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return salt.hex() + "$" + digest.hex()


def _verify(secret: str, stored: str) -> bool:
    try:
        salt_hex, _ = stored.split("$", 1)
        expected = _hash(secret, bytes.fromhex(salt_hex))
    except ValueError:
        return False
    return hmac.compare_digest(expected, stored)


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(data).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class PinResult:
    ok: bool
    locked_for_s: float = 0.0  # > 0: refused without checking, try again after this
    attempts_left: int = 0  # wrong PINs left before the next lockout
    no_pin_set: bool = False


class TechnicianLock:
    def __init__(self, storage_dir: Path, *, wall: Callable[[], float] = time.time,
                 default_pin: str | None = None) -> None:
        self._pin_file = storage_dir / "technician-pin.json"
        self._lock_file = storage_dir / "technician-lock.json"
        self._wall = wall
        self._default_pin = default_pin

    def set_pin(self, pin: str) -> None:
        if not (pin.isdigit() and 6 <= len(pin) <= 12):
            raise ValueError("the PIN must be 6 to 12 digits")
        _write_private(self._pin_file, {"pin": _hash(pin, secrets.token_bytes(16))})

    @property
    def has_pin(self) -> bool:
        return "pin" in _read(self._pin_file) or self._default_pin is not None

    def remaining_lock_s(self) -> float:
        state = _read(self._lock_file)
        until = float(state.get("locked_until", 0.0))
        remaining = until - self._wall()
        return max(0.0, min(remaining, MAX_DELAY_S))

    def try_pin(self, pin: str) -> PinResult:
        locked = self.remaining_lock_s()
        if locked > 0:
            return PinResult(ok=False, locked_for_s=locked)
        stored = _read(self._pin_file).get("pin")
        if stored is None and self._default_pin is None:
            return PinResult(ok=False, no_pin_set=True)
        ok = _verify(pin, stored) if stored else hmac.compare_digest(pin, self._default_pin or "")
        state = _read(self._lock_file)
        if ok:
            _write_private(self._lock_file, {"failures": 0, "locked_until": 0.0})
            return PinResult(ok=True)
        failures = int(state.get("failures", 0)) + 1
        delay = 0.0
        if failures >= FREE_ATTEMPTS:
            delay = min(FIRST_DELAY_S * 2 ** (failures - FREE_ATTEMPTS), MAX_DELAY_S)
        _write_private(self._lock_file, {"failures": failures, "locked_until": self._wall() + delay})
        return PinResult(ok=False, locked_for_s=delay, attempts_left=max(0, FREE_ATTEMPTS - failures))


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    name: str

    def to_json(self) -> dict[str, str]:
        return {"staff_id": self.staff_id, "name": self.name}


class StaffDirectory:
    """Hall staff allowed to assist, with a PIN and a printed staff code (QR) each."""

    def __init__(self, storage_dir: Path) -> None:
        self._file = storage_dir / "staff.json"

    def add(self, staff_id: str, name: str, pin: str) -> str:
        """Register or replace a staff member; returns the staff code to print as a QR."""
        if not staff_id.isalnum():
            raise ValueError("staff id must be letters and digits")
        secret = secrets.token_urlsafe(12)
        data = _read(self._file)
        data[staff_id] = {"name": name, "pin": _hash(pin, secrets.token_bytes(16)),
                          "code": _hash(secret, secrets.token_bytes(16))}
        _write_private(self._file, data)
        return f"{STAFF_CODE_PREFIX}{staff_id}:{secret}"

    def by_pin(self, staff_id: str, pin: str) -> StaffMember | None:
        entry = _read(self._file).get(staff_id)
        if isinstance(entry, dict) and _verify(pin, str(entry.get("pin", ""))):
            return StaffMember(staff_id, str(entry.get("name", "")))
        return None

    def by_code(self, scanned: str) -> StaffMember | None:
        """A scanned staff code; anything else (a resident's receipt, a URL) is None."""
        if not scanned.startswith(STAFF_CODE_PREFIX):
            return None
        staff_id, _, secret = scanned[len(STAFF_CODE_PREFIX):].partition(":")
        entry = _read(self._file).get(staff_id)
        if isinstance(entry, dict) and secret and _verify(secret, str(entry.get("code", ""))):
            return StaffMember(staff_id, str(entry.get("name", "")))
        return None
