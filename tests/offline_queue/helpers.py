"""Builders shared by the outbox tests: valid applications for the fixture catalog,
canary personal data, and provisioning against the reference platform."""

from __future__ import annotations

import random
from pathlib import Path

import httpx

from drivers.id_reader.idnumber import check_digit
from offline_queue import credentials
from offline_queue.client import Enrolled, PlatformClient
from offline_queue.model import NewApplication, NewMaterial
from offline_queue.sync import fetch_and_store_catalog

CATALOG = Path(__file__).with_name("catalog_fixture.json")
FAST_TIMEOUT = httpx.Timeout(connect=2.0, read=1.0, write=2.0, pool=2.0)


def id_number(first17: str) -> str:
    return first17 + check_digit(first17)


# Personal data that must never reach the disk in plaintext (grep-able, unlikely elsewhere).
CANARY_NAME = "金丝雀甲乙丙"
CANARY_ID = id_number("11010119850615777")
CANARY_PHONE = "13912345678"


def fake_jpeg(size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return b"\xff\xd8\xff\xe0" + rng.randbytes(max(0, size - 4))


def make_app(
    *,
    item: str = "OQ-0001",
    pages: int = 2,
    page_size: int = 20_000,
    seed: int = 0,
    name: str = "张三明",
    id_no: str | None = None,
    phone: str = "13800138000",
    defer_cert: bool = True,
    extra_page_bytes: bytes = b"",
) -> NewApplication:
    materials: list[NewMaterial] = []
    if item == "OQ-0001":
        for i in range(pages):
            data = fake_jpeg(page_size, seed * 1000 + i) + (extra_page_bytes if i == 0 else b"")
            materials.append(NewMaterial("photo", "image/jpeg", data, 1))
        if not defer_cert:
            materials.append(NewMaterial("cert", "application/pdf", b"%PDF-1.4\n" + fake_jpeg(5000, seed + 77)))
        materials.append(NewMaterial("signature", "image/png", b"\x89PNG\r\n\x1a\n" + fake_jpeg(800, seed + 99)))
    return NewApplication(
        item_code=item,
        applicant={"id_type": "resident_id", "id_number": id_no or id_number("11010119900307123"), "name": name,
                   "phone": phone},
        delivery={"method": "pickup"},
        form={"phone": phone},
        commitment={"version": "c1"},
        materials=materials,
        deferred_materials=["cert"] if item == "OQ-0001" and defer_cert else [],
        catalog_version="oq-test-1",
    )


def provision(storage: Path, platform_url: str, code: str, terminal_id: str | None = None) -> credentials.Credentials:
    with PlatformClient(platform_url) as client:
        result = client.enroll(code, "TEST-HALL-01", "测试终端", terminal_id=terminal_id)
    assert isinstance(result, Enrolled), result
    creds = credentials.Credentials(result.terminal_id, result.token, platform_url, "TEST-HALL-01", "测试终端")
    credentials.save(storage, creds)
    with PlatformClient(platform_url, result.token) as client:
        fetch_and_store_catalog(client, storage)
    return creds


def all_bytes_under(root: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()]


def grep_tree(root: Path, needles: list[str]) -> list[str]:
    """Files under root containing any needle (UTF-8, UTF-16-LE: SQLite may store either)."""
    hits = []
    patterns = [n.encode(enc) for n in needles for enc in ("utf-8", "utf-16-le")]
    for path, data in all_bytes_under(root):
        for pattern in patterns:
            if pattern in data:
                hits.append(f"{path.relative_to(root)}")
                break
    return hits
