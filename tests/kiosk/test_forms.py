"""What a resident types into the application form, and what they are told."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.id_reader.identity import Identity, IdType
from drivers.id_reader.idnumber import check_digit
from kiosk.catalog import CatalogItem, FieldOption, FieldType, FormField, Text, sample_catalog
from kiosk.forms import clean_text, prefill, validate_field, validate_form

BUSINESS = "4601001040100100"  # 个体工商户设立登记: every kind of field but date
SENIOR_CARD = "4601001070700100"
HK_MACAO = "4601001010100301"

PHONE = FormField("phone", Text("联系电话", "Contact phone"), FieldType.PHONE, required=True)
ID_NUMBER = FormField("agent_id_number", Text("代办人公民身份号码", "Agent's ID number"), FieldType.ID_NUMBER)
DATE = FormField("graduation_date", Text("毕业时间", "Graduation date"), FieldType.DATE, required=True)
NUMBER = FormField("capital", Text("资金数额(万元)", "Capital"), FieldType.NUMBER, required=True)
TEXT = FormField("business_name", Text("个体工商户名称", "Business name"), FieldType.TEXT, max_length=10)
TEXTAREA = FormField("business_scope", Text("经营范围", "Business activities"), FieldType.TEXTAREA, max_length=500)
SELECT = FormField("destination", Text("前往地", "Destination"), FieldType.SELECT, required=True,
                   options=(FieldOption("HK", Text("香港", "Hong Kong")), FieldOption("MO", Text("澳门", "Macao"))))
CHECKBOX = FormField("lawful_business", Text("本人承诺守法经营", "I will obey the law"), FieldType.CHECKBOX,
                     required=True)
PERMIT = FormField("permit_number", Text("通行证号码", "Permit number"), FieldType.TEXT, required=True,
                   max_length=9, pattern="^[Cc][0-9A-Za-z]{8}$")

GOOD_ID = "11010519491231002X"  # GB 11643-1999's own example


def make_id_number(region: str, birth: dt.date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


def make_identity(**changes: object) -> Identity:
    birth = dt.date(1958, 4, 12)
    values: dict[str, object] = dict(
        id_type=IdType.RESIDENT, name="王秀兰", gender="female", birth_date=birth,
        id_number=make_id_number("460100", birth, 42), nation="黎", address="海南省海口市美兰区海甸岛五西路 8 号",
        valid_from=dt.date(2018, 5, 1), valid_until=None,
    )
    values.update(changes)
    return Identity(**values)  # type: ignore[arg-type]


def item(code: str) -> CatalogItem:
    return sample_catalog().item(code)


# -- phone ----------------------------------------------------------------------------


def test_full_width_phone_accepted() -> None:
    assert validate_field(PHONE, "１３８００１３８０００").value == "13800138000"


@pytest.mark.parametrize("typed", ["138 0013 8000", "138-0013-8000", "(138)00138000", "138\u200b0013\u30008000",
                                   "１３８－００１３－８０００", " 13800138000 "])
def test_phone_with_spaces_and_dashes_normalised(typed: str) -> None:
    result = validate_field(PHONE, typed)
    assert result.ok and result.value == "13800138000"


@pytest.mark.parametrize("typed", ["+86 138 0013 8000", "+8613800138000", "0086 13800138000", "86 138 0013 8000"])
def test_country_code_removed_from_mobile(typed: str) -> None:
    assert validate_field(PHONE, typed).value == "13800138000"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0898-65360901", "0898-65360901"),
        ("(0898)65360901", "0898-65360901"),
        ("089865360901", "0898-65360901"),  # as printed in the Hainan notice
        ("+86 898 6536 0901", "0898-65360901"),
        ("010 6552 8888", "010-65528888"),
        ("0898-65321446-8165", "0898-65321446-8165"),
        ("0898-65321446 转 8165", "0898-65321446-8165"),
        ("0898 6532 1446 ext. 8165", "0898-65321446-8165"),
    ],
)
def test_landline_with_area_code_normalised(typed: str, expected: str) -> None:
    assert validate_field(PHONE, typed).value == expected


def test_landline_without_area_code_asks_for_it() -> None:
    error = validate_field(PHONE, "65360901").error
    assert error is not None and error.code == "phone_needs_area_code"
    assert "区号" in error.message.zh and "area code" in (error.message.en or "")


@pytest.mark.parametrize("typed", ["1380013800", "138001380001", "12800138000", "23800138000"])
def test_mobile_with_a_digit_missing_or_extra_is_rejected(typed: str) -> None:
    error = validate_field(PHONE, typed).error
    assert error is not None and error.code == "phone_invalid"
    assert "11位" in error.message.zh or "号码" in error.message.zh


def test_phone_with_letters_is_rejected_plainly() -> None:
    error = validate_field(PHONE, "138abc00138").error
    assert error is not None and "数字" in error.message.zh


def test_foreign_phone_is_refused_with_a_reason() -> None:
    error = validate_field(PHONE, "+1 415 555 0100").error
    assert error is not None and error.code == "phone_foreign"


mobile_numbers = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@st.composite
def typed_like_a_person(draw: st.DrawFn, digits: str) -> str:
    """The same number as a resident might type or paste it."""
    out = digits
    if draw(st.booleans()):
        out = out[:3] + draw(st.sampled_from([" ", "-", "", "\u3000"])) + out[3:7] + \
            draw(st.sampled_from([" ", "-", ""])) + out[7:]
    if draw(st.booleans()):
        out = out.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    if draw(st.booleans()):
        out = draw(st.sampled_from(["+86 ", "+86", "0086 "])) + out
    return out


@given(mobile_numbers.flatmap(lambda n: st.tuples(st.just(n), typed_like_a_person(n))))
def test_valid_mobile_numbers_are_always_accepted(case: tuple[str, str]) -> None:
    number, typed = case
    result = validate_field(PHONE, typed)
    assert result.ok and result.value == number
    assert validate_field(PHONE, number).value == number  # idempotent


# -- ID numbers -------------------------------------------------------------------------


def test_wrong_id_check_digit_rejected_with_a_message() -> None:
    wrong = GOOD_ID[:17] + "1"
    error = validate_field(ID_NUMBER, wrong).error
    assert error is not None and error.code == "id_number_check_digit"
    assert "校验码" in error.message.zh and "check character" in (error.message.en or "")


def test_swapped_digits_in_id_number_are_caught() -> None:
    swapped = GOOD_ID[:7] + GOOD_ID[8] + GOOD_ID[7] + GOOD_ID[9:]
    error = validate_field(ID_NUMBER, swapped).error
    assert error is not None and error.code in ("id_number_check_digit", "id_number_birth_date")


@pytest.mark.parametrize("typed", ["11010519491231002x", "110105 19491231 002X", "１１０１０５１９４９１２３１００２Ｘ"])
def test_id_number_small_x_spaces_and_full_width_accepted(typed: str) -> None:
    assert validate_field(ID_NUMBER, typed).value == GOOD_ID


def test_id_number_too_short_says_how_many_were_typed() -> None:
    error = validate_field(ID_NUMBER, GOOD_ID[:16]).error
    assert error is not None and error.code == "id_number_length"
    assert "16位" in error.message.zh


def test_old_15_digit_id_number_explained() -> None:
    error = validate_field(ID_NUMBER, "110105491231002").error
    assert error is not None and error.code == "id_number_old"


def test_id_number_with_impossible_birth_date_explained() -> None:
    body = "11010519491331002"
    error = validate_field(ID_NUMBER, body + check_digit(body)).error
    assert error is not None and error.code == "id_number_birth_date"


def test_x_in_the_middle_of_an_id_number_is_rejected() -> None:
    error = validate_field(ID_NUMBER, "1101051949X231002X").error
    assert error is not None and error.code == "id_number_characters"


@given(
    st.sampled_from(["110105", "460100", "460106", "440305", "640104", "350205", "810000", "830000"]),
    st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
    st.integers(0, 999),
)
def test_valid_id_numbers_are_always_accepted(region: str, birth: dt.date, seq: int) -> None:
    number = make_id_number(region, birth, seq)
    assert validate_field(ID_NUMBER, number).value == number
    assert validate_field(ID_NUMBER, number.lower()).value == number


# -- dates, numbers, selects, checkboxes -------------------------------------------------


@pytest.mark.parametrize("typed", ["2024-01-02", "2024-1-2", "2024/1/2", "2024.1.2", "2024年1月2日", "2024 年 1 月 2 日",
                                   "２０２４年１月２日", "20240102", "2024年01月02号"])
def test_dates_as_people_write_them_become_iso(typed: str) -> None:
    assert validate_field(DATE, typed).value == "2024-01-02"


def test_impossible_date_is_named() -> None:
    error = validate_field(DATE, "2023年2月29日").error
    assert error is not None and error.code == "date_invalid" and "2023年2月29日" in error.message.zh


def test_date_in_another_order_is_refused_with_the_expected_format() -> None:
    error = validate_field(DATE, "02/01/2024").error
    assert error is not None and error.code == "date_format" and "2024-01-02" in error.message.zh


@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
def test_date_normalisation_is_idempotent(day: dt.date) -> None:
    first = validate_field(DATE, f"{day.year}年{day.month}月{day.day}日").value
    assert first == day.isoformat()
    assert validate_field(DATE, first).value == first


@pytest.mark.parametrize(("typed", "expected"), [("１２", 12), ("1,200", 1200), ("+3", 3), ("2.50", 2.5), (" 7 ", 7)])
def test_numbers_full_width_and_grouped(typed: str, expected: float) -> None:
    assert validate_field(NUMBER, typed).value == expected


def test_words_in_a_number_field_are_refused() -> None:
    error = validate_field(NUMBER, "三万").error
    assert error is not None and error.code == "number_invalid"


def test_number_pattern_applies_to_the_normalised_digits() -> None:
    employees = item(BUSINESS).field("employees")
    assert employees is not None
    assert validate_field(employees, "１２").value == 12
    error = validate_field(employees, "2.5").error
    assert error is not None and error.code == "pattern_mismatch"


@pytest.mark.parametrize("typed", ["HK", "hk", "香港", "Hong Kong"])
def test_select_accepts_the_value_or_its_label(typed: str) -> None:
    assert validate_field(SELECT, typed).value == "HK"


def test_select_outside_the_list_names_the_choices() -> None:
    error = validate_field(SELECT, "台湾").error
    assert error is not None and error.code == "select_invalid" and "香港、澳门" in error.message.zh


def test_required_checkbox_left_unticked_is_explained() -> None:
    error = validate_field(CHECKBOX, False).error
    assert error is not None and error.code == "required" and "勾选" in error.message.zh
    assert validate_field(CHECKBOX, True).value is True
    assert validate_field(CHECKBOX, "是").value is True


# -- text -------------------------------------------------------------------------------


def test_zero_width_and_control_characters_are_removed_silently() -> None:
    assert validate_field(TEXT, "椰\u200b风\u200d小\x07店\ufeff").value == "椰风小店"


def test_pasted_line_breaks_and_runs_of_spaces_collapse_in_a_one_line_field() -> None:
    assert validate_field(TEXT, "  椰风\r\n小店 \t 二号 ").value == "椰风 小店 二号"


def test_textarea_keeps_line_breaks_but_not_blank_runs() -> None:
    assert validate_field(TEXTAREA, "零售\r\n\r\n\r\n\r\n餐饮服务 ").value == "零售\n\n餐饮服务"


def test_full_width_letters_and_digits_become_half_width_in_text() -> None:
    assert validate_field(TEXT, "ＡＢＣ便利店１号").value == "ABC便利店1号"


def test_emoji_rejected_clearly() -> None:
    error = validate_field(TEXT, "椰风小店😀").error
    assert error is not None and error.code == "unsupported_character"
    assert "表情" in error.message.zh and "emoji" in (error.message.en or "")


def test_rare_name_characters_are_kept() -> None:
    assert validate_field(TEXT, "𠇔\ue000").value == "𠇔\ue000"  # CJK Ext. B and a private-use 生僻字


def test_too_long_text_says_how_long() -> None:
    error = validate_field(TEXT, "海口市美兰区椰风便利小店").error
    assert error is not None and error.code == "too_long"
    assert "最多10个字" in error.message.zh and "12" in error.message.zh


def test_permit_number_in_the_wrong_shape_is_refused() -> None:
    error = validate_field(PERMIT, "D1234567").error
    assert error is not None and error.code == "pattern_mismatch"
    assert validate_field(PERMIT, "Ｃ１２３４５６７８").value == "C12345678"


@given(st.text(max_size=60))
def test_text_cleaning_is_idempotent(raw: str) -> None:
    once = clean_text(raw)
    assert clean_text(once) == once
    twice = clean_text(clean_text(raw, multiline=True), multiline=True)
    assert twice == clean_text(raw, multiline=True)


@given(st.text(max_size=40))
def test_any_text_gives_a_value_or_a_coded_error(raw: str) -> None:
    for f in (TEXT, TEXTAREA, PHONE, ID_NUMBER, DATE, NUMBER, SELECT, PERMIT):
        result = validate_field(f, raw)
        if result.error is not None:
            assert result.error.code and result.error.message.zh and result.error.message.en
        elif result.value is not None:
            again = validate_field(f, result.value)
            assert again.ok and again.value == result.value


# -- while typing -------------------------------------------------------------------------


@pytest.mark.parametrize(("f", "typed"), [(PHONE, "138"), (PHONE, "0898-65"), (ID_NUMBER, "4601001958"),
                                          (DATE, "2024年1"), (NUMBER, "3."), (SELECT, "香"), (PERMIT, "C12")])
def test_unfinished_input_is_not_flagged_while_typing(f: FormField, typed: str) -> None:
    assert validate_field(f, typed, partial=True).error is None


@pytest.mark.parametrize(("f", "typed"), [(PHONE, "12"), (PHONE, "138001380001"), (ID_NUMBER, "1101X"),
                                          (TEXT, "海口市美兰区椰风便利小店"), (TEXT, "🎉")])
def test_what_more_typing_cannot_fix_is_flagged_at_once(f: FormField, typed: str) -> None:
    assert validate_field(f, typed, partial=True).error is not None


def test_required_is_not_nagged_while_typing() -> None:
    assert validate_field(PHONE, "", partial=True).error is None
    assert validate_field(CHECKBOX, False, partial=True).error is None


# -- the whole form -------------------------------------------------------------------------


def test_complete_business_registration_form_is_normalised() -> None:
    result = validate_form(item(BUSINESS), {
        "operator_name": "王秀兰", "id_number": GOOD_ID.lower(), "organisation": "个人经营",
        "business_scope": "日用百货零售；预包装食品销售", "premises_address": "海口市美兰区海甸五西路 8 号",
        "employees": "２", "capital": "5.5", "phone": "138 0013 8000", "lawful_business": True,
    })
    assert result.ok, result.errors
    assert result.values["id_number"] == GOOD_ID
    assert result.values["organisation"] == "individual"
    assert result.values["employees"] == 2 and result.values["capital"] == 5.5
    assert result.values["phone"] == "13800138000"
    assert "business_name" not in result.values  # optional and blank


def test_missing_required_fields_are_each_named() -> None:
    result = validate_form(item(BUSINESS), {"operator_name": "王秀兰"})
    assert not result.ok
    assert {"id_number", "organisation", "business_scope", "phone", "lawful_business"} <= set(result.errors)
    assert "business_name" not in result.errors
    assert result.errors["phone"].code == "required" and "联系电话" in result.errors["phone"].message.zh
    assert result.errors["organisation"].message.zh.startswith("请选择")


def test_unknown_form_key_is_reported() -> None:
    result = validate_form(item(HK_MACAO), {"favourite_colour": "red"})
    assert result.errors["favourite_colour"].code == "unknown_field"


def test_form_result_repr_carries_no_personal_data() -> None:
    result = validate_form(item(BUSINESS), {"operator_name": "王秀兰", "id_number": GOOD_ID})
    assert "王秀兰" not in repr(result) and GOOD_ID not in repr(result)


def test_error_json_has_code_and_both_languages() -> None:
    error = validate_field(PHONE, "").error
    assert error is not None
    assert error.to_json() == {"code": "required", "message": {"zh": "请填写联系电话。", "en": "Please fill in: Contact phone."}}


# -- prefill from the card ---------------------------------------------------------------------


def test_prefill_takes_each_field_from_the_card() -> None:
    identity = make_identity()
    values = prefill(item(SENIOR_CARD), identity)
    assert values == {
        "name": "王秀兰",
        "gender": "female",  # the select's option value
        "birth_date": "1958-04-12",
        "nation": "黎",
        "id_number": identity.id_number,
        "household_address": "海南省海口市美兰区海甸岛五西路 8 号",
    }
    assert validate_form(item(SENIOR_CARD), values).errors.keys() == {
        "residence_address", "emergency_contact", "emergency_phone", "phone"}


def test_prefill_skips_what_the_card_does_not_have() -> None:
    values = prefill(item(SENIOR_CARD), make_identity(address=None, nation=None))
    assert "household_address" not in values and "nation" not in values


def test_prefill_keeps_a_card_value_that_fails_the_check_for_the_resident_to_see() -> None:
    identity = make_identity(name="王秀兰" * 20)
    assert prefill(item(SENIOR_CARD), identity)["name"] == "王秀兰" * 20


@pytest.mark.parametrize("typed", ["0086 130 0000-0000", "138 0013-8000", "+86 138-0013-8000"])
def test_last_group_of_a_mobile_is_not_taken_for_an_extension(typed: str) -> None:
    assert validate_field(PHONE, typed).value == typed.replace("0086", "").replace("+86", "").replace(" ", "").replace("-", "")


def test_landline_grouped_in_fours_is_not_taken_for_an_extension() -> None:
    assert validate_field(PHONE, "0898-6536-0901").value == "0898-65360901"
