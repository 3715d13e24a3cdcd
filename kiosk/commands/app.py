"""`kiosk run`, `kiosk tour`, `kiosk doctor`.

`run` and `tour` start the Qt screens. This module is the one place where the core
reaches up to `screens/` (the composition root); pyproject's import-linter contracts
name this single exception.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kiosk.commands.base import Groups, Subparsers
from kiosk.config import Config


def register(sub: Subparsers, groups: Groups) -> None:
    del groups
    run = sub.add_parser("run", help="the kiosk UI (full screen unless --windowed)")
    run.add_argument("--windowed", action="store_true")
    run.set_defaults(func=_run)

    tour = sub.add_parser("tour", help="drive the real screens through a scenario, offscreen, with screenshots")
    tour.add_argument("--scenario", required=True, type=Path)
    tour.add_argument("--out", required=True, type=Path)
    tour.add_argument("--landscape", action="store_true", help="1920×1080 instead of portrait 1080×1920")
    tour.set_defaults(func=_tour)

    doctor = sub.add_parser("doctor", help="check every configured device and the platform")
    doctor.add_argument("--json", action="store_true")
    doctor.add_argument("--timeout", type=float, default=5.0)
    doctor.set_defaults(func=_doctor)


def _run(args: argparse.Namespace, config: Config) -> int:
    from screens.main import run_app

    return run_app(config, windowed=args.windowed)


def _tour(args: argparse.Namespace, config: Config) -> int:
    from screens.main import tour

    size = (1920, 1080) if args.landscape else (1080, 1920)
    return tour(config, args.scenario, args.out, size)


def _doctor(args: argparse.Namespace, config: Config) -> int:
    from kiosk.doctor import run_checks

    report = run_checks(config, timeout_s=args.timeout)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for check in report.checks:
            mark = "ok " if check.ok else ("!! " if check.required else "-- ")
            print(f"{mark}{check.name:<10} {check.state:<11} {check.detail}")
            if not check.ok and check.fix:
                print(f"   fix: {check.fix}")
    return 0 if report.ok else 1
