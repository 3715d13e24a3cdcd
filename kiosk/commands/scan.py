"""`kiosk` subcommands: scan (filled in by its issue)."""

from __future__ import annotations

from kiosk.commands.base import Groups, Subparsers


def register(sub: Subparsers, groups: Groups) -> None:
    del sub, groups
