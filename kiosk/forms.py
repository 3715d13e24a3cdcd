"""The application form: cleaning, checking and normalising what the resident types.

Every check answers in plain words, in Chinese and English, with a stable error
code (`FieldError.code`) the screens and the platform's 422 `errors[].code` can share.
Normalising is idempotent: a normalised value passes through unchanged.

What residents type, and what comes out:
* phone: `138 0013 8000`, `１３８-００１３-８０００`, `+86 13800138000` → `13800138000`;
  landlines need the area code: `(0898)65360901`, `089865360901` → `0898-65360901`,
  extension kept: `0898-65321446 转 8165` → `0898-65321446-8165`.
* id_number: spaces and full-width removed, `x` → `X`, length, birth date and the
  GB 11643 check character verified.
* date: `2024-01-02`, `2024/1/2`, `2024.1.2`, `2024年1月2日`, `20240102` → `2024-01-02`.
* number: `１,２００`, `+12`, `3.50` → 1200, 12, 3.5 (int when whole).
* select: the option's value, or its Chinese or English label → the value.
* checkbox: true/false (also "是"/"否", "yes"/"no", "1"/"0", "on"/"off").
* text, textarea, address: zero-width and control characters dropped, full-width
  letters and digits made half-width, runs of spaces collapsed (textarea keeps line
  breaks); emoji and other pictographs are refused, because the approval systems and
  the GBK receipt printer cannot carry them.

`partial=True` (while the resident is still typing) reports only what typing more
cannot fix: a bad character, too many characters, a wrong prefix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from drivers.id_reader.identity import Identity
from drivers.id_reader.idnumber import check_digit, is_valid_id_number
from kiosk.catalog import CatalogItem, FieldType, FormField, Prefill, Text

Value = str | int | float | bool


@dataclass(frozen=True)
class FieldError:
    code: str
    message: Text

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message.to_json()}


@dataclass(frozen=True)
class FieldResult:
    """One field's outcome: `value` is the normalised value (None when blank or wrong)."""

    value: Value | None = field(repr=False)
    error: FieldError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class FormResult:
    values: dict[str, Value] = field(repr=False)  # normalised; blank optional fields left out
    errors: dict[str, FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


# -- cleaning ------------------------------------------------------------------------

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # ！ … ～ → ! … ~
_FULLWIDTH[0x3000] = 0x20  # ideographic space
_FULLWIDTH_ALNUM = {
    c: c - 0xFEE0 for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
}
_FULLWIDTH_ALNUM[0x3000] = 0x20
# Characters that render as nothing or rearrange text: dropped without a word.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f]+")
# Emoji and pictographs: the approval systems and the GBK receipt printer cannot carry them.
_EMOJI = re.compile(
    "[\u231a\u231b\u23e9-\u23fa\u2600-\u27bf\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001faff\U000e0020-\U000e007f]"
)


def _err(code: str, zh: str, en: str) -> FieldError:
    return FieldError(code, Text(zh, en))


def clean_text(raw: str, *, multiline: bool = False) -> str:
    """Drop invisible and control characters, make full-width letters and digits
    half-width, collapse spaces. Pictographs are left for `check_characters`."""
    text = unicodedata.normalize("NFC", raw).translate(_FULLWIDTH_ALNUM)
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = text.replace("\n", " ")
    text = "".join(c for c in text if c == "\n" or c == "\t" or unicodedata.category(c) != "Cc")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    if multiline:
        text = "\n".join(lines).strip("\n")
        return re.sub(r"\n{3,}", "\n\n", text)
    return lines[0] if lines else ""


def _check_characters(text: str, label: Text) -> FieldError | None:
    # Private-use characters pass: older systems carry rare characters of names (生僻字) there.
    unassigned = any(unicodedata.category(c) in ("Cs", "Cn") for c in text)
    if not unassigned and _EMOJI.search(text) is None:
        return None
    return _err(
        "unsupported_character",
        f"{label.zh}中有无法识别的符号（如表情符号），请删除后重新输入。",
        f"{label.get('en')} contains a symbol the system cannot accept (such as an emoji). Please remove it.",
    )


def _digits(raw: str) -> str:
    """Full-width to half-width (all ASCII), for the number-like fields."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw).translate(_FULLWIDTH))


# -- the field types -----------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-–—.·/()（）]+")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#|-)\s*(\d{1,6})$", re.IGNORECASE)


def normalise_phone(raw: str, *, partial: bool = False) -> tuple[str | None, FieldError | None]:
    text = _digits(raw).strip()
    whole = _phone_number(text, partial=partial)
    if whole[0] is not None or whole[1] is None:
        return whole
    # Not a number as it stands: perhaps a landline with an extension (0898-65321446 转 8165).
    # Only then, so the last group of `138 0013-8000` is never taken for an extension.
    if m := _EXTENSION.search(text):
        head, _error = _phone_number(text[: m.start()], partial=False)
        if head is not None and head.startswith("0"):
            return f"{head}-{m.group(1)}", None
    return whole


def _phone_number(text: str, *, partial: bool) -> tuple[str | None, FieldError | None]:
    compact = _PHONE_SEPARATORS.sub("", text)
    if compact.startswith("+"):
        compact = compact[1:]
        if not compact.startswith("86"):
            return None, _err("phone_foreign", "请填写中国大陆的电话号码。",
                              "Please give a phone number in mainland China.")
        compact = compact[2:]
        if compact and not compact.startswith(("1", "0")):
            compact = "0" + compact  # +86 898 … drops the trunk 0 of the area code
    elif compact.startswith("0086"):
        compact = compact[4:]
        if compact and not compact.startswith(("1", "0")):
            compact = "0" + compact
    elif compact.startswith("86") and len(compact) == 13 and compact[2] == "1":
        compact = compact[2:]
    if not compact.isdigit():
        return None, _err("phone_invalid", "电话号码只能包含数字，请检查是否输入了文字或符号。",
                          "A phone number may only contain digits. Please check for letters or symbols.")
    if compact.startswith("1"):
        if partial and len(compact) < 11:
            bad_second = len(compact) >= 2 and compact[1] not in "3456789"
            return None, (_mobile_error() if bad_second else None)
        if _MOBILE.match(compact):
            return compact, None
        return None, _mobile_error()
    if compact.startswith("0"):
        # Area codes: 010 and 02X are three digits, the rest four; local numbers 7-8 digits.
        code_len = 3 if compact[1:2] in ("1", "2") else 4
        area, local = compact[:code_len], compact[code_len:]
        if partial and len(local) < 7:
            return None, None
        if 7 <= len(local) <= 8 and local[0] not in "01" and compact[1:2] != "0":
            return f"{area}-{local}", None
        return None, _err("phone_invalid",
                          "固定电话号码不正确，请按“区号-号码”填写，例如 0898-65360901。",
                          "That landline number is not right. Write it as area code and number, "
                          "e.g. 0898-65360901.")
    if partial and len(compact) < 7:
        return None, None
    if 7 <= len(compact) <= 8:
        return None, _err("phone_needs_area_code", "固定电话请加上区号，例如 0898-65360901；手机号码为11位。",
                          "Please add the area code to a landline, e.g. 0898-65360901; mobile numbers "
                          "have 11 digits.")
    return None, _mobile_error()


def _mobile_error() -> FieldError:
    return _err("phone_invalid", "手机号码应为以1开头的11位数字，请检查是否多输或少输了数字。",
                "A mobile number has 11 digits starting with 1. Please check for a missing or extra digit.")


def normalise_id_number(raw: str, *, partial: bool = False) -> tuple[str | None, FieldError | None]:
    text = re.sub(r"[\s\-]+", "", _digits(raw)).upper()
    if not re.fullmatch(r"\d*X?", text) or "X" in text[:17]:
        return None, _err("id_number_characters",
                          "身份号码只能是数字，最后一位可以是字母X，请检查。",
                          "An ID number is digits only; only the last character may be the letter X.")
    if partial and len(text) < 18:
        return None, None
    if len(text) == 15:
        return None, _err("id_number_old", "这是15位的旧身份号码，请填写现在居民身份证上的18位号码。",
                          "That is an old 15-digit number. Please give the 18-digit number on the current ID card.")
    if len(text) != 18:
        return None, _err("id_number_length",
                          f"身份号码应为18位，您输入了{len(text)}位，请核对。",
                          f"An ID number has 18 characters; you entered {len(text)}. Please check it.")
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None, _err("id_number_birth_date",
                          "身份号码第7到14位应是出生日期，这一段不是有效的日期，请核对。",
                          "Characters 7 to 14 of an ID number are the date of birth, and these are not a "
                          "real date. Please check.")
    if check_digit(text[:17]) != text[17] or not is_valid_id_number(text):
        return None, _err("id_number_check_digit",
                          "身份号码有误（最后一位校验码对不上），可能有一位数字输错或顺序颠倒，请对照身份证核对。",
                          "This ID number is not valid (its last, check character does not match): a digit "
                          "may be mistyped or two swapped. Please compare it with the card.")
    return text, None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def normalise_date(raw: str, *, partial: bool = False) -> tuple[str | None, FieldError | None]:
    text = _digits(raw).strip()
    for pattern in _DATE_PATTERNS:
        if m := pattern.match(text):
            year, month, day = (int(g) for g in m.groups())
            try:
                value = dt.date(year, month, day)
            except ValueError:
                return None, _err("date_invalid", f"没有{year}年{month}月{day}日这一天，请核对。",
                                  f"There is no such day as {year}-{month:02d}-{day:02d}. Please check.")
            if year < 1900:
                return None, _err("date_invalid", "年份不对，请核对。", "The year is not right. Please check.")
            return value.isoformat(), None
    if partial and re.fullmatch(r"\d{0,4}(\s*[-/.年]\s*\d{0,2}(\s*[-/.月]\s*\d{0,2}\s*[日号]?)?)?", text):
        return None, None
    return None, _err("date_format", "日期格式不对，请按“年-月-日”填写，例如 2024-01-02。",
                      "Please write the date as year-month-day, e.g. 2024-01-02.")


def normalise_number(raw: str | int | float, *, partial: bool = False) -> tuple[int | float | None, FieldError | None]:
    if isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, int):
        return raw, None
    text = re.sub(r"[\s,，]", "", _digits(str(raw))).lstrip("+")
    try:
        number = Decimal(text)
    except InvalidOperation:
        if partial and re.fullmatch(r"-?\d*\.?", text):
            return None, None
        return None, _err("number_invalid", "这里请填写数字，例如 3 或 2.5。",
                          "Please enter a number here, e.g. 3 or 2.5.")
    if not number.is_finite():
        return None, _err("number_invalid", "这里请填写数字，例如 3 或 2.5。",
                          "Please enter a number here, e.g. 3 or 2.5.")
    if number == number.to_integral_value():
        return int(number), None
    return float(number), None


_TRUE = {"true", "1", "yes", "y", "on", "是", "对", "✓", "checked"}
_FALSE = {"false", "0", "no", "n", "off", "否", "", "unchecked"}


def _checkbox(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return raw != 0 if raw in (0, 1) else None
    if isinstance(raw, str):
        text = _digits(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


# -- the form ------------------------------------------------------------------------


def _label(f: FormField) -> Text:
    return Text(f.label.zh, f.label.en or f.label.zh)


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and clean_text(raw, multiline=True) == "")


def validate_field(f: FormField, raw: object, *, partial: bool = False) -> FieldResult:
    """Check and normalise one field's value (a str as typed; a bool for a checkbox)."""
    label = _label(f)
    if f.type is FieldType.CHECKBOX:
        checked = _checkbox(raw if raw is not None else False)
        if checked is None:
            return FieldResult(None, _err("checkbox_invalid", f"{label.zh}：请勾选或取消勾选。",
                                          f"{label.en}: please tick or untick the box."))
        if f.required and not checked and not partial:
            return FieldResult(checked, _err("required", f"请勾选“{label.zh}”后再继续。",
                                             f"Please tick “{label.en}” to continue."))
        return FieldResult(checked, None)

    if _blank(raw):
        if f.required and not partial:
            verb_zh = "选择" if f.type is FieldType.SELECT else "填写"
            verb_en = "choose" if f.type is FieldType.SELECT else "fill in"
            return FieldResult(None, _err("required", f"请{verb_zh}{label.zh}。", f"Please {verb_en}: {label.en}."))
        return FieldResult(None, None)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return FieldResult(None, _err("not_text", f"{label.zh}的内容无法识别，请重新填写。",
                                      f"{label.en}: the value could not be read. Please enter it again."))

    value: Value | None
    error: FieldError | None
    if f.type is FieldType.NUMBER:
        value, error = normalise_number(raw, partial=partial)
        text = _number_text(value) if value is not None else ""
    else:
        raw_text = str(raw)
        if f.type is FieldType.PHONE:
            value, error = normalise_phone(raw_text, partial=partial)
        elif f.type is FieldType.ID_NUMBER:
            value, error = normalise_id_number(raw_text, partial=partial)
        elif f.type is FieldType.DATE:
            value, error = normalise_date(raw_text, partial=partial)
        elif f.type is FieldType.SELECT:
            value, error = _select(f, label, raw_text, partial=partial)
        else:
            value = clean_text(raw_text, multiline=f.type is FieldType.TEXTAREA)
            error = _check_characters(value, label)
            if error:
                value = None
        text = value if isinstance(value, str) else ""
    if error is not None:
        return FieldResult(None, error)
    if value is None:  # partial input, nothing wrong yet
        return FieldResult(None, None)
    if f.max_length is not None and len(text) > f.max_length:
        return FieldResult(None, _err("too_long",
                                      f"{label.zh}最多{f.max_length}个字，现在有{len(text)}个字，请删减。",
                                      f"{label.en} may have at most {f.max_length} characters; it has "
                                      f"{len(text)}. Please shorten it."))
    if f.pattern is not None and not partial and not re.fullmatch(f.pattern, text):
        return FieldResult(None, _err("pattern_mismatch", f"{label.zh}的格式不正确，请对照说明核对。",
                                      f"{label.en}: the format is not right. Please check it against the "
                                      f"example."))
    return FieldResult(value, None)


def _number_text(value: int | float) -> str:
    return format(Decimal(repr(value)).normalize(), "f") if isinstance(value, float) else str(value)


def _select(f: FormField, label: Text, raw: str, *, partial: bool) -> tuple[str | None, FieldError | None]:
    text = clean_text(raw)
    for o in f.options:
        if text in (o.value, o.label.zh, o.label.en):
            return o.value, None
    folded = text.casefold()
    for o in f.options:
        if folded in (o.value.casefold(), (o.label.en or "").casefold()):
            return o.value, None
    if partial:
        return None, None
    choices = "、".join(o.label.zh for o in f.options)
    return None, _err("select_invalid", f"请从列表中选择{label.zh}：{choices}。",
                      f"Please choose {label.en} from the list.")


def validate_form(item: CatalogItem, values: Mapping[str, object]) -> FormResult:
    """Every field of the item's form: normalised values and per-field errors. A key
    the form does not have is reported under that key (`unknown_field`)."""
    out: dict[str, Value] = {}
    errors: dict[str, FieldError] = {}
    for f in item.form:
        result = validate_field(f, values.get(f.key))
        if result.error is not None:
            errors[f.key] = result.error
        elif result.value is not None:
            out[f.key] = result.value
    for key in values:
        if item.field(key) is None:
            errors[key] = _err("unknown_field", f"该事项的申请表没有“{key}”这一项。",
                               f"The form of this service has no field “{key}”.")
    return FormResult(out, errors)


def prefill(item: CatalogItem, identity: Identity) -> dict[str, Value]:
    """Form values taken from the card, for every field with a `prefill` source.
    Values are normalised when they pass the field's checks and kept as read otherwise
    (the screen then shows the problem beside a value the resident recognises)."""
    out: dict[str, Value] = {}
    for f in item.form:
        if f.prefill is None:
            continue
        raw = _card_value(f, identity)
        if raw is None or raw == "":
            continue
        result = validate_field(f, raw)
        out[f.key] = result.value if result.value is not None else raw
    return out


_GENDER_ZH = {"male": "男", "female": "女"}


def _card_value(f: FormField, identity: Identity) -> str | None:
    source = f.prefill
    if source is Prefill.NAME:
        return identity.name
    if source is Prefill.ADDRESS:
        return identity.address
    if source is Prefill.ID_NUMBER:
        return identity.id_number
    if source is Prefill.BIRTH_DATE:
        return identity.birth_date.isoformat()
    if source is Prefill.NATION:
        nation = identity.nation
        if nation and f.type is FieldType.SELECT:
            for o in f.options:
                if nation in (o.value, o.label.zh) or f"{nation}族" in (o.value, o.label.zh):
                    return o.value
        return nation
    if source is Prefill.GENDER:
        gender = identity.gender
        if f.type is FieldType.SELECT:
            for o in f.options:
                if gender in (o.value, o.label.zh, (o.label.en or "").lower()) or \
                        _GENDER_ZH.get(gender) in (o.value, o.label.zh):
                    return o.value
            return None
        return _GENDER_ZH.get(gender, gender)
    return None

