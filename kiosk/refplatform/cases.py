"""Case statuses, their texts, the masked applicant name and the promised due date."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections.abc import Callable
from typing import Final

# platform-api.yaml, Case.status, with the texts a resident reads on the terminal.
STATUS_TEXT: Final[dict[str, dict[str, str]]] = {
    "received": {"zh": "已收件", "en": "Received"},
    "pre_review": {"zh": "预审中", "en": "Under pre-review"},
    "accepted": {"zh": "已受理", "en": "Accepted"},
    "supplement_required": {"zh": "需补正材料", "en": "Further materials required"},
    "approved": {"zh": "已办结（准予许可）", "en": "Approved"},
    "rejected": {"zh": "已办结（不予许可）", "en": "Rejected"},
    "delivering": {"zh": "证照寄递中", "en": "On its way to you"},
    "delivered": {"zh": "已送达", "en": "Delivered"},
    "withdrawn": {"zh": "已撤回", "en": "Withdrawn"},
}
STATUSES: Final = tuple(STATUS_TEXT)


def mask_name(name: str) -> str:
    """张*明 for 张三明, 张* for 张三, 欧**娜 for 欧阳娜娜: first and last character only."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def add_weekdays(start: dt.date, n: int) -> dt.date:
    """`n` days after `start` counting Monday to Friday only (n=0: `start` itself)."""
    # TODO(lead): kiosk/workdays.py (holidays and 调休 make-up days) now exists in the
    # checkout and due_date() uses it; once it is committed, import it directly and
    # delete this Monday-to-Friday fallback.
    day = start
    remaining = n
    while remaining > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return day


def _working_days_function() -> Callable[[dt.date, int], dt.date]:
    """kiosk.workdays.add_working_days when that module exists, else Monday-Friday."""
    if importlib.util.find_spec("kiosk.workdays") is None:
        return add_weekdays
    module = importlib.import_module("kiosk.workdays")
    function = getattr(module, "add_working_days", None)
    if not callable(function):
        return add_weekdays

    def call(start: dt.date, n: int) -> dt.date:
        result = function(start, n)
        return result if isinstance(result, dt.date) else add_weekdays(start, n)

    return call


def due_date(received: dt.date, time_limit_days: int) -> dt.date:
    """The promised decision date: `time_limit_days` working days after receipt (0: same day)."""
    return _working_days_function()(received, max(0, int(time_limit_days)))
