"""Working days in mainland China: weekends, public holidays and make-up workdays (调休).

Promised completion dates (承诺办结时限) are counted in working days from the day after
acceptance. The holiday schedule comes from the `chinesecalendar` package, which
knows the State Council's announcements up to its release (1.11.0: 2004–2026). For a
day outside those years we cannot know the holidays, so we fall back to "Monday to
Friday" and flag the result `estimated`; the receipt then says the date is an
estimate and holidays extend it (节假日顺延).

The State Council announces next year's schedule each autumn (国务院办公厅关于某年部分
节假日安排的通知), before a chinesecalendar release may reach the terminals. A
technician or the province can supply it without a new release: a holidays file,
named in the config (`[calendar] holidays_file`), merged over chinesecalendar. Its
format, one entry a line:

    # 2027 年部分节假日安排（国办发明电〔2026〕N 号）
    2027-01-01              休  元旦
    2027-02-06..2027-02-12  休  春节
    2027-02-14              班  春节调休上班

A date or an inclusive range (`..`, `~` or `至` between two dates), then 休 (or
`holiday`) for a day off, or 班 (or `workday`) for a weekend made a workday; anything
after that is a note. `#` starts a comment. A year with at least one 休 in the file
counts as known (no "按周末推算"); its other days follow the week (Monday to Friday
work). Where the file and chinesecalendar disagree on a date, the file wins.

A bad file (unreadable, a line that does not parse, a 班 on a weekday, a date both
休 and 班) is refused whole with a `HolidayFileError` naming the line and how to fix
it; the kiosk logs it, `kiosk doctor` shows it, and the dates fall back to
chinesecalendar and the weekend rule — the kiosk never stops for a calendar.

The file's schedule is process-wide (`use_holidays_file`, called once at start-up by
`kiosk`), like the holidays chinesecalendar itself carries.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import chinese_calendar

log = logging.getLogger(__name__)

_HOLIDAY_WORDS = ("休", "假", "holiday", "off")
_WORKDAY_WORDS = ("班", "workday", "work")
_RANGE = re.compile(r"^(\S+?)\s*(?:\.\.|~|～|至)\s*(\S+)\s*(.*)$")
_MAX_RANGE_DAYS = 31  # the longest State Council holiday is 8 days; a longer range is a typo
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FORMAT_HINT = "each line: DATE[..DATE] 休|班 [note], e.g. '2027-02-06..2027-02-12 休 春节'"


class HolidayFileError(ValueError):
    """A holidays file that cannot be used, with the line to fix (0: the whole file)."""

    def __init__(self, source: str, line: int, message: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"节假日文件有误 / holidays file: {where}: {message}")
        self.source = source
        self.line = line
        self.message = message


@dataclass(frozen=True)
class HolidaySchedule:
    """Days off and make-up workdays from a holidays file, and the years it covers."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    years: frozenset[int]
    source: str = ""


def _date(text: str, source: str, line: int) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HolidayFileError(source, line, f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2027-02-06 "
                                             "/ 日期格式应为 年-月-日") from None


def parse_holidays(text: str, source: str = "holidays file") -> HolidaySchedule:
    """Parse a holidays file's text (format in the module docstring)."""
    holidays: dict[dt.date, int] = {}
    workdays: dict[dt.date, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        entry = raw.split("#", 1)[0].strip().lstrip("\ufeff")
        if not entry:
            continue
        ranged = _RANGE.match(entry)
        if ranged:
            first, last, rest = ranged.group(1), ranged.group(2), ranged.group(3)
        else:
            first, *more = entry.split(maxsplit=1)
            last, rest = first, (more[0] if more else "")
        start, end = _date(first, source, number), _date(last, source, number)
        if end < start:
            raise HolidayFileError(source, number, f"the range ends ({end}) before it starts ({start}) / 起止日期颠倒")
        if (end - start).days >= _MAX_RANGE_DAYS:
            raise HolidayFileError(source, number, f"a range of more than {_MAX_RANGE_DAYS} days is surely a typo "
                                                   "/ 日期范围过长")
        kind = rest.split(maxsplit=1)[0].lower() if rest else ""
        if kind in _HOLIDAY_WORDS or kind.startswith(("休", "放假")):
            target, other, other_word = holidays, workdays, "班"
        elif kind in _WORKDAY_WORDS or kind.startswith(("班", "上班")):
            target, other, other_word = workdays, holidays, "休"
        else:
            found = f"found {kind!r}" if kind else "found nothing"
            raise HolidayFileError(source, number, f"after the date write 休 (day off) or 班 (make-up workday), {found}; "
                                                   f"{_FORMAT_HINT}")
        day = start
        while day <= end:
            if day in other:
                raise HolidayFileError(source, number, f"{day} is also listed as {other_word} on line {other[day]}; "
                                                       "keep one / 同一天不能既休又班")
            if target is workdays and day.weekday() < 5:
                raise HolidayFileError(source, number, f"{day} is a {_WEEKDAYS[day.weekday()]}; a make-up workday (班) "
                                                       "is a Saturday or Sunday — did you mean 休? / 调休上班日应是周末")
            target.setdefault(day, number)
            day += dt.timedelta(days=1)
    if not holidays:
        raise HolidayFileError(source, 0, f"lists no days off (休); {_FORMAT_HINT} / 文件中没有假日")
    return HolidaySchedule(frozenset(holidays), frozenset(workdays), frozenset(d.year for d in holidays), source)


def load_holidays(path: Path) -> HolidaySchedule:
    """Read and parse a holidays file; HolidayFileError (line 0) when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HolidayFileError(str(path), 0, "no such file; check [calendar] holidays_file / 找不到文件") from None
    except UnicodeDecodeError:
        raise HolidayFileError(str(path), 0, "not UTF-8 text; save it as UTF-8 / 请存为 UTF-8 文本") from None
    except OSError as exc:
        raise HolidayFileError(str(path), 0, f"cannot be read ({exc.strerror}) / 无法读取") from None
    return parse_holidays(text, str(path))


# The file's schedule in force for this process (None: chinesecalendar alone).
_site: HolidaySchedule | None = None


def use_holidays_file(path: Path | None) -> HolidayFileError | None:
    """Merge this holidays file over chinesecalendar from now on (None: stop using one).
    A bad file is logged and ignored — the previous dates stay in force — and the
    problem is returned for whoever can show it."""
    global _site
    if path is None:
        _site = None
        return None
    try:
        schedule = load_holidays(path)
    except HolidayFileError as exc:
        log.error("%s; working days fall back to the built-in schedule", exc)
        _site = None
        return exc
    _site = schedule
    log.info("holidays file in use for %s", ", ".join(str(y) for y in sorted(schedule.years)))
    return None


def use_schedule(schedule: HolidaySchedule | None) -> None:
    """Merge an already parsed schedule (tests, and a technician's preview)."""
    global _site
    _site = schedule


@functools.lru_cache(maxsize=1)
def _builtin_years() -> frozenset[int]:
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return frozenset(range(min(years), max(years) + 1))


def known_years() -> frozenset[int]:
    """The years whose holidays are known: the installed chinesecalendar release's, and
    those of the holidays file in use."""
    site = _site
    return _builtin_years() | site.years if site is not None else _builtin_years()


def calendar_covers(day: dt.date) -> bool:
    return day.year in known_years()


def is_working_day(day: dt.date) -> bool:
    """True on a working day. Outside the known years: Monday to Friday."""
    site = _site
    if site is not None:
        if day in site.holidays:
            return False
        if day in site.workdays:
            return True
    if day.year in _builtin_years():
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
    years = known_years()
    day = start
    estimated = False
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if day.year not in years:
            estimated = True
        if is_working_day(day):
            counted += 1
    return WorkdayResult(day, estimated)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """`working_days_after(start, n).date`; see there for the fallback past known years."""
    return working_days_after(start, n).date
