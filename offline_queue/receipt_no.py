"""Receipt numbers: chosen at capture, printed before any network, checked when scanned.

Layout: ``<terminal_id>-<YYMMDD>-<NNNN><CC>``, e.g. ``T0001-261123-0427QN``. The
terminal id makes it unique across terminals (platform-api.yaml, Submission.receipt_no);
the date and a per-terminal daily sequence keep it short enough to read aloud; the
two check characters CC are ISO 7064 MOD 1271-36 (a pure system over 0-9A-Z).

Why that system: the hybrid MOD 37,36 (one character) misses some adjacent
transpositions — hypothesis found one. In the pure system a substitution changes the
sum by (a-b)·36^k and an adjacent transposition by (a-b)·36^k·35; with 1271 = 31·41
coprime to 35, to 36 and to every |a-b| ≤ 35, neither can leave it unchanged, so every
single misread and every swap of neighbours is caught (and jump transpositions too:
36²-1 = 5·7·37).
"""

from __future__ import annotations

import datetime as dt
import re

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATTERN = re.compile(r"^(?P<terminal>[A-Z0-9-]{4,32})-(?P<date>\d{6})-(?P<seq>\d{4,6})(?P<check>[0-9A-Z]{2})$")
_MODULUS = 1271
_RADIX = 36


class ReceiptNumberError(ValueError):
    """Not a receipt number of ours, or its check character does not match."""


def check_chars(body: str) -> str:
    """ISO 7064 MOD 1271-36 check characters over the alphanumerics of `body`."""
    p = 0
    for ch in body.upper():
        if ch == "-":
            continue
        p = ((p + _ALPHABET.index(ch)) * _RADIX) % _MODULUS
    p = (p * _RADIX) % _MODULUS
    check = (_MODULUS + 1 - p) % _MODULUS
    return _ALPHABET[check // _RADIX] + _ALPHABET[check % _RADIX]


def make_receipt_no(terminal_id: str, day: dt.date, sequence: int) -> str:
    if not re.fullmatch(r"[A-Z0-9-]{4,32}", terminal_id):
        raise ValueError("terminal id must be 4-32 of A-Z, 0-9 and -")
    if not 0 <= sequence < 1_000_000:
        raise ValueError("sequence out of range")
    body = f"{terminal_id}-{day:%y%m%d}-{sequence:04d}"
    return body + check_chars(body)


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
    body = value[:-2]
    if check_chars(body) != m.group("check"):
        raise ReceiptNumberError("check character does not match")
    return value


def is_receipt_no(text: str) -> bool:
    try:
        parse_receipt_no(text)
    except ReceiptNumberError:
        return False
    return True
