"""`kiosk catalog list [--json]`: the service items this terminal offers.

Reads the catalog the sync engine cached (`<storage_dir>/catalog/catalog.json`). With
nothing cached the terminal is not provisioned yet: say so and exit 1, except on a
development setup (platform on loopback), which falls back to the bundled sample
with a note on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.commands.base import Groups, Subparsers, group
from kiosk.config import Config


def register(sub: Subparsers, groups: Groups) -> None:
    catalog = group(sub, groups, "catalog", "the service items this terminal offers")
    listing = catalog.add_parser("list", help="items with their material codes and form fields (cached catalog)")
    listing.add_argument("--json", action="store_true", help="one JSON object on stdout")
    listing.set_defaults(func=_list)


def _list(args: argparse.Namespace, config: Config) -> int:
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
