"""The terminal's configuration: TOML per INTERFACES.md §2, validated.

An error names the key and the file's line (`ConfigError.line`) so `kiosk` can print
one line and exit 2. Built-in defaults simulate every device and point at the
reference platform on loopback.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_PLATFORM_URL = "http://127.0.0.1:8765"
DEVICE_KINDS = ("id_reader", "printer", "scanner", "camera")


class ConfigError(Exception):
    def __init__(self, path: Path | None, key: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if path and line else (str(path) if path else "config")
        super().__init__(f"{where}: {key}: {message}")
        self.key = key
        self.line = line


@dataclass(frozen=True)
class DeviceConfig:
    kind: str
    port: str = "sim://"  # `source` for the camera
    required: bool = False
    encoding: str = "gbk"  # printer only
    columns: int = 48  # printer only
    baudrate: int = 115200  # serial devices; the SAM reader's default (hardware-protocols.md §1.1)
    # Camera only: the capture screen takes a page once it has lain still this long
    # (drivers/camera/quality.py AutoCapture); 0 turns auto-capture off (the button stays).
    auto_capture_s: float = 0.8

    @property
    def simulated(self) -> bool:
        return self.port.startswith("sim:")


@dataclass(frozen=True)
class Config:
    hall: str = "460100-HALL-01"
    terminal_name: str = "一楼自助区 2 号机"
    platform_url: str = DEFAULT_PLATFORM_URL
    storage_dir: Path = field(default_factory=lambda: default_storage_dir())
    devices: dict[str, DeviceConfig] = field(default_factory=lambda: default_devices())
    language: str = "zh"
    idle_warning_s: float = 120.0
    idle_reset_s: float = 30.0
    source: Path | None = None
    hotline: str = ""  # the hall's enquiry number, printed on notices; empty: only 12345
    holidays_file: Path | None = None  # next years' holiday schedule (kiosk/workdays.py)

    def device(self, kind: str) -> DeviceConfig:
        return self.devices.get(kind, DeviceConfig(kind=kind, port=""))

    @property
    def platform_is_local(self) -> bool:
        return self.platform_url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))

    def with_storage(self, directory: Path) -> Config:
        return replace(self, storage_dir=directory)


def default_storage_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kiosk"


def default_devices() -> dict[str, DeviceConfig]:
    return {
        "id_reader": DeviceConfig("id_reader", required=True),
        "printer": DeviceConfig("printer", required=True),
        "scanner": DeviceConfig("scanner"),
        "camera": DeviceConfig("camera", required=True),
    }


# -- loading ---------------------------------------------------------------------------

_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "terminal": {"hall": str, "name": str, "hotline": str},
    "platform": {"url": str},
    "storage": {"dir": str},
    "ui": {"language": str, "idle_warning_s": (int, float), "idle_reset_s": (int, float)},
    "calendar": {"holidays_file": str},
}
_HOTLINE = re.compile(r"^\+?[0-9][0-9 -]{2,23}$")
_DEVICE_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "port": str, "source": str, "required": bool, "encoding": str, "columns": int, "baudrate": int,
    "auto_capture_s": (int, float),
}


def _line_of(text: str, table: str, key: str | None) -> int | None:
    """The 1-based line of `key` inside `[table]` (or of the table header)."""
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + re.escape(table).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    start = None
    for i, raw in enumerate(lines):
        if header.match(raw):
            start = i
            if key is None:
                return i + 1
            continue
        if start is not None:
            if re.match(r"^\s*\[", raw):
                break
            if key is not None and re.match(r"^\s*" + re.escape(key) + r"\s*=", raw):
                return i + 1
    return start + 1 if start is not None else None


def find_config_path(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("KIOSK_CONFIG")
    if env:
        return Path(env)
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "kiosk" / "kiosk.toml"
    return xdg if xdg.exists() else None


def load_config(explicit: str | None = None) -> Config:
    path = find_config_path(explicit)
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, "file", None, f"cannot read ({exc.strerror}) / 无法读取配置文件") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path | None = None) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, "syntax", int(m.group(1)) if m else None, str(exc)) from None

    def fail(table: str, key: str | None, message: str) -> ConfigError:
        name = f"{table}.{key}" if key else table
        return ConfigError(path, name, _line_of(text, table, key), message)

    def check(table: str, values: dict[str, Any], schema: dict[str, type | tuple[type, ...]]) -> None:
        for key, value in values.items():
            if key not in schema:
                raise fail(table, key, "unknown key")
            expected = schema[key]
            if isinstance(value, bool) and expected in (int, (int, float)):
                raise fail(table, key, "expected a number")
            if not isinstance(value, expected):
                kinds = expected if isinstance(expected, tuple) else (expected,)
                raise fail(table, key, "expected " + " or ".join(k.__name__ for k in kinds))

    cfg = Config()
    kwargs: dict[str, Any] = {}
    for table, values in data.items():
        if table == "devices":
            continue
        if table not in _SCHEMA:
            raise fail(table, None, "unknown table")
        if not isinstance(values, dict):
            raise fail(table, None, "expected a table")
        check(table, values, _SCHEMA[table])
    terminal = data.get("terminal", {})
    kwargs["hall"] = terminal.get("hall", cfg.hall)
    kwargs["terminal_name"] = terminal.get("name", cfg.terminal_name)
    hotline = terminal.get("hotline", "").strip()
    if hotline and not _HOTLINE.match(hotline):
        raise fail("terminal", "hotline", 'expected a phone number such as "0898-12345" (digits, spaces, -)')
    kwargs["hotline"] = hotline
    holidays = data.get("calendar", {}).get("holidays_file")
    if holidays is not None:
        if not holidays.strip():
            raise fail("calendar", "holidays_file", "empty; remove the key to use the built-in schedule")
        # Relative to the config file, so /etc/kiosk/kiosk.toml can say "holidays-2027.txt".
        holidays_path = Path(holidays).expanduser()
        if not holidays_path.is_absolute() and path is not None:
            holidays_path = path.parent / holidays_path
        kwargs["holidays_file"] = holidays_path
    url = data.get("platform", {}).get("url", cfg.platform_url)
    if not re.match(r"^https?://[^\s/]+", url):
        raise fail("platform", "url", "expected an http:// or https:// URL")
    kwargs["platform_url"] = url.rstrip("/")
    if "dir" in data.get("storage", {}):
        kwargs["storage_dir"] = Path(data["storage"]["dir"]).expanduser()
    ui = data.get("ui", {})
    language = ui.get("language", cfg.language)
    if language not in ("zh", "en"):
        raise fail("ui", "language", 'expected "zh" or "en"')
    kwargs["language"] = language
    for key in ("idle_warning_s", "idle_reset_s"):
        value = float(ui.get(key, getattr(cfg, key)))
        if not 5 <= value <= 3600:
            raise fail("ui", key, "expected seconds between 5 and 3600")
        kwargs[key] = value

    devices = dict(cfg.devices)
    raw_devices = data.get("devices", {})
    if not isinstance(raw_devices, dict):
        raise fail("devices", None, "expected tables such as [devices.printer]")
    for kind, values in raw_devices.items():
        table = f"devices.{kind}"
        if kind not in DEVICE_KINDS:
            raise fail(table, None, "unknown device (id_reader, printer, scanner, camera)")
        if not isinstance(values, dict):
            raise fail(table, None, "expected a table")
        check(table, values, _DEVICE_SCHEMA)
        port_key = "source" if kind == "camera" else "port"
        other = "port" if kind == "camera" else "source"
        if other in values:
            raise fail(table, other, f"this device takes {port_key!r}")
        base = devices.get(kind, DeviceConfig(kind))
        encoding = values.get("encoding", base.encoding).lower()
        if encoding not in ("gbk", "gb18030"):
            raise fail(table, "encoding", 'expected "gbk" or "gb18030"')
        columns = values.get("columns", base.columns)
        if not 16 <= columns <= 96:
            raise fail(table, "columns", "expected 16 to 96 characters per line")
        port = values.get(port_key, base.port)
        if not port.strip():
            raise fail(table, port_key, "empty; use sim:// to simulate the device")
        auto_capture_s = float(values.get("auto_capture_s", base.auto_capture_s))
        if "auto_capture_s" in values and kind != "camera":
            raise fail(table, "auto_capture_s", "only the camera takes this")
        if auto_capture_s != 0 and not 0.3 <= auto_capture_s <= 10:
            raise fail(table, "auto_capture_s", "expected 0 (off) or seconds between 0.3 and 10")
        devices[kind] = DeviceConfig(
            kind=kind, port=port, required=values.get("required", base.required),
            encoding=encoding, columns=columns, baudrate=values.get("baudrate", base.baudrate),
            auto_capture_s=auto_capture_s,
        )
    kwargs["devices"] = devices
    kwargs["source"] = path
    return Config(**kwargs)
