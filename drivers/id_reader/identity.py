"""What a card tells us about its holder. Personal fields are repr=False: a log line,
a traceback or a debugger print of an Identity never shows them (STYLE.md §13)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any

from drivers.id_reader.idnumber import age_on, mask_id_number


class IdType(enum.Enum):
    RESIDENT = "resident_id"  # 居民身份证
    HMT_RESIDENCE = "hmt_residence"  # 港澳台居民居住证 (card type 'J')
    FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证 ('I' 2017 and 'Y' 2023)


def mask_name(name: str) -> str:
    """张*明 / 李* / 欧阳**: keep the first and (for 3+) the last character."""
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class Identity:
    id_type: IdType
    name: str = field(repr=False)
    gender: str = field(repr=False)  # "male" | "female"
    birth_date: dt.date = field(repr=False)
    id_number: str = field(repr=False)
    valid_from: dt.date | None = field(default=None, repr=False)
    valid_until: dt.date | None = field(default=None, repr=False)  # None: 长期 (no end)
    nation: str | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)
    issuer: str | None = field(default=None, repr=False)
    photo_wlt: bytes = field(default=b"", repr=False)  # opaque vendor format; never decoded here
    permit_number: str | None = field(default=None, repr=False)  # hmt_residence: 通行证号码
    issue_count: int | None = field(default=None, repr=False)  # hmt_residence: 签发次数
    english_name: str | None = field(default=None, repr=False)  # foreign_permanent
    nationality: str | None = field(default=None, repr=False)  # foreign_permanent, ISO 3166 alpha-3
    card_version: str | None = field(default=None, repr=False)  # foreign_permanent: "2017" ('I') or "2023" ('Y')
    # 追加住址: the latest address the police appended after issue (command 30 03,
    # hardware-protocols.md §1.3/§1.4); `address` stays as printed on the card face.
    appended_address: str | None = field(default=None, repr=False)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def current_address(self) -> str | None:
        """The address that holds now: the appended one when the card has it."""
        return self.appended_address or self.address

    def age_on(self, today: dt.date) -> int:
        return age_on(self.birth_date, today)

    def expired_on(self, today: dt.date) -> bool:
        return self.valid_until is not None and self.valid_until < today

    def to_json(self) -> dict[str, Any]:
        """INTERFACES.md §3 (`kiosk device read-idcard --json`)."""
        out: dict[str, Any] = {
            "id_type": self.id_type.value,
            "name": self.name,
            "gender": self.gender,
            "nation": self.nation,
            "birth_date": self.birth_date.isoformat(),
            "address": self.address,
            "id_number": self.id_number,
            "issuer": self.issuer,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else "长期",
            "photo_wlt_sha256": hashlib.sha256(self.photo_wlt).hexdigest() if self.photo_wlt else None,
        }
        if self.id_type is IdType.HMT_RESIDENCE:
            out["permit_number"] = self.permit_number
            out["issue_count"] = self.issue_count
        if self.id_type is IdType.FOREIGN_PERMANENT:
            out["english_name"] = self.english_name
            out["nationality"] = self.nationality
            out["card_version"] = self.card_version
        if self.appended_address is not None:
            out["appended_address"] = self.appended_address
        return out
