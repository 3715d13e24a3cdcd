"""Whether this resident can apply for this item here, and if not, why and what to do.

Checked in the order a resident would want to hear about it: an item that cannot be
done at a terminal at all (counter_only), then the card itself (expired, a kind of
card the item does not accept), then age. Ages use the card's birth date and the
injected `today`; a birthday reaches the new age on the day (29 February: on
1 March in other years), as `drivers.id_reader.idnumber.age_on` does.

Messages carry personal data (age, dates), so they stay out of the repr.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from drivers.id_reader.identity import Identity, IdType
from kiosk.catalog import CatalogItem, Text


class Reason(enum.StrEnum):
    OK = "ok"
    COUNTER_ONLY = "counter_only"
    CARD_EXPIRED = "card_expired"
    ID_TYPE_NOT_ACCEPTED = "id_type_not_accepted"
    TOO_YOUNG = "too_young"
    TOO_OLD = "too_old"


@dataclass(frozen=True)
class EligibilityResult:
    ok: bool
    reason_code: Reason
    message: Text = field(repr=False)
    what_to_do: Text = field(repr=False)


_CARD_NAMES = {
    IdType.RESIDENT: Text("居民身份证", "resident identity card"),
    IdType.HMT_RESIDENCE: Text("港澳台居民居住证", "residence permit for Hong Kong, Macao and Taiwan residents"),
    IdType.FOREIGN_PERMANENT: Text("外国人永久居留身份证", "foreign permanent resident ID card"),
}
_RENEW_WHERE = {
    IdType.RESIDENT: Text("户籍所在地或居住地的派出所（公安户政窗口）",
                          "a police station's household registration counter"),
    IdType.HMT_RESIDENCE: Text("居住地公安机关的居住证受理窗口",
                               "the residence permit counter of the local public security bureau"),
    IdType.FOREIGN_PERMANENT: Text("公安机关出入境管理部门", "the exit-entry administration of the public security bureau"),
}
_HELP = Text("如需帮助，请咨询大厅服务台或拨打12345政务服务便民热线。",
             "For help, ask at the hall's service desk or call the 12345 government hotline.")


def check(item: CatalogItem, identity: Identity | None, today: dt.date) -> EligibilityResult:
    """`identity` None (no card read yet) checks only what does not depend on the person."""
    name = item.name
    if item.counter_only:
        return EligibilityResult(
            False, Reason.COUNTER_ONLY,
            Text(f"“{name.zh}”须本人到窗口现场办理，本机不能办理。",
                 f"“{name.get('en')}” must be done in person at a counter; this kiosk cannot do it."),
            Text(f"请到{item.department.zh}办理。办理地点、需要携带的材料见办事指南。" + _HELP.zh,
                 f"Please go to {item.department.get('en')}. The guide says where it is and what to bring. "
                 + (_HELP.en or "")),
        )
    if identity is None:
        return _ok()

    card = _CARD_NAMES[identity.id_type]
    if identity.expired_on(today):
        until = identity.valid_until
        assert until is not None
        renew = _RENEW_WHERE[identity.id_type]
        return EligibilityResult(
            False, Reason.CARD_EXPIRED,
            Text(f"您的{card.zh}已于{_zh_date(until)}到期，过期的证件不能用于办理。",
                 f"Your {card.en} expired on {until.isoformat()}; an expired card cannot be used."),
            Text(f"请先到{renew.zh}换领新证，领到新证后再来办理。" + _HELP.zh,
                 f"Please renew it first at {renew.en}, then come back with the new card. " + (_HELP.en or "")),
        )

    rules = item.eligibility
    if rules.id_types and identity.id_type not in rules.id_types:
        accepted = "、".join(_CARD_NAMES[t].zh for t in rules.id_types)
        accepted_en = " or ".join(_CARD_NAMES[t].get("en") for t in rules.id_types)
        return EligibilityResult(
            False, Reason.ID_TYPE_NOT_ACCEPTED,
            Text(f"“{name.zh}”只受理持{accepted}的申请人，您使用的是{card.zh}。",
                 f"“{name.get('en')}” is only for holders of a {accepted_en}; your card is a {card.en}."),
            Text(f"请到大厅综合咨询窗口，询问持{card.zh}如何办理同类事项。" + _HELP.zh,
                 f"Please ask at the hall's information counter how holders of a {card.en} can get this "
                 "service. " + (_HELP.en or "")),
        )

    age = identity.age_on(today)
    if rules.min_age is not None and age < rules.min_age:
        when = _birthday(identity.birth_date, rules.min_age)
        return EligibilityResult(
            False, Reason.TOO_YOUNG,
            Text(f"“{name.zh}”需年满{rules.min_age}周岁才能申请。按身份证上的出生日期，您现在{age}周岁。",
                 f"“{name.get('en')}” is for people aged {rules.min_age} or over. By the date of birth on "
                 f"your card you are {age}."),
            Text(f"您将于{_zh_date(when)}年满{rules.min_age}周岁，从那天起即可申请。" + _HELP.zh,
                 f"You will turn {rules.min_age} on {when.isoformat()} and can apply from that day. "
                 + (_HELP.en or "")),
        )
    if rules.max_age is not None and age > rules.max_age:
        return EligibilityResult(
            False, Reason.TOO_OLD,
            Text(f"“{name.zh}”只受理{rules.max_age}周岁及以下的申请人，按身份证上的出生日期，您现在{age}周岁。",
                 f"“{name.get('en')}” is for people aged {rules.max_age} or under. By the date of birth on "
                 f"your card you are {age}."),
            Text(f"如对年龄条件有疑问，请咨询{item.department.zh}。" + _HELP.zh,
                 f"If you have questions about the age limit, please ask {item.department.get('en')}. "
                 + (_HELP.en or "")),
        )
    return _ok()


def _ok() -> EligibilityResult:
    return EligibilityResult(True, Reason.OK, Text("可以在本机办理。", "You can apply at this kiosk."),
                             Text("请按屏幕提示继续。", "Please follow the steps on the screen."))


def _birthday(birth: dt.date, age: int) -> dt.date:
    """The day someone born on `birth` turns `age` (29 February → 1 March)."""
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return dt.date(birth.year + age, 3, 1)


def _zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
