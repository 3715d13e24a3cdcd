"""A form the kiosk accepted is never refused by the platform (a 422 is permanent:
the resident would have left with a receipt for an application that cannot arrive).

Whatever `kiosk.forms` accepts and normalises, for every field of the sample catalog,
the reference platform's form check must accept as well."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.id_reader.idnumber import check_digit
from kiosk.catalog import FieldType, FormField, sample_catalog, sample_catalog_bytes
from kiosk.forms import validate_field

validate = pytest.importorskip("kiosk.refplatform.validate")

FIELDS: list[tuple[FormField, dict[str, Any]]] = [
    (f, raw_f)
    for item, raw_item in zip(sample_catalog(), json.loads(sample_catalog_bytes())["items"], strict=True)
    for f, raw_f in zip(item.form, raw_item["form"], strict=True)
]


@st.composite
def typed_value(draw: st.DrawFn, f: FormField) -> object:
    """Something a resident might type into this field, often valid, sometimes not."""
    if f.type is FieldType.PHONE:
        number = draw(st.one_of(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
                                st.from_regex(r"0(10|2[0-9]|[3-9][0-9]{2})[2-9][0-9]{6,7}", fullmatch=True)))
        return draw(st.sampled_from(["", "+86 ", "0086"])) + number + draw(st.sampled_from(["", " 转 12", "-8165"]))
    if f.type is FieldType.ID_NUMBER:
        body = draw(st.from_regex(r"460100(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
                                  fullmatch=True))
        return body + check_digit(body)
    if f.type is FieldType.DATE:
        day = draw(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
        return draw(st.sampled_from([day.isoformat(), f"{day.year}年{day.month}月{day.day}日", f"{day:%Y/%m/%d}"]))
    if f.type is FieldType.NUMBER:
        return draw(st.one_of(st.integers(-10, 10**6).map(str), st.decimals(0, 10**4, places=2).map(str),
                              st.integers(0, 9999)))
    if f.type is FieldType.SELECT:
        option = draw(st.sampled_from(f.options))
        return draw(st.sampled_from([option.value, option.label.zh, option.label.en or option.value]))
    if f.type is FieldType.CHECKBOX:
        return draw(st.sampled_from([True, False, "是", "否", "yes"]))
    return draw(st.text(min_size=0, max_size=(f.max_length or 60) + 5))


@pytest.mark.parametrize("field_type", list(FieldType))
def test_what_the_kiosk_accepts_the_platform_accepts(field_type: FieldType) -> None:
    fields = [pair for pair in FIELDS if pair[0].type is field_type]

    @settings(max_examples=80, deadline=None)
    @given(st.sampled_from(fields).flatmap(lambda pair: st.tuples(st.just(pair), typed_value(pair[0]))))
    def check(case: tuple[tuple[FormField, dict[str, Any]], object]) -> None:
        (f, raw_field), typed = case
        result = validate_field(f, typed)
        if not result.ok or result.value is None:
            return
        errors = validate.form_errors([raw_field], {f.key: result.value})
        assert errors == [], (f.key, result.value, errors)

    check()


def test_every_sample_field_is_exercised() -> None:
    assert {f.type for f, _ in FIELDS} == set(FieldType)
