"""A broken catalog is refused with its JSON path; a good one reads as typed data."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from drivers.id_reader.identity import IdType
from kiosk.catalog import (
    DEFAULT_RATING_LABELS,
    Auth,
    CatalogError,
    Delivery,
    FieldType,
    Prefill,
    Text,
    UnknownItemError,
    catalog_cache_path,
    category_label,
    load_cached_catalog,
    load_catalog,
    parse_catalog,
    sample_catalog,
    sample_catalog_bytes,
)

NO_RECORD = "4601001010700100"
SENIOR_CARD = "4601001070700100"
HK_MACAO = "4601001010100301"
MARRIAGE = "4601001020300300"
PENSION_CHECK = "4601001030700100"


def raw_sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample_catalog_bytes())
    return data


def refused(data: object) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        parse_catalog(data)
    return info.value


def test_sample_catalog_has_the_items_named_in_the_policy_documents() -> None:
    catalog = sample_catalog()
    names = {item.name.zh for item in catalog}
    for expected in ("无犯罪记录证明", "老年人优待证办理", "往来港澳通行证签注", "保安员证核发", "网络预约出租汽车驾驶员证核发",
                     "个体工商户设立登记", "应届毕业生接收落户", "高龄津贴申领", "养老保险待遇资格认证"):
        assert expected in names
    assert len(catalog) >= 12
    assert all(item.name.en and item.department.en and item.commitment.text.en for item in catalog)


def test_sample_items_carry_the_rules_the_tour_relies_on() -> None:
    catalog = sample_catalog()
    assert catalog.item(SENIOR_CARD).eligibility.min_age == 60
    assert catalog.item("4601001020200200").eligibility.min_age == 80
    assert catalog.item(HK_MACAO).auth is Auth.ID_CARD_AND_FACE
    assert catalog.item(HK_MACAO).eligibility.id_types == (IdType.RESIDENT,)
    pension = catalog.item(PENSION_CHECK)
    assert pension.needs_face and pension.decided_at_once and pension.materials == ()
    marriage = catalog.item(MARRIAGE)
    assert marriage.counter_only and marriage.guide is not None and "婚姻登记处" in marriage.guide.zh
    no_record = catalog.item(NO_RECORD)
    assert {"良民证", "无犯罪证明", "无犯罪记录"} <= set(no_record.aliases)
    assert Delivery.ELECTRONIC in no_record.delivery


def test_sample_uses_every_field_type_and_prefill_source() -> None:
    fields = [f for item in sample_catalog() for f in item.form]
    assert {f.type for f in fields} == set(FieldType)
    assert {f.prefill for f in fields if f.prefill} == set(Prefill)


def test_sample_id_card_copies_have_two_sides_and_some_materials_may_be_deferred() -> None:
    materials = [m for item in sample_catalog() for m in item.materials]
    assert any(m.sides == 2 for m in materials)
    assert any(m.can_defer for m in materials)
    assert all(m.min_pages <= m.max_pages for m in materials)


def test_unknown_catalog_field_rejected_with_a_clear_message() -> None:
    data = raw_sample()
    data["items"][2]["materials"][0]["requried"] = True
    error = refused(data)
    assert error.path == "items[2].materials[0]"
    assert "unknown field 'requried'" in str(error)
    assert "did you mean 'required'" in str(error)
    assert str(error).startswith("目录格式错误 / invalid catalog")


def test_extension_fields_are_ignored() -> None:
    data = raw_sample()
    data["x-generated-by"] = "platform 2.3"
    data["items"][0]["x-internal-id"] = 17
    assert parse_catalog(data).item(NO_RECORD).code == NO_RECORD


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda d: d["items"][0].update(auth="face_only"), "items[0].auth", "expected one of id_card"),
        (lambda d: d["items"][0].pop("commitment"), "items[0]", "missing required field 'commitment'"),
        (lambda d: d["items"][0]["materials"][0].update(sides=3), "items[0].materials[0].sides", "1 or 2"),
        (lambda d: d["items"][0].update(delivery=["drone"]), "items[0].delivery[0]", "pickup"),
        (lambda d: d["items"][0].update(time_limit_days="3"), "items[0].time_limit_days", "integer"),
        (lambda d: d["items"][0].update(time_limit_days=True), "items[0].time_limit_days", "integer"),
        (lambda d: d["items"][0]["form"][0].update(type="email"), "items[0].form[0].type", "expected one of"),
        (lambda d: d["items"][0]["form"][2].update(options=[]), "items[0].form[2].options", "at least one option"),
        (lambda d: d["items"][0]["form"][0].update(pattern="[a-"), "items[0].form[0].pattern", "regular expression"),
        (lambda d: d["items"][0]["form"][0].update(prefill="photo"), "items[0].form[0].prefill", "birth_date"),
        (lambda d: d["items"][0]["name"].pop("zh"), "items[0].name", "missing required field 'zh'"),
        (lambda d: d["items"][1].update(code=d["items"][0]["code"]), "items", "duplicate item code"),
        (lambda d: d["items"][1]["materials"].append(dict(d["items"][1]["materials"][0])), "items[1].materials",
         "duplicate material code"),
        (lambda d: d["items"][0]["materials"][0].update(code="face"), "items[0].materials[0].code", "reserved"),
        (lambda d: d["items"][0]["materials"][0].update(min_pages=3, max_pages=2), "items[0].materials[0].min_pages",
         "more than max_pages"),
        (lambda d: d["items"][0].update(eligibility={"id_types": ["passport"]}), "items[0].eligibility.id_types[0]",
         "resident_id"),
        (lambda d: d.update(rating_labels=d["rating_labels"][:4]), "rating_labels", "expected 5 labels"),
        (lambda d: d.pop("version"), "", "missing required field 'version'"),
    ],
)
def test_broken_catalog_names_the_path(mutate: Any, path: str, words: str) -> None:
    data = copy.deepcopy(raw_sample())
    mutate(data)
    error = refused(data)
    assert error.path == path
    assert words in str(error)


def test_catalog_that_is_not_an_object_is_refused() -> None:
    assert "expected an object" in str(refused([1, 2]))


def test_truncated_catalog_file_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(sample_catalog_bytes().decode("utf-8")[:400], encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert "not JSON (line" in str(info.value)
    assert str(path) in str(info.value)


def test_catalog_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_bytes(sample_catalog_bytes().decode("utf-8").encode("gbk"))
    with pytest.raises(CatalogError, match="not UTF-8"):
        load_catalog(path)


def test_no_cached_catalog_is_none_not_an_error(tmp_path: Path) -> None:
    assert load_cached_catalog(tmp_path) is None


def test_cached_catalog_is_read_from_the_sync_engines_file(tmp_path: Path) -> None:
    data = raw_sample()
    data["version"] = "from-platform-7"
    cache = catalog_cache_path(tmp_path)
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    catalog = load_cached_catalog(tmp_path)
    assert catalog is not None and catalog.version == "from-platform-7"


def test_corrupt_cached_catalog_raises_rather_than_looking_unprovisioned(tmp_path: Path) -> None:
    cache = catalog_cache_path(tmp_path)
    cache.parent.mkdir(parents=True)
    cache.write_text("<html>captive portal</html>", encoding="utf-8")
    with pytest.raises(CatalogError):
        load_cached_catalog(tmp_path)


def test_unknown_item_code_names_the_code() -> None:
    with pytest.raises(UnknownItemError) as info:
        sample_catalog().item("0000")
    assert "0000" in str(info.value)
    assert sample_catalog().get("0000") is None
    assert "0000" not in sample_catalog()
    assert NO_RECORD in sample_catalog()


def test_categories_keep_catalog_order_and_uncategorised_come_last() -> None:
    data = raw_sample()
    del data["items"][0]["category"]
    catalog = parse_catalog(data)
    assert catalog.categories[-1] == "其他"
    assert catalog.categories[0] == catalog.items[1].category
    assert all(catalog.items_in(c) for c in catalog.categories)
    assert sum(len(catalog.items_in(c)) for c in catalog.categories) == len(catalog)
    assert category_label("公安", "en") == "Public security"
    assert category_label("公安", "zh") == "公安"
    assert category_label("海洋", "en") == "海洋"


def test_rating_labels_default_to_the_national_five_levels() -> None:
    data = raw_sample()
    del data["rating_labels"]
    catalog = parse_catalog(data)
    assert catalog.rating_labels == DEFAULT_RATING_LABELS
    assert catalog.rating_label(5).zh == "非常满意"
    assert catalog.rating_label(1).zh == "非常不满意"
    with pytest.raises(ValueError):
        catalog.rating_label(6)


def test_text_falls_back_to_chinese() -> None:
    assert Text("满意").get("en") == "满意"
    assert Text("满意", "Satisfied").get("en") == "Satisfied"
    assert Text("满意", "Satisfied").get("zh") == "满意"
    assert str(Text("满意", "Satisfied")) == "满意"


def test_missing_delivery_means_pickup() -> None:
    data = raw_sample()
    del data["items"][0]["delivery"]
    assert parse_catalog(data).items[0].delivery == (Delivery.PICKUP,)


def test_sample_round_trips_to_an_equal_catalog() -> None:
    assert parse_catalog(raw_sample()) == sample_catalog()
