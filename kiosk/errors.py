"""Errors a person reads: one line, Chinese and English, with what to do next."""

from __future__ import annotations


class KioskError(Exception):
    """An expected failure shown to a technician or operator as one line."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(KioskError):
    exit_code = 2
