"""`kiosk device read-idcard --port URL [--json] [--timeout S]` (INTERFACES.md §1, §3).

Waits for a card on one reader and prints its fields: the JSON object of §3 with
`--json`, labelled lines otherwise. `--port sim://` (or a config that simulates the
reader) brings up the built-in simulator with a sample card, so the command works out
of the box; `--sim-card` picks which sample lies on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import unicodedata
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kiosk.commands.base import Groups, Subparsers, group
from kiosk.config import Config
from kiosk.errors import KioskError, UsageError

if TYPE_CHECKING:
    from drivers.id_reader.identity import Identity

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_SIM_CARD = "resident"


def register(sub: Subparsers, groups: Groups) -> None:
    device = group(sub, groups, "device", "设备调试 / device tools")
    parser: argparse.ArgumentParser = device.add_parser(
        "read-idcard",
        help="等待并读取一张身份证 / wait for an ID card and print its fields",
        description="Wait for a card on the ID reader and print its fields (INTERFACES.md §3).",
    )
    parser.add_argument("--port", metavar="URL",
                        help="pyserial URL of the reader (default: devices.id_reader.port of the config)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
                        help=f"seconds to wait for a card (default {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--sim-card", metavar="NAME", default=DEFAULT_SIM_CARD,
                        help="sample card on the built-in simulator (sim:// ports only)")
    parser.set_defaults(func=read_idcard)


def read_idcard(args: argparse.Namespace, config: Config) -> int:
    from drivers.id_reader.device import CardReadTimeout, ReaderFault, ReaderUnavailable, read_card_once

    device = config.device("id_reader")
    port: str = args.port or device.port
    if not port:
        raise UsageError("没有配置身份证阅读器 / no ID reader port: pass --port URL or set devices.id_reader.port")
    timeout_s: float = args.timeout
    if not timeout_s > 0:
        raise UsageError("--timeout 必须大于 0 / --timeout must be greater than 0")
    with _simulator_for(port, args.sim_card):
        try:
            identity = read_card_once(port, timeout_s, baudrate=device.baudrate)
        except CardReadTimeout as exc:
            why = f" (last attempt: {exc.last_failure})" if exc.last_failure else ""
            raise KioskError(
                f"{timeout_s:g} 秒内未读到身份证，请将证件放在读卡区 / "
                f"no ID card read within {timeout_s:g} s; place the card on the reader{why}"
            ) from None
        except ReaderFault as exc:
            raise KioskError(f"身份证阅读器故障 / ID reader fault: {exc.reason}") from None
        except ReaderUnavailable as exc:
            raise KioskError(f"无法连接身份证阅读器 {port} / ID reader at {port} not available: {exc}") from None
    if args.json:
        print(json.dumps(identity.to_json(), ensure_ascii=False))
    else:
        print(_human(identity))
    return 0


@contextlib.contextmanager
def _simulator_for(port: str, card: str) -> Iterator[None]:
    """For a `sim://` port nobody serves yet, register a simulator with a sample card
    for the duration of the command."""
    from drivers import sim

    url = sim.sim_url("id_reader", port)
    parts = urllib.parse.urlsplit(url)
    name = (parts.netloc + parts.path).strip("/") or "default"  # as drivers/sim/protocol_sim.py
    if parts.scheme != "sim" or sim.lookup(name) is not None:
        yield
        return
    from drivers.id_reader.sim import SAMPLE_NAMES, IdReaderSimulator

    if card not in SAMPLE_NAMES:
        raise UsageError(f"没有这张样卡 / no sample card {card!r}; choose from {', '.join(SAMPLE_NAMES)}")
    sim.register(name, IdReaderSimulator(card))
    try:
        yield
    finally:
        sim.unregister(name)


_LABELS = (
    ("id_type", "证件类型 / card type"),
    ("name", "姓名 / name"),
    ("english_name", "英文姓名 / English name"),
    ("gender", "性别 / sex"),
    ("nation", "民族 / ethnic group"),
    ("nationality", "国籍 / nationality"),
    ("birth_date", "出生 / born"),
    ("address", "住址 / address"),
    ("appended_address", "追加住址 / appended address"),
    ("id_number", "证件号码 / ID number"),
    ("permit_number", "通行证号码 / permit number"),
    ("issue_count", "签发次数 / issue count"),
    ("card_version", "证件版本 / card edition"),
    ("issuer", "签发机关 / issued by"),
    ("valid_from", "有效期自 / valid from"),
    ("valid_until", "有效期至 / valid until"),
    ("photo_wlt_sha256", "照片 SHA-256 / photo SHA-256"),
)


def _columns(text: str) -> int:
    """Terminal columns: a Hanzi takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _human(identity: Identity) -> str:
    fields = identity.to_json()
    width = max(_columns(label) for _, label in _LABELS)
    lines = []
    for key, label in _LABELS:
        if key in fields:
            value = fields[key]
            pad = " " * (width - _columns(label))
            lines.append(f"{label}{pad}  {'-' if value is None else value}")
    return "\n".join(lines)
