"""Receipt numbers: chosen at capture, printed before any network, checked when scanned.

Layout: ``<terminal_id>-<YYMMDD>-<NNNN><C>``, e.g. ``T0001-261123-00427``. The
terminal id makes it unique across terminals (platform-api.yaml, Submission.receipt_no);
the date and a per-terminal daily sequence keep it short enough to read aloud; the
check character C is ISO 7064 MOD 37,36 (the hybrid system for alphanumeric strings,
one character from 0-9A-Z), which catches every single-character error and every
transposition of adjacent characters, so a misread or mistyped number is caught.
"""

from __future__ import annotations

import datetime as dt
import re

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATTERN = re.compile(r"^(?P<terminal>[A-Z0-9-]{4,32})-(?P<date>\d{6})-(?P<seq>\d{4,6})(?P<check>[0-9A-Z])$")


class ReceiptNumberError(ValueError):
    """Not a receipt number of ours, or its check character does not match."""


def check_char(body: str) -> str:
    """ISO 7064 MOD 37,36 check character over the alphanumerics of `body`."""
    m = 36
    p = m
    for ch in body.upper():
        if ch == "-":
            continue
        value = _ALPHABET.index(ch)
        s = (p % (m + 1) + value) % m or m
        p = (s * 2) % (m + 1)
    return _ALPHABET[(m + 1 - p) % m]


def make_receipt_no(terminal_id: str, day: dt.date, sequence: int) -> str:
    if not re.fullmatch(r"[A-Z0-9-]{4,32}", terminal_id):
        raise ValueError("terminal id must be 4-32 of A-Z, 0-9 and -")
    if not 0 <= sequence < 1_000_000:
        raise ValueError("sequence out of range")
    body = f"{terminal_id}-{day:%y%m%d}-{sequence:04d}"
    return body + check_char(body)


def normalise(text: str) -> str:
    """Trim, upper-case, and turn full-width characters (from an IME) into ASCII."""
    out = []
    for ch in text.strip():
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        out.append(ch)
    return "".join(out).upper().replace(" ", "")


def parse_receipt_no(text: str) -> str:
    """Return the normalised receipt number, or raise ReceiptNumberError."""
    value = normalise(text)
    m = _PATTERN.match(value)
    if not m:
        raise ReceiptNumberError("not a receipt number")
    body = value[:-1]
    if check_char(body) != m.group("check"):
        raise ReceiptNumberError("check character does not match")
    return value


def is_receipt_no(text: str) -> bool:
    try:
        parse_receipt_no(text)
    except ReceiptNumberError:
        return False
    return True
