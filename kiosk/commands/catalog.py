"""`kiosk catalog list [--json]`: the service items this terminal offers;
`kiosk catalog notice ITEM_CODE [--printer URL] [--pdf OUT.pdf]`: an item's one-time
notice (一次性告知单) on the receipt printer, or as an A4 PDF (kiosk/notice.py).

Reads the catalog the sync engine cached (`<storage_dir>/catalog/catalog.json`). With
nothing cached the terminal is not provisioned yet: say so and exit 1, except on a
development setup (platform on loopback), which falls back to the bundled sample
with a note on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.commands.base import Groups, Subparsers, group
from kiosk.config import Config

if TYPE_CHECKING:
    from kiosk.catalog import Catalog


def register(sub: Subparsers, groups: Groups) -> None:
    catalog = group(sub, groups, "catalog", "the service items this terminal offers")
    listing = catalog.add_parser("list", help="items with their material codes and form fields (cached catalog)")
    listing.add_argument("--json", action="store_true", help="one JSON object on stdout")
    listing.set_defaults(func=_list)
    notice = catalog.add_parser(
        "notice", help="打印事项的一次性告知单 / print an item's one-time notice (receipt printer, or --pdf)")
    notice.add_argument("item_code", metavar="ITEM_CODE")
    notice.add_argument("--printer", metavar="URL", help="print on this printer (default: [devices.printer] port)")
    notice.add_argument("--pdf", metavar="OUT.pdf", help="write the notice as an A4 PDF (prints only with --printer too)")
    notice.add_argument("--out", metavar="PNG", help="sim:// only: where to write the rendered paper")
    notice.set_defaults(func=_notice)


def _notice(args: argparse.Namespace, config: Config) -> int:
    from kiosk.commands.printer import REASON_TEXT, print_once
    from kiosk.errors import KioskError
    from kiosk.notice import build_notice, notice_pdf_for

    catalog, _source = _catalog(config)
    item = catalog.get(args.item_code)
    if item is None:
        raise KioskError(f"目录中没有该事项 / no such item in the catalog: {args.item_code} "
                         "(see `kiosk catalog list`)")
    now = dt.datetime.now().astimezone()
    if args.pdf:
        out = Path(args.pdf)
        try:
            out.write_bytes(notice_pdf_for(item, hall_name=config.hall, hotline=config.hotline, issued_at=now))
        except OSError as exc:
            raise KioskError(f"无法写入 / cannot write {out}: {exc.strerror}") from None
        print(f"告知书 PDF notice: {out}")
        if not args.printer:
            return 0
    cfg = config.device("printer")
    data = build_notice(item, hall_name=config.hall, hotline=config.hotline, printed_at=now,
                        language=config.language, encoding=cfg.encoding, columns=cfg.columns)
    report = print_once(config, data, url=args.printer, preview=Path(args.out) if args.out else None)
    if not report.result.printed:
        zh, en = REASON_TEXT[report.result.reason.value]
        raise KioskError(f"告知单未打印：{zh} / notice not printed: {en}")
    print(f"告知单已打印 notice printed: {item.code} ({report.result.bytes_sent} bytes)")
    if report.preview is not None:
        print(f"预览 preview: {report.preview}")
    return 0


def _catalog(config: Config) -> tuple[Catalog, str]:
    """The cached catalog and where it came from ("cache" or "sample")."""
    from kiosk.catalog import CatalogError, load_cached_catalog, sample_catalog
    from kiosk.errors import KioskError

    try:
        catalog = load_cached_catalog(config.storage_dir)
    except CatalogError as exc:
        raise KioskError(f"{exc}; run `kiosk sync` to fetch it again / 请运行 kiosk sync 重新获取目录") from None
    source = "cache"
    if catalog is None:
        if not config.platform_is_local:
            raise KioskError(
                "本机还没有事项目录，请先运行 `kiosk provision` 或 `kiosk sync` / "
                "no catalog cached yet: run `kiosk provision` or `kiosk sync`"
            )
        catalog = sample_catalog()
        source = "sample"
        print("kiosk: 尚未同步目录，显示内置示例目录 / no catalog cached; showing the bundled sample "
              "(development platform on loopback)", file=sys.stderr)
    return catalog, source


def _list(args: argparse.Namespace, config: Config) -> int:
    catalog, source = _catalog(config)
    if args.json:
        out = {
            "version": catalog.version,
            "source": source,
            "items": [
                {
                    "code": item.code,
                    "name": item.name.to_json(),
                    "category": item.category,
                    "auth": item.auth.value,
                    "time_limit_days": item.time_limit_days,
                    "delivery": [d.value for d in item.delivery],
                    "material_codes": [m.code for m in item.materials],
                    "required_material_codes": [m.code for m in item.required_materials],
                    "deferrable_material_codes": [m.code for m in item.deferrable_materials],
                    "form_keys": [f.key for f in item.form],
                    "required_form_keys": [f.key for f in item.form if f.required],
                }
                for item in catalog
            ],
        }
        print(json.dumps(out, ensure_ascii=False))
        return 0

    lang = config.language
    print(f"catalog {catalog.version} ({source}), {len(catalog)} items")
    for item in catalog:
        print(f"{item.code}  {item.name.get(lang)}  [{item.category}; {item.auth.value}]")
        materials = ", ".join(
            m.code + ("*" if m.required else "") + ("~" if m.can_defer else "") for m in item.materials
        )
        fields = ", ".join(f.key + ("*" if f.required else "") for f in item.form)
        print(f"    materials: {materials or '-'}")
        print(f"    form: {fields or '-'}")
    print("(* required, ~ may be supplied later / 容缺)")
    return 0
