"""Citizen identity numbers, GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check
character (hardware-protocols.md §1.10)."""

from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """18 characters, a real birth date, and the right check character."""
    value = value.strip().upper()
    if not _PATTERN.match(value):
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return check_digit(value[:17]) == value[17]


def mask_id_number(value: str) -> str:
    """110105********002X: region and the last four, as on receipts and screens."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def age_on(birth: dt.date, today: dt.date) -> int:
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return years
