"""The cached catalog: `<storage_dir>/catalog/catalog.json` and `<storage_dir>/catalog/etag`.

Both written atomically (temp, fsync, rename, fsync dir); the catalog first, so a crash
between the two leaves an old or missing ETag and the next check simply fetches again.
`kiosk.catalog` reads the same file; this module only stores what the platform sent.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from offline_queue.files import atomic_write, fsync_dir

CATALOG_DIR = "catalog"
CATALOG_FILE = "catalog.json"
ETAG_FILE = "etag"


def catalog_path(storage_dir: Path) -> Path:
    return Path(storage_dir) / CATALOG_DIR / CATALOG_FILE


def etag_path(storage_dir: Path) -> Path:
    return Path(storage_dir) / CATALOG_DIR / ETAG_FILE


def read_etag(storage_dir: Path) -> str | None:
    try:
        value = etag_path(storage_dir).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not value or not catalog_path(storage_dir).exists():
        return None
    return value


def load(storage_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(catalog_path(storage_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def store(storage_dir: Path, body: bytes, etag: str | None) -> None:
    directory = Path(storage_dir) / CATALOG_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    atomic_write(directory / CATALOG_FILE, body, mode=0o644)
    if etag:
        atomic_write(directory / ETAG_FILE, etag.encode(), mode=0o644)
    else:
        with contextlib.suppress(FileNotFoundError):
            (directory / ETAG_FILE).unlink()
    fsync_dir(directory)
