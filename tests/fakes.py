"""Test doubles of our own making (STYLE.md: Fake<Thing>, never Mock)."""

from __future__ import annotations

import datetime as dt

from drivers.id_reader.identity import Identity, IdType


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


CANARY_ID_NUMBER = "11010519491231002X"
CANARY_NAME = "测试金丝雀"


def sample_identity(*, birth: dt.date = dt.date(1949, 12, 31), valid_until: dt.date | None = None) -> Identity:
    return Identity(
        id_type=IdType.RESIDENT,
        name=CANARY_NAME,
        gender="female",
        birth_date=birth,
        id_number=CANARY_ID_NUMBER,
        valid_from=dt.date(2015, 3, 1),
        valid_until=valid_until,
        nation="汉",
        address="北京市东城区景山前街4号",
        issuer="北京市公安局东城分局",
    )
