"""Working days with the State Council's holiday schedules (chinesecalendar)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.workdays import add_working_days, calendar_covers, is_working_day, known_years, working_days_after

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
