"""Shared plumbing of the subcommand modules."""

from __future__ import annotations

import argparse
from typing import Any

Subparsers = Any  # argparse._SubParsersAction is private; typed loosely on purpose
Groups = dict[str, Any]


def group(sub: Subparsers, groups: Groups, name: str, help_text: str) -> Subparsers:
    """The subparsers of a command group several modules add to (e.g. `device`)."""
    if name not in groups:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        groups[name] = parser.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")
        groups[name].required = True
    return groups[name]
