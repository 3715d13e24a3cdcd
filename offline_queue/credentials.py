"""The terminal's platform credentials: `<storage_dir>/credentials.json`, mode 0600.

Written by `kiosk provision` (atomically, so a crash leaves the old or the new file,
never half of one) and read by the outbox (terminal id for receipt numbers) and the
sync worker (token, platform URL) each time they need them, so a re-provisioned
terminal needs no restart.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from offline_queue.files import atomic_write, fsync_dir

FILE_NAME = "credentials.json"
TERMINAL_ID = re.compile(r"^[A-Z0-9-]{4,32}$")


@dataclass(frozen=True)
class Credentials:
    terminal_id: str
    token: str = field(repr=False)
    platform_url: str
    hall: str
    name: str


def path_in(storage_dir: Path) -> Path:
    return storage_dir / FILE_NAME


def load(storage_dir: Path) -> Credentials | None:
    """The stored credentials, or None when the terminal is not provisioned (or the
    file is unreadable: delivery then waits, it does not crash)."""
    try:
        data = json.loads(path_in(storage_dir).read_text(encoding="utf-8"))
        creds = Credentials(
            terminal_id=str(data["terminal_id"]), token=str(data["token"]),
            platform_url=str(data["platform_url"]).rstrip("/"), hall=str(data.get("hall", "")),
            name=str(data.get("name", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not TERMINAL_ID.match(creds.terminal_id) or not creds.token:
        return None
    return creds


def save(storage_dir: Path, creds: Credentials) -> None:
    storage_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    body = json.dumps(asdict(creds), ensure_ascii=False, indent=2).encode()
    atomic_write(path_in(storage_dir), body, mode=0o600)
    fsync_dir(storage_dir)


def terminal_id_of(storage_dir: Path) -> str | None:
    creds = load(storage_dir)
    return creds.terminal_id if creds else None
