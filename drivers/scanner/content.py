"""What a scanned text looks like, for the kiosk layer to decide what to do with it.

`classify_scan` only *describes*: it never parses the text as markup, resolves it as a
path or URL, or runs it. The flags say which precautions apply where the text goes
next (reliability.md §4.2): show it with `Qt.PlainText` (markup), never
`QDesktopServices.openUrl` it (URL), never join it to a file path (path), quote it in a
CSV export (formula). Whether it is one of our receipt numbers is for the kiosk layer
(offline_queue.receipt_no), which drivers do not import.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Final

_URL: Final = re.compile(r"^(?:[a-z][a-z0-9+.\-]{1,31}://|www\.)\S", re.IGNORECASE)
_MARKUP: Final = re.compile(r"<\s*/?\s*[a-z!?]|&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)
_PATH: Final = re.compile(r"(?:^|[\\/])\.\.(?:[\\/]|$)|^[\\/~]|^[a-z]:[\\/]|^file:", re.IGNORECASE)
_CODE: Final = re.compile(r"^[A-Za-z0-9\-_./:+]+$")
# Spreadsheet formula starters (CSV injection, reliability.md §4.2).
_FORMULA_START: Final = ("=", "+", "-", "@")
_CONTROL_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp"})


class Shape(enum.Enum):
    EMPTY = "empty"
    DIGITS = "digits"  # 0-9 only: EAN/UPC, a phone number, an ID number without its X
    CODE = "code"  # ASCII letters, digits and - _ . / : + : receipt and appointment codes
    URL = "url"  # scheme://… or www.… : plain data, never opened
    TEXT = "text"  # anything else, Hanzi included


@dataclass(frozen=True)
class ScanKind:
    text: str = field(repr=False)  # trimmed; may be personal data, so not in repr
    shape: Shape
    looks_like_url: bool
    looks_like_markup: bool  # tags or entities: a rich-text widget would interpret them
    looks_like_path: bool  # ../, an absolute path, a drive letter or file:
    looks_like_formula: bool  # would start a formula in a spreadsheet export
    has_control_chars: bool  # C0/C1 controls, bidi and other format characters, separators
    is_ascii: bool

    def __repr__(self) -> str:
        return f"ScanKind(<{len(self.text)} chars>, {self.shape.value})"


def classify_scan(text: str) -> ScanKind:
    trimmed = text.strip()
    url = bool(_URL.match(trimmed))
    if not trimmed:
        shape = Shape.EMPTY
    elif trimmed.isascii() and trimmed.isdigit():
        shape = Shape.DIGITS
    elif url:
        shape = Shape.URL
    elif _CODE.match(trimmed):
        shape = Shape.CODE
    else:
        shape = Shape.TEXT
    return ScanKind(
        text=trimmed,
        shape=shape,
        looks_like_url=url,
        looks_like_markup=bool(_MARKUP.search(trimmed)),
        looks_like_path=bool(_PATH.search(trimmed)),
        looks_like_formula=trimmed.startswith(_FORMULA_START),
        has_control_chars=any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in trimmed),
        is_ascii=trimmed.isascii(),
    )
