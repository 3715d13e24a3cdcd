"""Provisioning from the technician screen (or `kiosk provision`): enroll, store the
token 0600, fetch the catalog, record the inventory, run the doctor; every failure is a
typed outcome and changes nothing; re-provisioning replaces the credentials cleanly."""

from __future__ import annotations

import datetime as dt
import json
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.health import READY, DeviceState, Health
from kiosk.config import Config
from kiosk.provisioning import (
    CodeRejected,
    InvalidInput,
    PlatformUnreachable,
    Provisioned,
    ProvisionRequest,
    check_platform,
    load_inventory,
    provision,
)
from offline_queue import catalog_cache, credentials
from tests.offline_queue.helpers import CATALOG

HEALTH = {"id_reader": READY, "printer": Health(DeviceState.ERROR, "paper_out"), "scanner": READY}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    from kiosk.refplatform.server import start_in_thread

    running = start_in_thread(tmp_path / "platform", catalog_path=CATALOG)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def cfg(config: Config, platform: Any) -> Config:
    from dataclasses import replace

    return replace(config, platform_url=platform.url)


def request(platform: Any, code: str | None = None, **kw: Any) -> ProvisionRequest:
    return ProvisionRequest(platform.url, code or platform.new_enrollment_code(), kw.pop("hall", "460100-HALL-01"),
                            kw.pop("name", "一楼 2 号机"), **kw)


def test_first_provisioning_stores_everything(cfg: Config, platform: Any) -> None:
    outcome = provision(request(platform), cfg, health=HEALTH)
    assert isinstance(outcome, Provisioned), outcome
    assert not outcome.kept_id and outcome.catalog_version == "oq-test-1"
    creds = credentials.load(cfg.storage_dir)
    assert creds is not None and creds.terminal_id == outcome.terminal_id and creds.hall == "460100-HALL-01"
    assert stat.S_IMODE(credentials.path_in(cfg.storage_dir).stat().st_mode) == 0o600
    assert catalog_cache.load(cfg.storage_dir) is not None
    inventory = load_inventory(cfg.storage_dir)
    assert inventory is not None and inventory["devices"]["printer"]["reason"] == "paper_out"
    assert platform.platform.store.terminal(outcome.terminal_id)["terminal_name"] == "一楼 2 号机"
    doctor = outcome.doctor
    assert doctor is not None
    checks = {c.name: c for c in doctor.checks}
    assert checks["platform"].ok and not checks["printer"].ok and "paper" in checks["printer"].fix
    assert creds.token not in repr(outcome)  # the token stays out of reprs and logs


def test_reprovisioning_keeps_the_id_and_replaces_the_token(cfg: Config, platform: Any) -> None:
    first = provision(request(platform), cfg, health=HEALTH)
    assert isinstance(first, Provisioned)
    old = credentials.load(cfg.storage_dir)
    second = provision(request(platform, name="一楼 3 号机"), cfg, health=HEALTH)
    assert isinstance(second, Provisioned) and second.kept_id and second.terminal_id == first.terminal_id
    new = credentials.load(cfg.storage_dir)
    assert old is not None and new is not None and new.token != old.token and new.name == "一楼 3 号机"
    assert platform.platform.store.authenticate(old.token) is None  # the old token is revoked
    assert check_platform(cfg.storage_dir, cfg.platform_url).token == "accepted"
    assert not list(cfg.storage_dir.glob("*.tmp*"))


@pytest.mark.parametrize(("why", "status"), [("used", 409), ("unknown_or_expired", 404)])
def test_a_bad_code_is_refused_and_changes_nothing(cfg: Config, platform: Any, why: str, status: int) -> None:
    code = platform.new_enrollment_code()
    if why == "used":
        assert isinstance(provision(request(platform, code), cfg, health=HEALTH), Provisioned)
        before = credentials.path_in(cfg.storage_dir).read_bytes()
        outcome = provision(request(platform, code, name="另一台"), cfg, health=HEALTH)
        assert credentials.path_in(cfg.storage_dir).read_bytes() == before
    else:
        outcome = provision(request(platform, "ABCDE-FGHIJ"), cfg, health=HEALTH)
        assert credentials.load(cfg.storage_dir) is None
    assert outcome == CodeRejected(why, status)
    assert "注册码" in outcome.message


def test_an_expired_code_is_refused(cfg: Config, platform: Any) -> None:
    code = platform.new_enrollment_code(ttl=dt.timedelta(seconds=-1))
    outcome = provision(request(platform, code), cfg, health=HEALTH)
    assert outcome == CodeRejected("unknown_or_expired", 404)
    assert credentials.load(cfg.storage_dir) is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_platform_changes_nothing(config: Config) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    outcome = provision(ProvisionRequest(url, "ABCDE-FGHIJ", "H1", "N1"), config, health=HEALTH)
    assert isinstance(outcome, PlatformUnreachable) and "nothing changed" in outcome.message
    assert credentials.load(config.storage_dir) is None
    check = check_platform(config.storage_dir, url)
    assert not check.reachable and check.token == "unknown"


@pytest.mark.parametrize(("field", "kwargs"), [
    ("platform_url", {"platform_url": "ftp://x"}),
    ("code", {"code": "12"}),
    ("hall", {"hall": " "}),
    ("name", {"name": ""}),
    ("terminal_id", {"terminal_id": "t 1"}),
])
def test_bad_input_is_named(config: Config, field: str, kwargs: dict[str, str]) -> None:
    base = {"platform_url": "http://127.0.0.1:9", "code": "ABCDE-FGHIJ", "hall": "H1", "name": "N1"}
    outcome = provision(ProvisionRequest(**{**base, **kwargs}), config)  # type: ignore[arg-type]
    assert isinstance(outcome, InvalidInput) and outcome.field == field


def test_a_token_revoked_later_is_reported(cfg: Config, platform: Any) -> None:
    outcome = provision(request(platform), cfg, health=HEALTH)
    assert isinstance(outcome, Provisioned)
    check = check_platform(cfg.storage_dir, cfg.platform_url)
    assert check.reachable and check.token == "accepted" and check.clock_offset_s is not None
    platform.revoke_tokens(outcome.terminal_id)
    check = check_platform(cfg.storage_dir, cfg.platform_url)
    assert check.token == "rejected" and check.token_rejected is not None
    assert "重新注册" in check.token_rejected.message


def test_a_new_platform_address_fetches_its_catalog_in_full(cfg: Config, platform: Any, tmp_path: Path) -> None:
    from kiosk.refplatform.server import start_in_thread

    assert isinstance(provision(request(platform), cfg, health=HEALTH), Provisioned)
    catalog_cache.etag_path(cfg.storage_dir).write_text('"stale-etag"', encoding="utf-8")
    with start_in_thread(tmp_path / "platform2", catalog_path=CATALOG) as other:
        outcome = provision(request(other), cfg, health=HEALTH)
        assert isinstance(outcome, Provisioned) and outcome.catalog_version == "oq-test-1"
        creds = credentials.load(cfg.storage_dir)
        assert creds is not None and creds.platform_url == other.url
    assert catalog_cache.read_etag(cfg.storage_dir) != '"stale-etag"'


def test_replacement_disk_continues_receipts_above_the_floor(cfg: Config, platform: Any, tmp_path: Path) -> None:
    from dataclasses import replace

    from offline_queue.outbox import Outbox
    from tests.offline_queue.helpers import make_app

    first = provision(request(platform), cfg, health=HEALTH)
    assert isinstance(first, Provisioned)
    new_disk = replace(cfg, storage_dir=tmp_path / "new-disk")
    outcome = provision(request(platform, terminal_id=first.terminal_id), new_disk, health=HEALTH)
    assert isinstance(outcome, Provisioned) and outcome.terminal_id == first.terminal_id
    with Outbox(new_disk.storage_dir) as box:
        receipt = box.enqueue(make_app())
    assert "-50" in receipt.receipt_no  # sequence 5001 of the day
    assert json.loads((new_disk.storage_dir / "inventory.json").read_text())["terminal_id"] == first.terminal_id
