"""Capture: what `enqueue` refuses, the ids and receipt numbers it chooses, the manifest
it stores; and the database underneath (pragmas, migrations, a newer schema, two
writers on one storage dir)."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_queue.clock import FakeClock
from offline_queue.db import SQLITE_VERSION, WAL_RESET_BUG_AFFECTED, WAL_RESET_FIXED
from offline_queue.errors import CorruptDatabase, InvalidApplication, NotProvisioned, UnknownItem
from offline_queue.model import Kind, NewApplication, mask_name
from offline_queue.outbox import DB_FILE, MIGRATIONS, Outbox, receipt_parts
from tests.offline_queue.helpers import CANARY_ID, make_app


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Outbox]:
    b = Outbox(tmp_path / "s", "T0001", clock=FakeClock())
    try:
        yield b
    finally:
        b.close()


@pytest.mark.parametrize(("change", "field"), [
    ({"item_code": ""}, "item_code"),
    ({"applicant": {"id_type": "passport", "id_number": CANARY_ID, "name": "张三"}}, "applicant.id_type"),
    ({"applicant": {"id_type": "resident_id", "id_number": "", "name": "张三"}}, "applicant.id_number"),
    ({"delivery": {"method": "drone"}}, "delivery.method"),
    ({"commitment": {}}, "commitment.version"),
    ({"form": {"when": object()}}, "form"),
])
def test_invalid_applications_are_refused_naming_the_field_only(box: Outbox, change: dict[str, object],
                                                                field: str) -> None:
    base = make_app(seed=1, id_no=CANARY_ID)
    app = NewApplication(**{**base.__dict__, **change})  # type: ignore[arg-type]
    with pytest.raises(InvalidApplication) as info:
        box.enqueue(app)
    assert info.value.field == field
    assert CANARY_ID not in str(info.value)
    assert box.status().pending == 0 and box.files.names() == []


def test_no_terminal_id_no_receipt(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "s")  # no credentials.json
    with pytest.raises(NotProvisioned, match="provision"):
        box.enqueue(make_app())
    box.close()


def test_receipt_numbers_follow_a_daily_sequence_across_restarts(tmp_path: Path) -> None:
    clock = FakeClock(dt.datetime(2026, 11, 23, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    box = Outbox(tmp_path / "s", "T0001", clock=clock)
    first = [box.enqueue(make_app(item="OQ-0002", seed=i)).receipt_no for i in range(3)]
    box.close()
    box = Outbox(tmp_path / "s", "T0001", clock=clock)
    fourth = box.enqueue(make_app(item="OQ-0002", seed=4)).receipt_no
    clock.advance(120)  # past midnight
    next_day = box.enqueue(make_app(item="OQ-0002", seed=5)).receipt_no
    box.close()
    assert [receipt_parts(r) for r in [*first, fourth]] == [("T0001", dt.date(2026, 11, 23), n) for n in (1, 2, 3, 4)]
    assert receipt_parts(next_day) == ("T0001", dt.date(2026, 11, 24), 1)


def test_the_manifest_carries_ids_sizes_and_hashes_chosen_at_capture(box: Outbox) -> None:
    app = make_app(seed=3, pages=2)
    receipt = box.enqueue(app)
    manifest = box.payload(Kind.APPLICATION, receipt.submission_id)
    assert manifest["receipt_no"] == receipt.receipt_no and manifest["terminal_id"] == "T0001"
    assert manifest["created_at"] == manifest["commitment"]["accepted_at"] == "2026-11-23T09:30:00+08:00"
    by_code = {m["code"]: m for m in manifest["materials"]}
    assert manifest["commitment"]["signature_material_id"] == by_code["signature"]["material_id"]
    for entry, original in zip(manifest["materials"], app.materials, strict=True):
        assert entry["size"] == len(original.data)
        assert entry["sha256"] == hashlib.sha256(original.data).hexdigest()
        assert box.material_bytes(receipt.submission_id, entry["material_id"]) == original.data
    assert manifest["deferred_materials"] == ["cert"]
    assert len({m["material_id"] for m in manifest["materials"]}) == 3


def test_lookup_and_receipt_data(box: Outbox) -> None:
    receipt = box.enqueue(make_app(seed=4, pages=3))
    data = box.receipt_data(receipt.receipt_no.lower())  # typed in by hand
    assert data.receipt_no == receipt.receipt_no and data.item_code == "OQ-0001"
    assert data.materials == (("photo", 3),) and data.deferred_materials == ("cert",)
    assert data.applicant_name_masked == "张*明" and data.delivery_method == "pickup"
    assert data.case_no is None
    with pytest.raises(UnknownItem):
        box.lookup("T0001-261123-9999ZZ")
    assert [mask_name(n) for n in ("张三", "欧阳娜娜", "X", "")] == ["张*", "欧**娜", "*", ""]


def test_database_pragmas_and_migrations(box: Outbox) -> None:
    with box.db.locked() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert (SQLITE_VERSION < WAL_RESET_FIXED) == WAL_RESET_BUG_AFFECTED


def test_a_database_from_a_newer_kiosk_is_refused(tmp_path: Path) -> None:
    Outbox(tmp_path / "s", "T0001").close()
    conn = sqlite3.connect(tmp_path / "s" / DB_FILE)
    conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(CorruptDatabase, match="newer"):
        Outbox(tmp_path / "s", "T0001")


def test_two_outboxes_on_one_storage_dir_take_turns(tmp_path: Path) -> None:
    """The kiosk and a technician's `kiosk queue add` at once: writes are serialized by
    the writer lock, no 'database is locked', no lost or duplicated receipt number."""
    a = Outbox(tmp_path / "s", "T0001")
    b = Outbox(tmp_path / "s", "T0001")
    receipts: list[str] = []
    errors: list[BaseException] = []

    def work(box: Outbox, seed: int) -> None:
        try:
            for i in range(15):
                receipts.append(box.enqueue(make_app(seed=seed + i, pages=1, page_size=2000)).receipt_no)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a, 0)), threading.Thread(target=work, args=(b, 100))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(set(receipts)) == 30
    assert a.status().pending == 30
    a.close()
    b.close()
