"""`kiosk provision`, `kiosk queue …` and `kiosk sync --once` as a technician uses them
(INTERFACES.md §1): one JSON line or one clear error line, and the documented exit codes."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from offline_queue import credentials
from offline_queue.outbox import Outbox
from tests.offline_queue.helpers import fake_jpeg, make_app


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "storage"}"\n', encoding="utf-8")
    return path


def run(cfg: Path, *argv: str) -> int:
    return main(["--config", str(cfg), *argv])


def provisioned(cfg: Path, platform: Any) -> None:
    assert run(cfg, "provision", "--platform", platform.url, "--code", platform.new_enrollment_code(),
               "--hall", "TEST-HALL-01", "--name", "一楼 1 号机") == 0


def submission(tmp_path: Path, **changes: Any) -> Path:
    body: dict[str, Any] = {
        "item_code": "OQ-0001", "catalog_version": "oq-test-1",
        "applicant": {"id_type": "resident_id", "id_number": "11010119900307123X", "name": "李四"},
        "form": {"phone": "13800138000"}, "commitment": {"version": "c1"},
        "delivery": {"method": "pickup"}, "deferred_materials": ["cert"], "assisted_by": None,
    }
    body.update(changes)
    path = tmp_path / "sub.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


def page(tmp_path: Path, name: str, seed: int) -> Path:
    path = tmp_path / name
    path.write_bytes(fake_jpeg(10_000, seed))
    return path


def test_provision_stores_a_private_token_and_the_catalog(cfg: Path, platform: Any, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    provisioned(cfg, platform)
    storage = tmp_path / "storage"
    creds_path = credentials.path_in(storage)
    assert stat.S_IMODE(creds_path.stat().st_mode) == 0o600
    first = credentials.load(storage)
    assert first is not None and first.platform_url == platform.url
    assert json.loads((storage / "catalog" / "catalog.json").read_text())["version"] == "oq-test-1"
    assert (storage / "catalog" / "etag").read_text().strip() == platform.catalog_etag
    # Re-provisioning keeps the terminal id, replaces the token, stays 0600.
    provisioned(cfg, platform)
    second = credentials.load(storage)
    assert second is not None and second.terminal_id == first.terminal_id and second.token != first.token
    assert stat.S_IMODE(creds_path.stat().st_mode) == 0o600
    capsys.readouterr()
    # A used code: one line, exit 1, the stored credentials untouched.
    code = platform.new_enrollment_code()
    assert run(cfg, "provision", "--platform", platform.url, "--code", code, "--hall", "H", "--name", "N") == 0
    kept = credentials.load(storage)
    capsys.readouterr()
    assert run(cfg, "provision", "--platform", platform.url, "--code", code, "--hall", "X", "--name", "Y") == 1
    err = capsys.readouterr().err
    assert "already used" in err and err.count("\n") == 1
    assert credentials.load(storage) == kept


def test_provision_without_a_platform_is_a_temporary_failure(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(cfg, "provision", "--platform", "http://127.0.0.1:9", "--code", "ABCDEFGH", "--hall", "H",
               "--name", "N") == 75
    assert "not reachable" in capsys.readouterr().err


def test_queue_add_status_sync_once(cfg: Path, platform: Any, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    provisioned(cfg, platform)
    capsys.readouterr()
    sub = submission(tmp_path)
    assert run(cfg, "queue", "add", str(sub), "--material", f"photo={page(tmp_path, 'p1.jpg', 1)}",
               "--material", f"photo={page(tmp_path, 'p2.jpg', 2)}") == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    ids = json.loads(out[0])
    assert set(ids) == {"submission_id", "receipt_no"}
    assert run(cfg, "queue", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["pending"] == 1 and {"delivering", "delivered", "quarantined", "oldest_pending_age_s"} <= set(status)
    assert run(cfg, "sync", "--once") == 0
    capsys.readouterr()
    case = platform.case_of_submission(ids["submission_id"])
    assert case is not None and case["receipt_no"] == ids["receipt_no"]
    assert len(platform.materials(ids["submission_id"])) == 2
    assert run(cfg, "queue", "list") == 0
    assert ids["submission_id"] in capsys.readouterr().out


@pytest.mark.parametrize(("changes", "materials", "message"), [
    ({"item_code": "NOPE"}, True, "no such item"),
    ({"item_code": "OQ-COUNTER"}, False, "cannot be done at a terminal"),
    ({"deferred_materials": []}, True, "material cert"),
    ({"form": {}}, True, "form.phone"),
    ({"receipt_no": "X"}, True, "filled in by the kiosk"),
])
def test_queue_add_refuses_what_does_not_fit_the_catalog(changes: dict[str, Any], materials: bool, message: str,
                                                         cfg: Path, platform: Any, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    provisioned(cfg, platform)
    capsys.readouterr()
    extra = ["--material", f"photo={page(tmp_path, 'p.jpg', 3)}"] if materials else []
    assert run(cfg, "queue", "add", str(submission(tmp_path, **changes)), *extra) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    with Outbox(tmp_path / "storage") as box:
        assert box.status().pending == 0


def test_sync_once_exit_codes(cfg: Path, platform: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    provisioned(cfg, platform)
    storage = tmp_path / "storage"
    with Outbox(storage) as box:
        bad = box.enqueue(make_app(seed=1, phone="12"))  # the platform will say 422
    assert run(cfg, "sync", "--once") == 1  # something quarantined
    capsys.readouterr()
    assert run(cfg, "queue", "list", "--state", "quarantined", "--json") == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [i["id"] for i in listed] == [bad.submission_id]
    assert listed[0]["quarantine"]["reason"] == "validation"
    assert {"field": "form.phone", "code": "format"} in listed[0]["quarantine"]["errors"]
    assert run(cfg, "queue", "retry", bad.submission_id) == 0
    assert run(cfg, "sync", "--once") == 1  # still invalid: quarantined again, not dropped
    # With the platform gone, what is queued must wait for a retry: 75.
    platform.stop()
    with Outbox(storage) as box:
        box.retry(bad.submission_id)
        box.enqueue(make_app(seed=2))
    assert run(cfg, "sync", "--once") == 75


def test_export_import_through_the_cli(cfg: Path, platform: Any, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    provisioned(cfg, platform)
    with Outbox(tmp_path / "storage") as box:
        box.enqueue(make_app(seed=4))
    capsys.readouterr()
    bundle = tmp_path / "out.bundle"
    assert run(cfg, "queue", "export", str(bundle)) == 0
    out = capsys.readouterr().out
    passphrase = out.split("口令:")[1].strip()
    other = tmp_path / "other.toml"
    other.write_text(f'[storage]\ndir = "{tmp_path / "other"}"\n', encoding="utf-8")
    assert run(other, "queue", "import", str(bundle)) == 1  # no passphrase, no tty
    monkeypatch.setenv("KIOSK_BUNDLE_PASSPHRASE", passphrase)
    assert run(other, "queue", "import", str(bundle)) == 0
    assert "imported 1" in capsys.readouterr().out


def test_sync_without_provisioning_is_a_clear_error(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(cfg, "sync", "--once") == 1
    assert "provision" in capsys.readouterr().err
