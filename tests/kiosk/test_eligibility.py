"""Residents who cannot apply are told why, and what to do instead."""

from __future__ import annotations

import dataclasses
import datetime as dt

from drivers.id_reader.identity import Identity, IdType
from drivers.id_reader.idnumber import check_digit
from kiosk.catalog import CatalogItem, Eligibility, sample_catalog
from kiosk.eligibility import Reason, check

TODAY = dt.date(2025, 6, 16)
SENIOR_CARD = "4601001070700100"  # min_age 60
OLD_AGE_ALLOWANCE = "4601001020200200"  # min_age 80, resident_id only
HK_MACAO = "4601001010100301"  # resident_id only
MARRIAGE = "4601001020300300"  # counter_only
RIDE_HAILING = "4601001050100100"  # 21 to 60
NO_RECORD = "4601001010700100"  # anyone


def item(code: str) -> CatalogItem:
    return sample_catalog().item(code)


def person(birth: dt.date, *, id_type: IdType = IdType.RESIDENT, valid_until: dt.date | None = None) -> Identity:
    body = f"460100{birth:%Y%m%d}042"
    return Identity(id_type=id_type, name="李建国", gender="male", birth_date=birth,
                    id_number=body + check_digit(body), valid_until=valid_until)


def test_too_young_for_senior_card_explained() -> None:
    result = check(item(SENIOR_CARD), person(dt.date(1967, 3, 1)), TODAY)
    assert not result.ok and result.reason_code is Reason.TOO_YOUNG
    assert "年满60周岁" in result.message.zh and "现在58周岁" in result.message.zh
    assert "2027年3月1日" in result.what_to_do.zh
    assert "aged 60 or over" in (result.message.en or "") and "2027-03-01" in (result.what_to_do.en or "")


def test_sixtieth_birthday_today_may_apply() -> None:
    assert check(item(SENIOR_CARD), person(dt.date(1965, 6, 16)), TODAY).ok


def test_day_before_sixtieth_birthday_may_not() -> None:
    result = check(item(SENIOR_CARD), person(dt.date(1965, 6, 17)), TODAY)
    assert result.reason_code is Reason.TOO_YOUNG and "2025年6月17日" in result.what_to_do.zh


def test_leap_day_birthday_in_a_leap_year_is_that_day() -> None:
    born = person(dt.date(1964, 2, 29))  # 60 on 29 February 2024
    assert check(item(SENIOR_CARD), born, dt.date(2024, 2, 28)).reason_code is Reason.TOO_YOUNG
    assert check(item(SENIOR_CARD), born, dt.date(2024, 2, 29)).ok
    result = check(item(OLD_AGE_ALLOWANCE), person(dt.date(1948, 2, 29)), dt.date(2027, 6, 1))
    assert "2028年2月29日" in result.what_to_do.zh


def test_leap_day_birthday_in_a_common_year_is_first_of_march() -> None:
    adults_only = dataclasses.replace(item(NO_RECORD), eligibility=Eligibility(min_age=18))
    born = person(dt.date(2008, 2, 29))  # 18 in 2026, which has no 29 February
    result = check(adults_only, born, dt.date(2026, 2, 28))
    assert result.reason_code is Reason.TOO_YOUNG and "2026年3月1日" in result.what_to_do.zh
    assert check(adults_only, born, dt.date(2026, 3, 1)).ok


def test_too_old_for_ride_hailing_licence_explained() -> None:
    result = check(item(RIDE_HAILING), person(dt.date(1960, 1, 1)), TODAY)
    assert not result.ok and result.reason_code is Reason.TOO_OLD
    assert "60周岁及以下" in result.message.zh and "65周岁" in result.message.zh
    assert "交通运输" in result.what_to_do.zh


def test_counter_only_item_not_startable_and_says_where_to_go() -> None:
    marriage = item(MARRIAGE)
    result = check(marriage, person(dt.date(1995, 5, 5)), TODAY)
    assert not result.ok and result.reason_code is Reason.COUNTER_ONLY
    assert "本机不能办理" in result.message.zh
    assert "婚姻登记处" in result.what_to_do.zh and "办事指南" in result.what_to_do.zh
    assert marriage.guide is not None and "身份证" in marriage.guide.zh


def test_counter_only_is_known_before_any_card_is_read() -> None:
    assert check(item(MARRIAGE), None, TODAY).reason_code is Reason.COUNTER_ONLY
    assert check(item(SENIOR_CARD), None, TODAY).ok


def test_expired_card_is_refused_with_how_to_renew() -> None:
    result = check(item(NO_RECORD), person(dt.date(1990, 1, 1), valid_until=dt.date(2025, 6, 15)), TODAY)
    assert not result.ok and result.reason_code is Reason.CARD_EXPIRED
    assert "2025年6月15日到期" in result.message.zh
    assert "派出所" in result.what_to_do.zh


def test_card_valid_until_today_still_works() -> None:
    assert check(item(NO_RECORD), person(dt.date(1990, 1, 1), valid_until=TODAY), TODAY).ok


def test_long_term_card_never_expires() -> None:
    assert check(item(NO_RECORD), person(dt.date(1950, 1, 1), valid_until=None), TODAY).ok


def test_residence_permit_holder_told_hk_macao_endorsement_is_for_mainland_residents() -> None:
    result = check(item(HK_MACAO), person(dt.date(1990, 1, 1), id_type=IdType.HMT_RESIDENCE), TODAY)
    assert not result.ok and result.reason_code is Reason.ID_TYPE_NOT_ACCEPTED
    assert "居民身份证" in result.message.zh and "港澳台居民居住证" in result.message.zh
    assert "咨询" in result.what_to_do.zh


def test_foreign_permanent_resident_may_apply_where_the_item_allows_every_card() -> None:
    result = check(item(NO_RECORD), person(dt.date(1980, 1, 1), id_type=IdType.FOREIGN_PERMANENT), TODAY)
    assert result.ok and result.reason_code is Reason.OK


def test_expired_card_is_reported_before_age() -> None:
    young_and_expired = person(dt.date(2000, 1, 1), valid_until=dt.date(2020, 1, 1))
    assert check(item(SENIOR_CARD), young_and_expired, TODAY).reason_code is Reason.CARD_EXPIRED


def test_result_repr_carries_no_personal_data() -> None:
    result = check(item(SENIOR_CARD), person(dt.date(1967, 3, 1)), TODAY)
    assert "1967" not in repr(result) and "2027" not in repr(result) and "58" not in repr(result)
    assert "too_young" in repr(result) or "TOO_YOUNG" in repr(result)


def test_every_sample_item_has_an_answer_for_every_kind_of_card() -> None:
    for catalog_item in sample_catalog():
        for id_type in IdType:
            result = check(catalog_item, person(dt.date(1950, 1, 1), id_type=id_type), TODAY)
            assert result.message.zh and result.message.en and result.what_to_do.zh and result.what_to_do.en
