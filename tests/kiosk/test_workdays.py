"""Working days with the State Council's holiday schedules (chinesecalendar)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.workdays import (
    HolidayFileError,
    WorkdayResult,
    add_working_days,
    calendar_covers,
    is_working_day,
    known_years,
    parse_holidays,
    use_holidays_file,
    use_schedule,
    working_days_after,
)

D = dt.date


def test_holidays_and_make_up_workdays_of_2026() -> None:
    assert not is_working_day(D(2026, 10, 1))  # National Day
    assert not is_working_day(D(2026, 2, 17))  # Spring Festival
    assert is_working_day(D(2026, 10, 10))  # Saturday made a workday (调休)
    assert is_working_day(D(2026, 9, 30))
    assert not is_working_day(D(2026, 11, 28))  # an ordinary Saturday


def test_counting_starts_the_day_after_and_skips_holidays() -> None:
    assert add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 23)  # Friday + 1 → Monday
    assert add_working_days(D(2026, 9, 28), 5) == D(2026, 10, 10)
    assert add_working_days(D(2026, 9, 30), 0) == D(2026, 9, 30)


def test_past_the_known_years_weekends_only_and_flagged() -> None:
    last = max(known_years())
    start = D(last, 12, 28)
    result = working_days_after(start, 10)
    assert result.estimated
    assert result.date.year == last + 1
    assert not calendar_covers(D(last + 1, 1, 1))
    assert is_working_day(D(last + 1, 1, 1)) is (D(last + 1, 1, 1).weekday() < 5)
    assert not working_days_after(D(last, 3, 2), 5).estimated


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(D(2026, 1, 5), -1)


@given(st.dates(min_value=D(2005, 1, 1), max_value=D(2030, 12, 31)), st.integers(min_value=0, max_value=60))
def test_result_is_a_working_day_with_exactly_n_working_days_counted(start: dt.date, n: int) -> None:
    end = add_working_days(start, n)
    assert end >= start
    days = [start + dt.timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(is_working_day(d) for d in days) == n
    if n:
        assert is_working_day(end)


# -- next year's schedule from a holidays file ([calendar] holidays_file) ------------------

# In the State Council notice's shape; the dates are for the tests, not the real 2027 plan.
HOLIDAYS_2027 = """\
# 2027 年部分节假日安排
2027-01-01                 休   元旦
2027-02-06..2027-02-12     休   春节
2027-02-13                 班   春节调休上班
2027-02-14                 workday
2027-10-01 ~ 2027-10-07    holiday  国庆节
2026-11-23                 休   a correction of a chinesecalendar date
"""


@pytest.fixture(autouse=True)
def _builtin_schedule_afterwards() -> Iterator[None]:
    yield
    use_schedule(None)


def test_holidays_file_overrides_chinesecalendar_and_knows_2027() -> None:
    schedule = parse_holidays(HOLIDAYS_2027, "h.txt")
    assert not calendar_covers(D(2027, 3, 1))
    use_schedule(schedule)
    assert calendar_covers(D(2027, 3, 1)) and 2027 in known_years()
    assert not is_working_day(D(2027, 2, 8))  # a Monday in the Spring Festival
    assert is_working_day(D(2027, 2, 13)) and is_working_day(D(2027, 2, 14))  # the weekend made workdays
    assert not is_working_day(D(2027, 3, 6)) and is_working_day(D(2027, 3, 8))  # other days follow the week
    assert not is_working_day(D(2026, 11, 23))  # the file wins over chinesecalendar
    assert is_working_day(D(2026, 11, 24))  # and chinesecalendar keeps the rest
    assert working_days_after(D(2027, 2, 5), 1) == WorkdayResult(D(2027, 2, 13), estimated=False)


def test_2027_receipt_with_the_file_is_not_estimated() -> None:
    from drivers.printer.decoder import decode_text
    from kiosk.receipt import build_receipt
    from tests.drivers.printer.helpers import CST, sample_receipt

    def printed() -> str:
        return decode_text(build_receipt(data), "gbk").replace("\n", "").replace(" ", "")

    data = sample_receipt(created_at=dt.datetime(2027, 2, 3, 10, 0, tzinfo=CST), time_limit_days=5)
    assert "按周末推算" in printed()  # no schedule for 2027 yet
    use_schedule(parse_holidays(HOLIDAYS_2027))
    text = printed()
    assert "按周末推算" not in text and "（节假日顺延）" in text
    assert "2027-02-15前" in text  # 2-4, 2-5, 2-13, 2-14, 2-15: the Spring Festival week skipped


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("2027-01-01 休\n2027-02-30 休\n", 2, "not a date"),
        ("2027-01-01 休\n2027-02-10 班\n", 2, "Wednesday"),
        ("2027-02-06..2027-02-12 休\n\n2027-02-07 班\n", 3, "also listed"),
        ("2027-01-01 元旦 休\n", 1, "休 (day off) or 班"),
        ("2027-01-01\n", 1, "found nothing"),
        ("2027-02-12..2027-02-06 休\n", 1, "before it starts"),
        ("2027-01-01..2027-03-01 休\n", 1, "typo"),
        ("# only a comment\n2027-02-13 班\n", 0, "no days off"),
    ],
)
def test_bad_holidays_file_names_the_line_and_how_to_fix_it(text: str, line: int, words: str) -> None:
    with pytest.raises(HolidayFileError) as info:
        parse_holidays(text, "holidays.txt")
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith(f"节假日文件有误 / holidays file: holidays.txt{':' + str(line) if line else ''}:")


def test_bad_or_missing_holidays_file_falls_back_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    good = tmp_path / "holidays-2027.txt"
    good.write_text(HOLIDAYS_2027, encoding="utf-8")
    assert use_holidays_file(good) is None and calendar_covers(D(2027, 3, 1))
    bad = tmp_path / "bad.txt"
    bad.write_text("2027-01-01 休\n2027-13-01 休\n", encoding="utf-8")
    problem = use_holidays_file(bad)
    assert problem is not None and problem.line == 2
    assert f"{bad}:2" in caplog.text and "fall back" in caplog.text
    assert not calendar_covers(D(2027, 3, 1))  # the built-in schedule, never a half-read file
    assert working_days_after(D(2027, 2, 5), 1) == WorkdayResult(D(2027, 2, 8), estimated=True)
    missing = use_holidays_file(tmp_path / "nope.txt")
    assert missing is not None and "no such file" in str(missing)


def test_kiosk_runs_with_a_bad_holidays_file_and_doctor_names_the_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    from kiosk.cli import main
    from kiosk.config import load_config
    from kiosk.doctor import _holidays_check

    (tmp_path / "holidays.txt").write_text("2027-01-01 休\n2027-02-10 班 周三?\n", encoding="utf-8")
    site = tmp_path / "site.toml"
    site.write_text(f'[storage]\ndir = "{tmp_path / "data"}"\n[calendar]\nholidays_file = "holidays.txt"\n',
                    encoding="utf-8")
    assert load_config(str(site)).holidays_file == tmp_path / "holidays.txt"  # relative to the config file
    assert main(["--config", str(site), "catalog", "list", "--json"]) == 0  # runs on the built-in schedule
    assert "holidays.txt:2" in caplog.text and "Wednesday" in caplog.text  # stderr, outside pytest
    assert not calendar_covers(D(2027, 3, 1))
    check = _holidays_check(tmp_path / "holidays.txt")
    assert not check.ok and not check.required and "holidays.txt:2" in check.detail and check.fix
