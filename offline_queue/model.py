"""What goes into the outbox and what comes out of it, as typed values.

Personal data (applicant, form, delivery address, images) lives only in fields with
`repr=False`, so a stray log line or a traceback cannot print it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
DELIVERY_METHODS = ("pickup", "express", "electronic")
ID_TYPES = ("resident_id", "foreign_permanent", "hmt_residence")
MAX_MATERIAL_BYTES = 64 * 1024 * 1024  # platform-api.yaml: a material is at most 64 MiB
SIGNATURE = "signature"  # material code of the handwritten signature under the commitment
FACE = "face"  # material code of the live face photo
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class State(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    PURGED = "purged"
    QUARANTINED = "quarantined"


class Kind(StrEnum):
    APPLICATION = "application"
    EVALUATION = "evaluation"


@dataclass(frozen=True)
class NewMaterial:
    """One file of a material: a PDF, or one page image (JPEG/PNG), already encoded."""

    code: str
    content_type: str
    data: bytes = field(repr=False)
    pages: int | None = None

    def __repr__(self) -> str:
        return f"NewMaterial({self.code!r}, {self.content_type!r}, {len(self.data)} bytes, pages={self.pages})"


@dataclass(frozen=True)
class NewApplication:
    """An application as the resident confirmed it, before the outbox adds the ids.

    `applicant` follows the platform's Submission.applicant (id_type, id_number, name,
    …), `commitment` is `{"version", "accepted_at"}` (accepted_at defaults to the capture
    time), `delivery` is `{"method", …}`. The signature and the face photo are
    materials with the codes "signature" and "face"; the outbox fills in
    `commitment.signature_material_id` and `applicant.face_material_id`.
    """

    item_code: str
    applicant: Mapping[str, Any] = field(repr=False)
    delivery: Mapping[str, Any] = field(repr=False)
    form: Mapping[str, Any] = field(default_factory=dict, repr=False)
    commitment: Mapping[str, Any] = field(default_factory=dict)
    materials: Sequence[NewMaterial] = ()
    deferred_materials: Sequence[str] = ()
    catalog_version: str | None = None
    assisted_by: Mapping[str, Any] | None = field(default=None, repr=False)

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) pairs; never a value, so they may be shown and logged."""
        out: list[tuple[str, str]] = []
        if not isinstance(self.item_code, str) or not self.item_code.strip():
            out.append(("item_code", "missing"))
        applicant = self.applicant if isinstance(self.applicant, Mapping) else {}
        if not isinstance(self.applicant, Mapping):
            out.append(("applicant", "expected an object"))
        if applicant.get("id_type") not in ID_TYPES:
            out.append(("applicant.id_type", "expected one of " + ", ".join(ID_TYPES)))
        for key in ("id_number", "name"):
            value = applicant.get(key)
            if not isinstance(value, str) or not value.strip():
                out.append((f"applicant.{key}", "missing"))
        if not isinstance(self.form, Mapping):
            out.append(("form", "expected an object"))
        if not isinstance(self.commitment, Mapping) or not isinstance(self.commitment.get("version"), str):
            out.append(("commitment.version", "missing"))
        delivery = self.delivery if isinstance(self.delivery, Mapping) else {}
        if delivery.get("method") not in DELIVERY_METHODS:
            out.append(("delivery.method", "expected one of " + ", ".join(DELIVERY_METHODS)))
        if self.assisted_by is not None and not isinstance(self.assisted_by, Mapping):
            out.append(("assisted_by", "expected an object or null"))
        for i, m in enumerate(self.materials):
            where = f"materials[{i}]"
            if not isinstance(m, NewMaterial):
                out.append((where, "expected a NewMaterial"))
                continue
            if not _CODE.match(m.code):
                out.append((where + ".code", "expected 1-64 of A-Z a-z 0-9 _ . : -"))
            if m.content_type not in CONTENT_TYPES:
                out.append((where + ".content_type", "expected one of " + ", ".join(CONTENT_TYPES)))
            if not isinstance(m.data, bytes | bytearray) or not m.data:
                out.append((where + ".data", "empty"))
            elif len(m.data) > MAX_MATERIAL_BYTES:
                out.append((where + ".data", "larger than 64 MiB"))
            if m.pages is not None and (not isinstance(m.pages, int) or m.pages < 1):
                out.append((where + ".pages", "expected a positive integer"))
        for code in self.deferred_materials:
            if not isinstance(code, str) or not _CODE.match(code):
                out.append(("deferred_materials", "expected material codes"))
                break
        return out


class Receipt(NamedTuple):
    """What `enqueue` returns once the application is durable."""

    submission_id: str
    receipt_no: str


@dataclass(frozen=True)
class FieldError:
    """One entry of a 422's `errors` (the message may echo a value: not in the repr)."""

    field: str
    code: str
    message: str = ""

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {self.code!r})"


@dataclass(frozen=True)
class Quarantine:
    """Why an item waits for staff: the platform's answer (or a local reason)."""

    reason: str  # conflict | validation | rejected | material_missing | material_corrupt | unreadable
    http_status: int | None = None
    title: str = ""
    errors: tuple[FieldError, ...] = ()
    detail: str = field(default="", repr=False)


@dataclass(frozen=True)
class QueueStatus:
    pending: int
    delivering: int
    delivered: int  # delivered to the platform, whether or not purged locally yet
    quarantined: int
    oldest_pending_age_s: int
    purged: int
    awaiting_purge: int
    evaluations_pending: int
    evaluations_delivered: int
    evaluations_quarantined: int
    auth_paused: bool
    technician_alert: str | None
    last_error: str | None
    clock_offset_s: float | None
    missing_files: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "pending": self.pending, "delivering": self.delivering, "delivered": self.delivered,
            "quarantined": self.quarantined, "oldest_pending_age_s": self.oldest_pending_age_s,
            "purged": self.purged, "awaiting_purge": self.awaiting_purge,
            "evaluations_pending": self.evaluations_pending,
            "evaluations_delivered": self.evaluations_delivered,
            "evaluations_quarantined": self.evaluations_quarantined,
            "auth_paused": self.auth_paused, "technician_alert": self.technician_alert,
            "last_error": self.last_error, "clock_offset_s": self.clock_offset_s,
            "missing_files": self.missing_files,
        }

    @property
    def undelivered(self) -> int:
        return self.pending + self.delivering + self.evaluations_pending


@dataclass(frozen=True)
class ApplicationInfo:
    """What this terminal knows about one of its applications (progress query)."""

    submission_id: str
    receipt_no: str
    state: State
    item_code: str
    created_at: str
    case_no: str | None
    received_at: str | None
    delivered_at: str | None
    purged_at: str | None
    delivery_method: str
    attempts: int
    last_error: str | None
    quarantine: Quarantine | None
    applicant_name_masked: str | None = field(default=None, repr=False)  # None once purged


@dataclass(frozen=True)
class ReceiptData:
    """Enough to (re)print a receipt; no unmasked personal data."""

    receipt_no: str
    submission_id: str
    terminal_id: str
    item_code: str
    catalog_version: str | None
    created_at: str
    delivery_method: str
    case_no: str | None
    state: State
    materials: tuple[tuple[str, int], ...]  # (material code, pages or files)
    deferred_materials: tuple[str, ...]
    applicant_name_masked: str | None = field(default=None, repr=False)  # None once purged


@dataclass(frozen=True)
class ListedItem:
    kind: Kind
    id: str
    state: State
    created_at: str
    attempts: int
    last_error: str | None
    next_attempt_at: str | None
    receipt_no: str | None = None
    item_code: str | None = None
    case_no: str | None = None
    quarantine: Quarantine | None = None


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, a Latin name keeps its first and last letter."""
    name = name.strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else None
