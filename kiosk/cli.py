"""The `kiosk` command (INTERFACES.md §1).

Each group of subcommands lives in `kiosk/commands/<group>.py` with a
`register(subparsers, groups)` function; heavy imports happen inside the handlers so
`kiosk --help` stays fast. Errors are one line on stderr and a non-zero exit, never a
traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from kiosk.commands import COMMAND_MODULES
from kiosk.config import ConfigError, load_config
from kiosk.errors import KioskError

log = logging.getLogger("kiosk")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="政务服务自助终端 / government service kiosk")
    parser.add_argument("--config", metavar="PATH", help="TOML config (default: $KIOSK_CONFIG, XDG, built-in)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug lines to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}
    for module in COMMAND_MODULES:
        module.register(sub, groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"kiosk: config error / 配置错误: {exc}", file=sys.stderr)
        return 2
    if config.holidays_file is not None:
        from kiosk.workdays import use_holidays_file

        use_holidays_file(config.holidays_file)  # a bad file is logged and ignored, never fatal
    try:
        code: int = args.func(args, config)
        return code
    except KioskError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # A bug. The type only: messages of arbitrary exceptions may carry personal data.
        log.debug("unhandled", exc_info=True)
        print(f"kiosk: internal error ({type(exc).__name__}); run with -v for details / 内部错误",
              file=sys.stderr)
        return 70


def entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
