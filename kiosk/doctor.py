"""`kiosk doctor`: every configured device and the platform, with what to do when one
fails. Exit 0 only when every required one is ready."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from drivers.health import DeviceState
from kiosk.config import Config
from kiosk.devices import DeviceRegistry

_FIXES = {
    "disconnected": "check the cable and the port in the config ([devices.*] port); ls -l /dev/serial/by-id/",
    "driver_missing": "reinstall the kiosk package (make install)",
    "paper_out": "load a paper roll and close the cover",
    "paper_near_end": "replace the paper roll soon",
    "cover_open": "close the printer cover",
    "sam_fault": "power-cycle the ID reader; if it persists, replace its SAM module",
    "no_answer": "the printer does not answer status queries: check baud rate/flow control and the cable",
    "offline": "the printer reports offline: open and close the cover, check paper, power-cycle",
    "cutter_error": "clear the paper jam at the cutter, then close the cover",
    "mechanical_error": "clear the jam and power-cycle the printer",
    "unrecoverable_error": "power-cycle the printer; if it persists, call the vendor",
    "auto_recoverable_error": "wait a minute (head overheated?), then print a test page",
}


@dataclass
class Check:
    name: str
    required: bool
    ok: bool
    state: str
    detail: str = ""
    fix: str = ""


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.required)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [
                {"name": c.name, "required": c.required, "ok": c.ok, "state": c.state, "detail": c.detail, "fix": c.fix}
                for c in self.checks
            ],
        }


def run_checks(config: Config, *, timeout_s: float = 5.0) -> Report:
    report = Report()
    registry = DeviceRegistry(config)
    registry.start()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(
            h.state is DeviceState.CONNECTING for h in registry.health().values()
        ):
            time.sleep(0.05)
        for kind, health in sorted(registry.health().items()):
            required = config.device(kind).required
            report.checks.append(Check(
                name=kind, required=required, ok=health.usable, state=health.state.value,
                detail=" ".join(x for x in (config.device(kind).port, health.reason, health.detail) if x),
                fix="" if health.usable else _FIXES.get(health.reason, "see the technician screen's device test"),
            ))
    finally:
        registry.stop()
    report.checks.append(_platform_check(config))
    if config.holidays_file is not None:
        report.checks.append(_holidays_check(config.holidays_file))
    return report


def _holidays_check(path: Path) -> Check:
    """The holidays file ([calendar] holidays_file). Not required: without it working
    days past chinesecalendar's years are estimated, and receipts say so."""
    from kiosk.workdays import HolidayFileError, load_holidays

    try:
        schedule = load_holidays(path)
    except HolidayFileError as exc:
        where = f"{exc.source}:{exc.line}" if exc.line else exc.source
        return Check("holidays_file", False, False, "invalid", f"{where}: {exc.message}",
                     "fix that line (format in kiosk/workdays.py), then restart the kiosk; meanwhile the "
                     "built-in schedule is used")
    years = ", ".join(str(y) for y in sorted(schedule.years))
    return Check("holidays_file", False, True, "loaded",
                 f"{path}: {len(schedule.holidays)} days off, {len(schedule.workdays)} make-up workdays ({years})")


def _platform_check(config: Config) -> Check:
    url = config.platform_url
    try:
        response = httpx.get(f"{url}/v1/catalog", timeout=3.0)
    except httpx.HTTPError as exc:
        return Check("platform", True, False, "unreachable", f"{url} {type(exc).__name__}",
                     "check the network and [platform] url; applications queue meanwhile")
    # 401 without a token still proves the platform answers; provisioning is its own check.
    ok = response.status_code in (200, 304, 401)
    return Check("platform", True, ok, "reachable" if ok else "unexpected", f"{url} HTTP {response.status_code}",
                 "" if ok else "the address answers but is not the platform (captive portal?)")
