"""Catalog search over 500 items: index build time and per-query latency (p50, p95,
max) for the kinds of query residents type. Prints figures; asserts nothing.

The target (issue 7): at most 1 ms per query for 500 items."""

from __future__ import annotations

import dataclasses
import statistics
import time

from kiosk.catalog import Catalog, Text, sample_catalog
from kiosk.search import SearchIndex

SUBJECTS = (
    "机动车", "驾驶证", "护照", "户口", "社会保障卡", "医保", "住房公积金", "营业执照", "食品经营许可", "建筑工程施工许可",
    "出生医学证明", "残疾人证", "退役军人优待证", "居住证", "不动产权证书", "道路运输证", "药品经营许可", "卫生许可证",
    "教师资格", "导游证", "渔业船舶", "林木采伐许可", "取水许可", "排污许可", "城乡居民医保", "失业保险金", "生育津贴",
    "工伤认定", "最低生活保障", "特困人员供养", "临时救助", "殡葬补贴", "宅基地", "农机购置补贴", "种子生产经营许可",
    "律师执业", "公证", "法律援助", "户外广告设置", "占道施工", "供水报装", "供电报装", "燃气报装", "有线电视", "档案查询",
    "个人所得税", "发票领用", "税务登记", "社会团体登记", "民办非企业登记",
)
ACTIONS = ("申领", "补领", "换领", "变更登记", "注销", "查询", "证明开具", "年度审验", "备案", "迁移")


def big_catalog(n: int = 500) -> Catalog:
    base = sample_catalog()
    template = base.items[0]
    items = list(base.items)
    for i, (subject, action) in enumerate((s, a) for s in SUBJECTS for a in ACTIONS):
        if len(items) >= n:
            break
        items.append(dataclasses.replace(
            template, code=f"46010019907{i:03d}00", name=Text(subject + action, f"{subject} {action}"),
            aliases=(subject + "办理", subject + action[:1]),
        ))
    return dataclasses.replace(base, items=tuple(items))


QUERIES = (
    "wfzjl", "laonian", "良民证", "无犯罪纪录", "犯罪证明", "lnr", "ＷＦＺＪＬ", "wu fan zui", "criminal",
    "4601001010700100", "zheng", "z", "港澳", "gangao", "社保", "shebaoka", "摇号", "yaohao", "jiashizheng",
    "jsz", "护照补领", "huzhao", "营业执照", "yyzz", "公积金", "gjj", "残疾", "zzz", "证", "x",
)


def main() -> None:
    catalog = big_catalog()
    t0 = time.perf_counter()
    index = SearchIndex(catalog)
    build_ms = (time.perf_counter() - t0) * 1000
    print(f"items: {len(catalog)}  index build: {build_ms:.1f} ms")
    for q in QUERIES:  # warm the regex cache as a running kiosk would
        index.search(q)
    times: dict[str, list[float]] = {}
    for _ in range(50):
        for q in QUERIES:
            t = time.perf_counter()
            index.search(q)
            times.setdefault(q, []).append((time.perf_counter() - t) * 1000)
    every = sorted(x for xs in times.values() for x in xs)
    p95 = every[int(len(every) * 0.95)]
    print(f"per query: p50 {statistics.median(every):.3f} ms  p95 {p95:.3f} ms  max {every[-1]:.3f} ms")
    worst = sorted(times.items(), key=lambda kv: -statistics.median(kv[1]))[:5]
    for q, xs in worst:
        print(f"  slowest: {q!r:>20} median {statistics.median(xs):.3f} ms, {len(index.search(q, None))} hits")


if __name__ == "__main__":
    main()
