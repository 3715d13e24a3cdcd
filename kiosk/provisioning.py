"""Provisioning a terminal, as a flow the technician screen and `kiosk provision` share:
enroll with the one-time code, store the token (0600), fetch the catalog, record the
device inventory, run the doctor (INTERFACES.md §1).

Every outcome is a typed value (STYLE.md §4) a screen can word for a technician:
`Provisioned`, `CodeRejected` (used: 409; unknown or expired: 404), `PlatformUnreachable`,
`TokenRejected` (the platform refused the token it had just issued, or refuses it
later: `check_platform`), `InvalidInput`. Nothing changes on disk unless enrollment
succeeded; re-provisioning replaces the credentials in one atomic rename and forgets
the catalog's ETag when the platform address changed (that catalog came from
elsewhere). Qt-free; run it on a worker thread, it makes HTTP requests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.health import Health
from kiosk.config import Config
from kiosk.doctor import Check, Report
from offline_queue import catalog_cache
from offline_queue import credentials as creds_mod
from offline_queue.client import (
    CatalogDocument,
    Enrolled,
    NotModified,
    PlatformClient,
    Rejected,
    Transient,
    Unauthorized,
)
from offline_queue.credentials import Credentials
from offline_queue.outbox import Outbox

log = logging.getLogger(__name__)

INVENTORY_FILE = "inventory.json"
RECEIPT_FLOOR = 5000  # a known terminal id on a new disk continues the day's receipts from here


@dataclass(frozen=True)
class ProvisionRequest:
    platform_url: str
    code: str = field(repr=False)
    hall: str
    name: str
    terminal_id: str | None = None  # re-enroll a terminal the platform knows (new disk, leaked token)


# -- outcomes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provisioned:
    terminal_id: str
    kept_id: bool  # the same terminal id as before (re-provisioned)
    catalog_version: str | None  # None: not fetched yet (the sync worker retries)
    inventory: dict[str, Any]
    doctor: Report | None = None


@dataclass(frozen=True)
class CodeRejected:
    why: str  # used | unknown_or_expired | refused
    status: int

    @property
    def message(self) -> str:
        return {
            "used": "enrollment code already used / 注册码已被使用",
            "unknown_or_expired": "unknown or expired enrollment code / 注册码无效或已过期",
        }.get(self.why, f"enrollment refused (http {self.status}) / 注册被拒绝")


@dataclass(frozen=True)
class PlatformUnreachable:
    reason: str

    @property
    def message(self) -> str:
        return f"platform not reachable ({self.reason}); nothing changed / 无法连接平台，未做任何更改"


@dataclass(frozen=True)
class TokenRejected:
    @property
    def message(self) -> str:
        return "the platform refuses this terminal's token (401): provision again / 平台拒绝终端令牌，请重新注册"


@dataclass(frozen=True)
class InvalidInput:
    field: str  # platform_url | code | hall | name | terminal_id
    problem: str

    @property
    def message(self) -> str:
        return f"{self.field}: {self.problem}"


ProvisionOutcome = Provisioned | CodeRejected | PlatformUnreachable | TokenRejected | InvalidInput
ClientFactory = Callable[[str, str | None], PlatformClient]


def default_client(url: str, token: str | None) -> PlatformClient:
    return PlatformClient(url, token, timeout=10.0)


# -- the flow ---------------------------------------------------------------------------------------


def validate(request: ProvisionRequest) -> InvalidInput | None:
    url = request.platform_url.strip()
    if not url.startswith(("http://", "https://")) or len(url) < 10 or any(c.isspace() for c in url):
        return InvalidInput("platform_url", "expected an http:// or https:// address / 平台地址格式不正确")
    code = request.code.strip()
    if not 6 <= len(code) <= 64:
        return InvalidInput("code", "the one-time code has 6 to 64 characters / 注册码长度不正确")
    if not request.hall.strip():
        return InvalidInput("hall", "the service hall code is required / 请填写大厅编码")
    if not request.name.strip() or len(request.name.strip()) > 80:
        return InvalidInput("name", "a terminal name of 1 to 80 characters is required / 请填写终端名称")
    if request.terminal_id is not None and not creds_mod.TERMINAL_ID.match(request.terminal_id):
        return InvalidInput("terminal_id", "expected 4-32 of A-Z 0-9 - / 终端编号格式不正确")
    return None


def device_inventory(config: Config, health: Mapping[str, Health]) -> dict[str, Any]:
    """What the terminal has, as found at provisioning: ports, which are required, their
    state. Sent as the enrollment's `hardware` and kept in <storage>/inventory.json."""
    devices: dict[str, Any] = {}
    for kind, device in sorted(config.devices.items()):
        entry: dict[str, Any] = {"port": device.port, "required": device.required}
        h = health.get(kind)
        if h is not None:
            entry["state"] = h.state.value
            if h.reason:
                entry["reason"] = h.reason
        devices[kind] = entry
    return {"devices": devices, "app_version": _app_version()}


def _app_version() -> str:
    try:
        from importlib.metadata import version

        return version("kiosk")
    except Exception:
        return "0.0.0"


def provision(
    request: ProvisionRequest,
    config: Config,
    *,
    health: Mapping[str, Health] | None = None,
    outbox: Outbox | None = None,
    client_factory: ClientFactory = default_client,
    doctor: Callable[[], Report] | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone(),
) -> ProvisionOutcome:
    """Enroll, store the credentials, fetch the catalog, record the inventory, run the
    doctor. `outbox` is the running terminal's (one Outbox per process); without it one
    is opened when a receipt floor must be set. `doctor` defaults to `live_doctor` over
    `health` (never a second DeviceRegistry: it would take the running kiosk's ports)."""
    problem = validate(request)
    if problem is not None:
        return problem
    storage = config.storage_dir
    url = request.platform_url.strip().rstrip("/")
    previous = creds_mod.load(storage)
    wanted_id = request.terminal_id or (previous.terminal_id if previous else None)
    inventory = device_inventory(config, health or {})

    client = client_factory(url, None)
    try:
        result = client.enroll(request.code.strip(), request.hall.strip(), request.name.strip(),
                               terminal_id=wanted_id, hardware=inventory)
    finally:
        client.close()
    if isinstance(result, Transient):
        return PlatformUnreachable(result.reason)
    if isinstance(result, Unauthorized):
        return CodeRejected("refused", 401)
    if isinstance(result, Rejected):
        why = {409: "used", 404: "unknown_or_expired"}.get(result.status, "refused")
        return CodeRejected(why, result.status)
    if not isinstance(result, Enrolled):  # pragma: no cover - the client's union is closed
        return PlatformUnreachable("unexpected answer")

    if request.terminal_id and (previous is None or previous.terminal_id != result.terminal_id):
        _raise_receipt_floor(config, outbox, result.terminal_id, now().date())
    creds = Credentials(result.terminal_id, result.token, url, request.hall.strip(), request.name.strip())
    if previous is not None and previous.platform_url != url:
        # The cached catalog came from another platform: fetch this one's in full.
        with contextlib.suppress(FileNotFoundError):
            catalog_cache.etag_path(storage).unlink()
    creds_mod.save(storage, creds)
    kept = previous is not None and previous.terminal_id == result.terminal_id
    log.info("terminal provisioned as %s (id kept: %s)", result.terminal_id, kept)
    _write_inventory(storage, inventory, result.terminal_id, now())

    catalog_version: str | None = None
    client = client_factory(url, result.token)
    try:
        fetched = client.fetch_catalog(catalog_cache.read_etag(storage))
    finally:
        client.close()
    if isinstance(fetched, Unauthorized):
        return TokenRejected()
    if isinstance(fetched, CatalogDocument):
        catalog_cache.store(storage, fetched.body, fetched.etag)
        catalog_version = fetched.version
    elif isinstance(fetched, NotModified):
        cached = catalog_cache.load(storage)
        catalog_version = str(cached.get("version", "")) if cached else None
    else:
        log.warning("catalog not fetched at provisioning: %s",
                    fetched.reason if isinstance(fetched, Transient) else f"http {fetched.status}")

    config_now = config if config.platform_url == url else _with_platform(config, url)
    report = doctor() if doctor is not None else live_doctor(config_now, health or {}, token=result.token,
                                                              client_factory=client_factory)
    return Provisioned(result.terminal_id, kept, catalog_version, inventory, report)


def _with_platform(config: Config, url: str) -> Config:
    from dataclasses import replace

    return replace(config, platform_url=url)


def _raise_receipt_floor(config: Config, outbox: Outbox | None, terminal_id: str, day: dt.date) -> None:
    """A known terminal id on a new disk: the old disk may have issued today's first
    receipt numbers already, so this one continues from RECEIPT_FLOOR."""
    if outbox is not None:
        outbox.ensure_receipt_floor(terminal_id, day, RECEIPT_FLOOR)
        return
    own = Outbox(config.storage_dir, terminal_id)
    try:
        own.ensure_receipt_floor(terminal_id, day, RECEIPT_FLOOR)
    finally:
        own.close()


def _write_inventory(storage: Path, inventory: Mapping[str, Any], terminal_id: str, when: dt.datetime) -> None:
    body = {"terminal_id": terminal_id, "recorded_at": when.isoformat(timespec="seconds"), **inventory}
    path = storage / INVENTORY_FILE
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # the inventory is a record, not a reason to fail provisioning
        log.warning("device inventory not written: %s", type(exc).__name__)


def load_inventory(storage: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((storage / INVENTORY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# -- checking the platform later ------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformCheck:
    """What the technician screen shows about the platform."""

    url: str
    reachable: bool
    token: str  # accepted | rejected | not_provisioned | unknown (unreachable)
    clock_offset_s: float | None  # platform minus us, from its Date header
    detail: str = ""

    @property
    def token_rejected(self) -> TokenRejected | None:
        return TokenRejected() if self.token == "rejected" else None


def check_platform(storage_dir: Path, default_url: str, *,
                   client_factory: ClientFactory = default_client) -> PlatformCheck:
    """GET /v1/catalog with the stored token (and the cached ETag, so a 304 costs
    nothing): reachable? token still accepted (or revoked since: 401)? clock offset?"""
    creds = creds_mod.load(storage_dir)
    url = creds.platform_url if creds else default_url
    client = client_factory(url, creds.token if creds else None)
    try:
        answer = client.fetch_catalog(catalog_cache.read_etag(storage_dir) if creds else None)
        offset = client.clock_offset_s
    finally:
        client.close()
    if isinstance(answer, Transient):
        return PlatformCheck(url, False, "unknown", None, answer.reason)
    if creds is None:
        # Without a token a 401 still proves the platform answers.
        return PlatformCheck(url, True, "not_provisioned", offset)
    if isinstance(answer, Unauthorized):
        return PlatformCheck(url, True, "rejected", offset, "401")
    if isinstance(answer, Rejected):
        return PlatformCheck(url, True, "unknown", offset, f"http {answer.status}")
    return PlatformCheck(url, True, "accepted", offset)


def live_doctor(config: Config, health: Mapping[str, Health], *, token: str | None = None,
                client_factory: ClientFactory = default_client) -> Report:
    """`kiosk doctor` from inside the running kiosk: the devices as the running registry
    sees them, and the platform with this terminal's token."""
    from kiosk.doctor import _FIXES as FIXES  # the doctor's remedies, one table for both

    report = Report()
    for kind, h in sorted(health.items()):
        device = config.device(kind)
        report.checks.append(Check(
            name=kind, required=device.required, ok=h.usable, state=h.state.value,
            detail=" ".join(x for x in (device.port, h.reason, h.detail) if x),
            fix="" if h.usable else FIXES.get(h.reason, "see the technician screen's device test"),
        ))
    client = client_factory(config.platform_url, token)
    try:
        answer = client.fetch_catalog()
    finally:
        client.close()
    if isinstance(answer, Transient):
        report.checks.append(Check("platform", True, False, "unreachable", f"{config.platform_url} {answer.reason}",
                                   "check the network and [platform] url; applications queue meanwhile"))
    elif isinstance(answer, Unauthorized) and token:
        report.checks.append(Check("platform", True, False, "token_rejected", config.platform_url,
                                   "provision the terminal again"))
    elif isinstance(answer, Rejected):
        report.checks.append(Check("platform", True, False, "unexpected", f"{config.platform_url} http {answer.status}",
                                   "the address answers but is not the platform (captive portal?)"))
    else:
        report.checks.append(Check("platform", True, True, "reachable", config.platform_url))
    return report
