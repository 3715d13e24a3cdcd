"""Working days in mainland China: weekends, public holidays and make-up workdays (调休).

Promised completion dates (承诺办结时限) are counted in working days from the day after
acceptance. The holiday schedule comes from the `chinesecalendar` package, which
knows the State Council's announcements up to its release (1.11.0: 2004–2026). For a
day outside those years we cannot know the holidays, so we fall back to "Monday to
Friday" and flag the result `estimated`; the receipt then says the date is an
estimate and holidays extend it (节假日顺延).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import chinese_calendar


@functools.lru_cache(maxsize=1)
def known_years() -> range:
    """The years the installed chinesecalendar release has schedules for."""
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return range(min(years), max(years) + 1)


def calendar_covers(day: dt.date) -> bool:
    return day.year in known_years()


def is_working_day(day: dt.date) -> bool:
    """True on a working day. Outside the known years: Monday to Friday."""
    if calendar_covers(day):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


@dataclass(frozen=True)
class WorkdayResult:
    date: dt.date
    estimated: bool  # some counted day lies outside the known holiday schedules


def working_days_after(start: dt.date, n: int) -> WorkdayResult:
    """The n-th working day after `start` (start itself not counted; n = 0 → start)."""
    if n < 0:
        raise ValueError("n must be ≥ 0")
    day = start
    estimated = False
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if not calendar_covers(day):
            estimated = True
        if is_working_day(day):
            counted += 1
    return WorkdayResult(day, estimated)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """`working_days_after(start, n).date`; see there for the fallback past known years."""
    return working_days_after(start, n).date
