"""Subcommand groups of `kiosk`, listed explicitly (no registration by import)."""

from __future__ import annotations

from kiosk.commands import app, catalog, idcard, platform, printer, queue, scan

COMMAND_MODULES = (app, idcard, printer, scan, platform, queue, catalog)
