"""Finding a service item the way a resident types it: 汉字, 常用称呼, pinyin.

`wfzjl` and `wufanzui` find 无犯罪记录证明, `laonian` finds 老年人优待证, `良民证`
(an alias) finds it too, and so does `无犯罪纪录` (a homophone typo). Input may be
full-width, spaced, upper-case or carry tone marks.

Ranking, best first: exact (the whole name, alias, English name, code or full pinyin)
> prefix > substring > pinyin initials (any syllable prefixes: `lnr`, `laonr`) >
fuzzy (characters in order with gaps, homophones, initials with gaps). Within a kind,
the item's own name beats an alias, an earlier match beats a later one, a shorter
text beats a longer one, then catalog order.

Speed: the index joins every searchable text of the catalog into one string per
representation, so each query is a handful of C-level regex scans rather than a
Python loop over items (bench/bench_search.py: well under 1 ms for 500 items).
Pinyin is pypinyin's phrase-aware reading (银行 → yin hang); other readings of
heteronyms are not indexed.
"""

from __future__ import annotations

import bisect
import enum
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pypinyin import Style, lazy_pinyin

if TYPE_CHECKING:
    from kiosk.catalog import Catalog, CatalogItem

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN_ONLY = re.compile(r"^[a-z]+$")
# Everything that is not a letter, digit or Han character is ignored when matching.
_NOISE = re.compile(r"[^0-9a-z\u00c0-\u024f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_SEP = "\n"  # between entries of the joined text; no pattern below can match it
_SYL = "'"  # before every pinyin syllable


class MatchKind(enum.IntEnum):
    """How well a query matched; lower is better."""

    EXACT = 0
    PREFIX = 1
    SUBSTRING = 2
    INITIALS = 3
    FUZZY = 4


class Source(enum.IntEnum):
    """What text matched; lower ranks first within a `MatchKind`."""

    NAME = 0
    ALIAS = 1
    ENGLISH = 2
    CODE = 3


@dataclass(frozen=True)
class SearchHit:
    item: CatalogItem
    kind: MatchKind
    source: Source
    matched: str  # the name, alias, English name or code that matched, as the catalog spells it


def normalise(text: str) -> str:
    """Full-width to half-width, case folded, tone marks dropped (ü → v), and every
    space and punctuation mark removed: the form queries and entries are compared in."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(c for c in text.replace("u\u0308", "v") if not unicodedata.combining(c))
    return _NOISE.sub("", unicodedata.normalize("NFC", text))


def _syllables(text: str) -> list[str]:
    """Pinyin syllables of the Han characters; other letters and digits as one token each run."""
    out: list[str] = []
    for token in lazy_pinyin(text, style=Style.NORMAL, errors="default", v_to_u=False):
        token = normalise(token)
        if token:
            out.append(token)
    return out


@dataclass(frozen=True)
class _Entry:
    item: int
    source: Source
    original: str
    start: int  # offset in the joined text
    length: int


class _Joined:
    """Entries joined by newlines, with a map from an offset back to its entry."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.entries: list[_Entry] = []
        self._starts: list[int] = []
        self._offset = 1  # the text starts with a separator, so "\n" + x finds x at an entry start
        self.text = ""

    def add(self, item: int, source: Source, original: str, text: str) -> None:
        if not text:
            return
        self.entries.append(_Entry(item, source, original, self._offset, len(text)))
        self._starts.append(self._offset)
        self._parts.append(text)
        self._offset += len(text) + 1

    def freeze(self) -> None:
        self.text = _SEP + _SEP.join(self._parts) + _SEP

    def matches(self, pattern: re.Pattern[str], *, anchored: bool = False) -> Iterator[tuple[_Entry, int, int]]:
        """(entry, start, end) of the leftmost match in every entry that has one;
        offsets are relative to the entry. An `anchored` pattern begins with the
        separator (a literal the regex engine scans for fast, unlike `^`)."""
        last: _Entry | None = None
        pos = 0
        lead = len(_SEP) if anchored else 0
        while (m := pattern.search(self.text, pos)) is not None:
            start = m.start() + lead
            entry = self.entries[bisect.bisect_right(self._starts, start) - 1]
            if entry is not last:
                yield entry, start - entry.start, m.end() - entry.start
                last = entry
            # Resume in the next entry: its leftmost match is all we rank on.
            pos = entry.start + entry.length + 1


class SearchIndex:
    """Everything the queries of one catalog need, computed once."""

    def __init__(self, catalog: Catalog) -> None:
        self._items = catalog.items
        self._literal = _Joined()
        self._pinyin = _Joined()
        for i, item in enumerate(catalog.items):
            texts = [(Source.NAME, item.name.zh)] + [(Source.ALIAS, a) for a in item.aliases]
            for source, original in texts:
                self._literal.add(i, source, original, normalise(original))
                syllables = _syllables(original)
                if syllables:
                    self._pinyin.add(i, source, original, _SYL + _SYL.join(syllables))
            if item.name.en:
                self._literal.add(i, Source.ENGLISH, item.name.en, normalise(item.name.en))
            self._literal.add(i, Source.CODE, item.code, normalise(item.code))
        self._literal.freeze()
        self._pinyin.freeze()

    def search(self, query: str, limit: int | None = 20) -> list[SearchHit]:
        """Items matching `query`, best first; an empty query finds nothing."""
        q = normalise(query)
        if not q:
            return []
        # item → (kind, source, position, length, item): the sort key of its best match.
        best: dict[int, tuple[int, int, int, int, int]] = {}
        entries: dict[int, _Entry] = {}

        def offer(entry: _Entry, kind: MatchKind, position: int) -> None:
            key = (kind, entry.source, position, entry.length, entry.item)
            current = best.get(entry.item)
            if current is None or key < current:
                best[entry.item] = key
                entries[entry.item] = entry

        def enough_better_than(kind: MatchKind) -> bool:
            """A weaker pass cannot change the first `limit` hits once these exist."""
            return limit is not None and sum(1 for k in best.values() if k[0] < kind) >= limit

        def literal_kind(start: int, end: int, entry: _Entry) -> MatchKind:
            if start == 0:
                return MatchKind.EXACT if end == entry.length else MatchKind.PREFIX
            return MatchKind.SUBSTRING

        latin = _LATIN_ONLY.match(q) is not None
        literal = re.escape(q)
        # Whole syllables, the last one possibly cut short: `laonian`, `fanzui`.
        whole = _SYL + (_SYL + "?").join(q) if latin else None
        # 1. Exact and prefix matches first (anchored at an entry's start, so few), of
        # the text itself (汉字 names and aliases, English names, codes) and of its pinyin;
        # 2. then anywhere inside, unless `limit` better hits are already known.
        for anchored in (True, False):
            if not anchored and enough_better_than(MatchKind.SUBSTRING):
                break
            anchor = _SEP if anchored else ""
            for entry, start, end in self._literal.matches(re.compile(anchor + literal), anchored=anchored):
                offer(entry, literal_kind(start, end, entry), start)
            if whole is not None:
                pattern = re.compile(anchor + whole)
                for entry, start, end in self._pinyin.matches(pattern, anchored=anchored):
                    offer(entry, literal_kind(start, end, entry), self._syllable_index(entry, start))

        if latin:
            letters = list(q)
            # 3. A prefix of each syllable in a row: `wfzjl`, `lnr`, `laonr`, `zhengm`.
            if len(q) > 1 and not enough_better_than(MatchKind.INITIALS):
                initials = re.compile(_SYL + q[0] + "".join(f"(?:[a-z0-9]*{_SYL})?{c}" for c in q[1:]))
                for entry, start, _end in self._pinyin.matches(initials):
                    offer(entry, MatchKind.INITIALS, self._syllable_index(entry, start))
            # 5. Initials in order with syllables skipped: `wfzm` (无犯罪记录证明).
            if len(q) >= 3 and not enough_better_than(MatchKind.FUZZY):
                gaps = re.compile(_SYL + f"[^{_SEP}]*?{_SYL}".join(letters))
                for entry, start, _end in self._pinyin.matches(gaps):
                    offer(entry, MatchKind.FUZZY, self._syllable_index(entry, start))
        elif _HAN.search(q) is not None and not enough_better_than(MatchKind.FUZZY):
            # 5. Characters in order with gaps (犯罪证明), and homophones (无犯罪纪录).
            if len(q) >= 2:
                gapped = re.compile(f"[^{_SEP}]*?".join(re.escape(c) for c in q))
                for entry, start, _end in self._literal.matches(gapped):
                    offer(entry, MatchKind.FUZZY, start)
            syllables = _syllables(q)
            if syllables:
                sounds = re.compile(re.escape(_SYL + _SYL.join(syllables)))
                for entry, start, _end in self._pinyin.matches(sounds):
                    offer(entry, MatchKind.FUZZY, self._syllable_index(entry, start))

        ranked = sorted(best.values())
        if limit is not None:
            ranked = ranked[:limit]
        return [
            SearchHit(self._items[key[4]], MatchKind(key[0]), Source(key[1]), entries[key[4]].original)
            for key in ranked
        ]

    def _syllable_index(self, entry: _Entry, start: int) -> int:
        """Which syllable a pinyin match starts at (0 = the first), for ranking."""
        return self._pinyin.text.count(_SYL, entry.start, entry.start + start + 1) - 1


def search(catalog: Catalog, query: str, limit: int | None = 20) -> list[SearchHit]:
    """Search with the catalog's own index (built on first use)."""
    return catalog.search_index.search(query, limit=limit)
