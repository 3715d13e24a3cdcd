"""A resident finds the item however they type its name."""

from __future__ import annotations

import dataclasses
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.catalog import Catalog, Text, sample_catalog
from kiosk.search import MatchKind, SearchIndex, Source, normalise, search

NO_RECORD = "无犯罪记录证明"
SENIOR_CARD = "老年人优待证办理"


def first(query: str) -> str:
    hits = search(sample_catalog(), query)
    assert hits, f"nothing found for {query!r}"
    return hits[0].item.name.zh


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("wfzjl", NO_RECORD),
        ("wfzjlzm", NO_RECORD),
        ("lnr", SENIOR_CARD),
        ("lnryd", SENIOR_CARD),
        ("gljt", "高龄津贴申领"),
        ("wyc", "网络预约出租汽车驾驶员证核发"),
    ],
)
def test_pinyin_initials_find_the_item(query: str, expected: str) -> None:
    assert first(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("laonian", SENIOR_CARD),
        ("wufanzui", NO_RECORD),
        ("fanzuijilu", NO_RECORD),
        ("gangao", "往来港澳通行证签注"),
        ("yanglaobaoxian", "养老保险待遇资格认证"),
        ("laonianr", SENIOR_CARD),  # the last syllable cut short while typing
        ("laonr", SENIOR_CARD),  # full and initials mixed
    ],
)
def test_full_pinyin_finds_the_item(query: str, expected: str) -> None:
    assert first(query) == expected


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("良民证", NO_RECORD),
        ("无犯罪证明", NO_RECORD),
        ("港澳签注", "往来港澳通行证签注"),
        ("摇号", "小客车增量指标个人申请"),
        ("营业执照", "个体工商户设立登记"),
        ("结婚证", "婚姻登记（结婚、离婚）"),
        ("网约车证", "网络预约出租汽车驾驶员证核发"),
    ],
)
def test_alias_finds_the_item(alias: str, expected: str) -> None:
    hit = search(sample_catalog(), alias)[0]
    assert hit.item.name.zh == expected
    assert hit.kind is MatchKind.EXACT and hit.source is Source.ALIAS and hit.matched == alias


def test_pinyin_of_an_alias_finds_the_item() -> None:
    hit = search(sample_catalog(), "liangminzheng")[0]
    assert hit.item.name.zh == NO_RECORD
    assert hit.matched == "良民证" and hit.kind is MatchKind.EXACT


@pytest.mark.parametrize("query", ["ＷＦＺＪＬ", "W F Z J L", "wfz-jl", "  wfzjl  ", "Wu Fan Zui", "wǔ fàn zuì"])
def test_full_width_spaces_case_and_tone_marks_are_tolerated(query: str) -> None:
    assert first(query) == NO_RECORD


def test_full_width_code_finds_the_item() -> None:
    assert first("４６０１００１０１０７００１００") == NO_RECORD


def test_homophone_typo_still_finds_the_item() -> None:
    hit = search(sample_catalog(), "无犯罪纪录")[0]  # 纪 for 记
    assert hit.item.name.zh == NO_RECORD and hit.kind is MatchKind.FUZZY


def test_characters_with_gaps_find_the_item() -> None:
    assert first("老人优待") == SENIOR_CARD


def test_english_name_finds_the_item() -> None:
    assert first("criminal record") == NO_RECORD
    assert first("Senior") == SENIOR_CARD


def test_blank_query_finds_nothing() -> None:
    assert search(sample_catalog(), "") == []
    assert search(sample_catalog(), " \u3000 ") == []


def test_nonsense_finds_nothing() -> None:
    assert search(sample_catalog(), "qqqqqq") == []
    assert search(sample_catalog(), "𠀀𠀀") == []


def catalog_of(*names: tuple[str, tuple[str, ...]]) -> Catalog:
    base = sample_catalog()
    template = base.items[0]
    items = tuple(
        dataclasses.replace(template, code=f"T{i:03d}", name=Text(name), aliases=aliases)
        for i, (name, aliases) in enumerate(names)
    )
    return dataclasses.replace(base, items=items)


def test_ranking_exact_then_prefix_then_substring_then_initials_then_fuzzy() -> None:
    catalog = catalog_of(
        ("出生医学证明补领", ()),  # fuzzy for 出生证明: 出生…证明
        ("办理出生证明", ()),  # substring
        ("出生证明", ()),  # exact
        ("出生证明查询", ()),  # prefix
    )
    assert [h.item.name.zh for h in search(catalog, "出生证明")] == ["出生证明", "出生证明查询", "办理出生证明", "出生医学证明补领"]
    assert [h.kind for h in search(catalog, "出生证明")] == [
        MatchKind.EXACT, MatchKind.PREFIX, MatchKind.SUBSTRING, MatchKind.FUZZY]


def test_full_pinyin_ranks_above_initials_above_gapped_initials() -> None:
    catalog = catalog_of(
        ("失业金申领", ()),  # s-y-j: initials of 失业金
        ("社保卡申领", ()),  # s-b-k
        ("社会保险卡", ()),  # s-h-b-x-k: sbk only with gaps
        ("生育津贴", ()),  # s-y-j-t
    )
    hits = search(catalog, "sbk")
    assert [h.item.name.zh for h in hits] == ["社保卡申领", "社会保险卡"]
    assert [h.kind for h in hits] == [MatchKind.INITIALS, MatchKind.FUZZY]
    assert search(catalog, "shebaoka")[0].kind is MatchKind.PREFIX


def test_name_beats_alias_of_the_same_kind() -> None:
    catalog = catalog_of(("老年卡补办", ()), ("高龄补贴", ("老年卡",)))
    hits = search(catalog, "老年卡")
    assert hits[0].kind is MatchKind.EXACT and hits[0].item.name.zh == "高龄补贴"
    assert hits[1].kind is MatchKind.PREFIX


def test_limit_keeps_the_best() -> None:
    everything = search(sample_catalog(), "z", limit=None)
    assert search(sample_catalog(), "z", limit=3) == everything[:3]


def test_index_is_built_once_per_catalog() -> None:
    catalog = sample_catalog()
    assert catalog.search_index is catalog.search_index


@given(st.text(max_size=30))
def test_any_input_is_safe_and_normalising_twice_changes_nothing(query: str) -> None:
    assert normalise(normalise(query)) == normalise(query)
    search(sample_catalog(), query)


@given(st.sampled_from([item.name.zh for item in sample_catalog()]))
def test_every_name_finds_its_own_item_first(name: str) -> None:
    hit = search(sample_catalog(), name)[0]
    assert hit.item.name.zh == name and hit.kind is MatchKind.EXACT


def test_search_over_500_items_is_fast() -> None:
    """The bench (bench/bench_search.py) measures ≤ 1 ms; this only guards against a
    regression to per-item Python loops, with slack for a loaded CI machine."""
    base = sample_catalog()
    subjects = ["机动车", "驾驶证", "护照", "户口", "社保卡", "公积金", "营业执照", "残疾人证", "居住证", "教师资格"]
    actions = ["申领", "补领", "换领", "变更", "注销"]
    items = list(base.items)
    n = 0
    while len(items) < 500:
        subject, action = subjects[n % len(subjects)], actions[(n // len(subjects)) % len(actions)]
        items.append(dataclasses.replace(base.items[0], code=f"B{n:04d}", name=Text(f"{subject}{action}{n}")))
        n += 1
    index = SearchIndex(dataclasses.replace(base, items=tuple(items)))
    queries = ["wfzjl", "laonian", "良民证", "证", "z", "huzhao", "jsz", "无犯罪纪录", "criminal", "zzzz"]
    for q in queries:
        index.search(q)
    start = time.perf_counter()
    for _ in range(10):
        for q in queries:
            index.search(q)
    per_query_ms = (time.perf_counter() - start) * 1000 / (10 * len(queries))
    assert per_query_ms < 5
