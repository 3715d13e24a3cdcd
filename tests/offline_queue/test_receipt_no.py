"""A misread receipt number is caught by its check character."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from offline_queue.receipt_no import _ALPHABET, is_receipt_no, make_receipt_no, parse_receipt_no

terminal_ids = st.from_regex(r"[A-Z0-9]{4,12}", fullmatch=True)
days = st.dates(dt.date(2020, 1, 1), dt.date(2099, 12, 31))


@given(terminal_ids, days, st.integers(0, 9999))
def test_round_trip(tid: str, day: dt.date, seq: int) -> None:
    no = make_receipt_no(tid, day, seq)
    assert no.startswith(tid + "-")
    assert parse_receipt_no(no.lower()) == no


@given(terminal_ids, days, st.integers(0, 9999), st.data())
def test_single_character_misread_is_rejected(tid: str, day: dt.date, seq: int, data: st.DataObject) -> None:
    no = make_receipt_no(tid, day, seq)
    positions = [i for i, c in enumerate(no) if c != "-"]
    i = data.draw(st.sampled_from(positions))
    pool = "0123456789" if no[i].isdigit() and i > len(tid) else _ALPHABET
    replacement = data.draw(st.sampled_from([c for c in pool if c != no[i]]))
    assert not is_receipt_no(no[:i] + replacement + no[i + 1 :])


@given(terminal_ids, days, st.integers(0, 9999), st.data())
def test_adjacent_transposition_is_rejected(tid: str, day: dt.date, seq: int, data: st.DataObject) -> None:
    no = make_receipt_no(tid, day, seq)
    pairs = [i for i in range(len(no) - 1) if "-" not in no[i : i + 2] and no[i] != no[i + 1]]
    if not pairs:
        return
    i = data.draw(st.sampled_from(pairs))
    swapped = no[:i] + no[i + 1] + no[i] + no[i + 2 :]
    assert not is_receipt_no(swapped)


def test_full_width_input_is_normalised() -> None:
    no = make_receipt_no("T0001", dt.date(2026, 11, 23), 7)
    full = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in no)
    assert parse_receipt_no(" " + full + " ") == no
