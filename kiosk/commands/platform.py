"""`kiosk platform serve` and `kiosk platform enroll-code` (INTERFACES.md §1)."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path
from types import FrameType

from kiosk.commands.base import Groups, Subparsers, group
from kiosk.config import Config
from kiosk.errors import KioskError

PASSWORD_ENV = "KIOSK_PLATFORM_CONSOLE_PASSWORD"


def register(sub: Subparsers, groups: Groups) -> None:
    platform = group(sub, groups, "platform", "the reference approval platform / 参考审批平台")
    serve = platform.add_parser("serve", help="serve the platform interface and the staff console")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.add_argument("--data", type=Path, metavar="DIR", help="state directory (default: XDG data dir/kiosk-platform)")
    serve.add_argument("--catalog", type=Path, metavar="FILE",
                       help="catalog to serve (default: kiosk/data/sample_catalog.json, else a built-in one)")
    serve.add_argument("--console-password", metavar="PASSWORD",
                       help=f"let other machines use the staff console with this password (or ${PASSWORD_ENV}); "
                            "without it the console answers loopback only")
    serve.set_defaults(func=serve_command)
    code = platform.add_parser("enroll-code", help="print a fresh one-time enrollment code")
    code.add_argument("--data", type=Path, metavar="DIR", help="state directory of the platform")
    code.add_argument("--valid-hours", type=float, default=24.0, help="how long the code stays valid (default 24)")
    code.set_defaults(func=enroll_code_command)


def serve_command(args: argparse.Namespace, config: Config) -> int:
    del config
    from kiosk.refplatform.server import build_server, default_data_dir, serve_until_stopped

    data_dir: Path = args.data or default_data_dir()
    password = args.console_password or os.environ.get(PASSWORD_ENV) or None
    try:
        server = build_server(data_dir, args.host, args.port, args.catalog, console_password=password)
    except OSError as exc:
        raise KioskError(f"cannot listen on {args.host}:{args.port}: {exc.strerror} / 无法监听该地址或端口") from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        serve_until_stopped(server, stop, announce=print)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def enroll_code_command(args: argparse.Namespace, config: Config) -> int:
    del config
    import datetime as dt

    from kiosk.refplatform.server import default_data_dir
    from kiosk.refplatform.store import Store

    if args.valid_hours <= 0:
        raise KioskError("--valid-hours must be positive / 有效期须大于 0", exit_code=2)
    store = Store(args.data or default_data_dir())
    try:
        print(store.new_enrollment_code(dt.timedelta(hours=args.valid_hours)))
    finally:
        store.close()
    return 0
