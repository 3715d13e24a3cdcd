"""The service catalog (platform-api.yaml `Catalog`) as typed, frozen, validated data.

The catalog comes from the platform (`GET /v1/catalog`, cached by the sync engine at
`<storage_dir>/catalog/catalog.json`) or, on a development machine, from the sample
bundled in `kiosk/data/sample_catalog.json`. Parsing is strict: an unknown key is an
error naming its JSON path and the closest known key, because a misspelt
`"requried": true` would otherwise silently make a material optional. Keys starting
with `x-` are extensions and are ignored, so a platform can add data for other clients
without breaking terminals.

Item codes of the sample follow the 16-digit 职权编码 layout (kiosk-features.md,
CN10): 6 行政区划 (GB/T 2260, 460100 海口市, 460000 海南省) + 3 实施主体 + 2 事项类型
+ 3 顺序号 + 2 子项. The 事项类型 digits number the "6+1" kinds of the Hainan 零跑动
plan: 01 行政许可, 02 行政给付, 03 行政确认, 04 行政裁决, 05 行政奖励, 06 其他行政权力,
07 公共服务. Nothing in this module depends on that layout.
"""

from __future__ import annotations

import difflib
import enum
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from drivers.id_reader.identity import IdType

if TYPE_CHECKING:
    from kiosk.search import SearchHit, SearchIndex

CACHE_DIR = "catalog"
CACHE_FILE = "catalog.json"
ETAG_FILE = "etag"

# Material codes the Submission uses for the kiosk's own captures (platform-api.yaml,
# Submission.materials[].code: "face/signature for those"); a catalog must not reuse them.
RESERVED_MATERIAL_CODES = frozenset({"face", "signature"})

_CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class CatalogError(ValueError):
    """The catalog does not fit the platform's schema. `path` is a JSON path such as
    `items[3].materials[0].sides`."""

    def __init__(self, path: str, detail: str, *, source: str | None = None) -> None:
        where = f"{source}: " if source else ""
        at = f"{path}: " if path else ""
        super().__init__(f"目录格式错误 / invalid catalog: {where}{at}{detail}")
        self.path = path
        self.detail = detail
        self.source = source


class UnknownItemError(LookupError):
    """No item with that code in this catalog."""

    def __init__(self, code: str) -> None:
        super().__init__(f"目录中没有该事项 / no such item in the catalog: {code}")
        self.code = code


class Auth(enum.StrEnum):
    """How the resident proves who they are (CatalogItem.auth)."""

    ID_CARD = "id_card"
    ID_CARD_AND_FACE = "id_card_and_face"
    COUNTER_ONLY = "counter_only"


class Delivery(enum.StrEnum):
    """How the decision reaches the resident (CatalogItem.delivery)."""

    PICKUP = "pickup"
    EXPRESS = "express"  # free of charge to the applicant (Hainan 不见面审批: 申请人不负担快递费用)
    ELECTRONIC = "electronic"


class FieldType(enum.StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    DATE = "date"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    SELECT = "select"
    ADDRESS = "address"
    CHECKBOX = "checkbox"


class Prefill(enum.StrEnum):
    """Card fields a form field may be prefilled from (INTERFACES.md §3 names)."""

    NAME = "name"
    ADDRESS = "address"
    ID_NUMBER = "id_number"
    BIRTH_DATE = "birth_date"
    GENDER = "gender"
    NATION = "nation"


@dataclass(frozen=True)
class Text:
    """A text in Chinese and (optionally) English; Chinese is what the hall speaks."""

    zh: str
    en: str | None = None

    def get(self, lang: str) -> str:
        """The text in `lang` ("zh" or "en"), falling back to Chinese."""
        if lang.lower().startswith("en") and self.en:
            return self.en
        return self.zh

    def __str__(self) -> str:
        return self.zh

    def to_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en} if self.en is not None else {"zh": self.zh}


DEFAULT_RATING_LABELS: tuple[Text, ...] = (
    Text("非常满意", "Very satisfied"),
    Text("满意", "Satisfied"),
    Text("基本满意", "Fairly satisfied"),
    Text("不满意", "Dissatisfied"),
    Text("非常不满意", "Very dissatisfied"),
)

# Catalog categories are plain strings (platform-api.yaml); these are the English names
# of the ones Chinese halls use. Unknown categories show as they are.
CATEGORY_NAMES: Mapping[str, str] = {
    "公安": "Public security",
    "出入境": "Exit and entry",
    "民政": "Civil affairs",
    "卫健": "Health and elderly care",
    "社保": "Social insurance",
    "人才": "Talent and residence",
    "人社": "Human resources and social security",
    "市场监管": "Business registration",
    "交通": "Transport",
    "税务": "Taxation",
    "医保": "Medical insurance",
    "住房": "Housing",
    "教育": "Education",
    "其他": "Other",
}
UNCATEGORISED = "其他"


def category_label(category: str, lang: str) -> str:
    if lang.lower().startswith("en"):
        return CATEGORY_NAMES.get(category, category)
    return category


@dataclass(frozen=True)
class FieldOption:
    value: str
    label: Text


@dataclass(frozen=True)
class FormField:
    key: str
    label: Text
    type: FieldType
    required: bool = False
    options: tuple[FieldOption, ...] = ()
    max_length: int | None = None
    pattern: str | None = None
    prefill: Prefill | None = None

    def option(self, value: str) -> FieldOption | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Material:
    code: str
    name: Text
    required: bool
    deferrable: bool = False  # may be supplied after acceptance (容缺受理)
    min_pages: int = 1
    max_pages: int = 10
    sides: int = 1  # 2 for cards with a front and a back

    @property
    def can_defer(self) -> bool:
        """Whether the resident may promise to supply it later (only matters if required)."""
        return self.required and self.deferrable


@dataclass(frozen=True)
class Commitment:
    """The 告知承诺 the resident accepts (and signs) before applying."""

    version: str
    text: Text


@dataclass(frozen=True)
class Eligibility:
    min_age: int | None = None
    max_age: int | None = None
    id_types: tuple[IdType, ...] = ()  # empty: every kind of card

    @property
    def unrestricted(self) -> bool:
        return self.min_age is None and self.max_age is None and not self.id_types


@dataclass(frozen=True)
class CatalogItem:
    code: str
    name: Text
    department: Text
    auth: Auth
    time_limit_days: int  # promised working days (承诺时限); 0 = decided at once (秒批)
    materials: tuple[Material, ...]
    form: tuple[FormField, ...]
    commitment: Commitment
    aliases: tuple[str, ...] = ()
    category: str = UNCATEGORISED
    eligibility: Eligibility = field(default_factory=Eligibility)
    fee_fen: int = 0
    delivery: tuple[Delivery, ...] = (Delivery.PICKUP,)
    guide: Text | None = None

    @property
    def counter_only(self) -> bool:
        return self.auth is Auth.COUNTER_ONLY

    @property
    def needs_face(self) -> bool:
        return self.auth is Auth.ID_CARD_AND_FACE

    @property
    def decided_at_once(self) -> bool:
        """秒批: the platform decides the moment it receives the application."""
        return self.time_limit_days == 0

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.form if f.key == key), None)

    @property
    def required_materials(self) -> tuple[Material, ...]:
        return tuple(m for m in self.materials if m.required)

    @property
    def deferrable_materials(self) -> tuple[Material, ...]:
        return tuple(m for m in self.materials if m.can_defer)


@dataclass(frozen=True)
class Catalog:
    version: str
    items: tuple[CatalogItem, ...]
    rating_labels: tuple[Text, ...] = DEFAULT_RATING_LABELS

    def __iter__(self) -> Iterator[CatalogItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    @functools.cached_property
    def _by_code(self) -> dict[str, CatalogItem]:
        return {item.code: item for item in self.items}

    def item(self, code: str) -> CatalogItem:
        """The item with this code; `UnknownItemError` if the catalog has none."""
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownItemError(code) from None

    def get(self, code: str) -> CatalogItem | None:
        return self._by_code.get(code)

    @functools.cached_property
    def categories(self) -> tuple[str, ...]:
        """Categories in the order the catalog first names them; uncategorised last."""
        seen = dict.fromkeys(i.category for i in self.items if i.category != UNCATEGORISED)
        if any(i.category == UNCATEGORISED for i in self.items):
            seen[UNCATEGORISED] = None
        return tuple(seen)

    def items_in(self, category: str) -> tuple[CatalogItem, ...]:
        return tuple(i for i in self.items if i.category == category)

    def rating_label(self, stars: int) -> Text:
        """The label of a rating from 5 (best) to 1 (worst)."""
        if not 1 <= stars <= 5:
            raise ValueError("stars must be 1 to 5")
        return self.rating_labels[5 - stars]

    @functools.cached_property
    def search_index(self) -> SearchIndex:
        """Built on first use, once per catalog (pinyin of every name and alias)."""
        from kiosk.search import SearchIndex

        return SearchIndex(self)

    def search(self, query: str, limit: int | None = 20) -> list[SearchHit]:
        return self.search_index.search(query, limit=limit)


# -- parsing -------------------------------------------------------------------------

T = TypeVar("T")
E = TypeVar("E", bound=enum.StrEnum)


class _Reader:
    """One JSON object being parsed, with its path for error messages."""

    def __init__(self, data: object, path: str, source: str | None) -> None:
        self.path = path
        self.source = source
        if not isinstance(data, dict):
            raise self.error(f"expected an object, got {_kind(data)}", at_self=True)
        self.data: dict[str, Any] = data

    def error(self, detail: str, key: str | None = None, *, at_self: bool = False) -> CatalogError:
        path = self.path if at_self or key is None else _join(self.path, key)
        return CatalogError(path, detail, source=self.source)

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key in allowed or key.startswith(("x-", "x_")):
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise self.error(
                f"unknown field {key!r}{suggestion} (allowed: {', '.join(allowed)})", at_self=True
            )

    def required(self, key: str) -> Any:
        if key not in self.data:
            raise self.error(f"missing required field {key!r}", at_self=True)
        return self.data[key]

    def text(self, key: str, *, nonempty: bool = True) -> str:
        """A required string."""
        value = self.string(key, nonempty=nonempty)
        if value is None:  # pragma: no cover - string() raises for a missing required key
            raise self.error(f"missing required field {key!r}", at_self=True)
        return value

    def string(self, key: str, *, required: bool = True, nonempty: bool = True) -> str | None:
        if key not in self.data:
            if required:
                raise self.error(f"missing required field {key!r}", at_self=True)
            return None
        value = self.data[key]
        if not isinstance(value, str):
            raise self.error(f"expected a string, got {_kind(value)}", key)
        if nonempty and not value.strip():
            raise self.error("must not be empty", key)
        return value

    def integer(self, key: str, default: int | None, *, minimum: int | None = 0) -> int | None:
        if key not in self.data:
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected an integer, got {_kind(value)}", key)
        if minimum is not None and value < minimum:
            raise self.error(f"must be at least {minimum} (got {value})", key)
        return value

    def count(self, key: str, default: int, *, minimum: int | None = 0) -> int:
        """An integer with a default."""
        value = self.integer(key, default, minimum=minimum)
        return default if value is None else value

    def required_child(self, key: str) -> _Reader:
        if key not in self.data:
            raise self.error(f"missing required field {key!r}", at_self=True)
        return _Reader(self.data[key], _join(self.path, key), self.source)

    def boolean(self, key: str, default: bool | None) -> bool:
        if key not in self.data:
            if default is None:
                raise self.error(f"missing required field {key!r}", at_self=True)
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {_kind(value)}", key)
        return value

    def array(self, key: str, *, required: bool) -> list[Any]:
        if key not in self.data:
            if required:
                raise self.error(f"missing required field {key!r}", at_self=True)
            return []
        value = self.data[key]
        if not isinstance(value, list):
            raise self.error(f"expected an array, got {_kind(value)}", key)
        return value

    def enum(self, key: str, kind: type[E]) -> E:
        return _enum_value(self, key, kind, self.data.get(key))

    def child(self, key: str) -> _Reader | None:
        """An optional nested object."""
        return self.required_child(key) if key in self.data else None

    def each(self, key: str, parse: Callable[[_Reader], T], *, required: bool) -> tuple[T, ...]:
        return tuple(
            parse(_Reader(entry, f"{_join(self.path, key)}[{i}]", self.source))
            for i, entry in enumerate(self.array(key, required=required))
        )


def _enum_value(r: _Reader, key: str, kind: type[E], raw: object) -> E:
    allowed = [m.value for m in kind]
    if not isinstance(raw, str) or raw not in allowed:
        raise r.error(f"expected one of {', '.join(allowed)} (got {raw!r})", key)
    return kind(raw)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def _text(r: _Reader) -> Text:
    r.check_keys(("zh", "en"))
    zh = r.text("zh")
    en = r.string("en", required=False, nonempty=False)
    return Text(zh=zh, en=en or None)


def _required_text(r: _Reader, key: str) -> Text:
    return _text(r.required_child(key))


def _option(r: _Reader) -> FieldOption:
    r.check_keys(("value", "label"))
    value = r.text("value", nonempty=False)
    label = _text(c) if (c := r.child("label")) else Text(value)
    return FieldOption(value=value, label=label)


def _form_field(r: _Reader) -> FormField:
    r.check_keys(("key", "label", "type", "required", "options", "max_length", "pattern", "prefill"))
    key = r.text("key")
    if not _KEY_RE.match(key):
        raise r.error("a form key is a letter or _ then letters, digits or _ (at most 64)", "key")
    r.required("type")
    ftype = r.enum("type", FieldType)
    options = r.each("options", _option, required=False)
    if ftype is FieldType.SELECT:
        if not options:
            raise r.error("a select field needs at least one option", "options")
        values = [o.value for o in options]
        if dupes := sorted({v for v in values if values.count(v) > 1}):
            raise r.error(f"duplicate option value(s): {', '.join(dupes)}", "options")
    elif options:
        raise r.error(f"options are only for select fields (this one is {ftype.value})", "options")
    pattern = r.string("pattern", required=False)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise r.error(f"not a valid regular expression ({exc})", "pattern") from None
    prefill = r.enum("prefill", Prefill) if "prefill" in r.data else None
    return FormField(
        key=key,
        label=_required_text(r, "label"),
        type=ftype,
        required=r.boolean("required", False),
        options=options,
        max_length=r.integer("max_length", None, minimum=1),
        pattern=pattern,
        prefill=prefill,
    )


def _material(r: _Reader) -> Material:
    r.check_keys(("code", "name", "required", "deferrable", "min_pages", "max_pages", "sides"))
    code = r.text("code")
    if not _CODE_RE.match(code):
        raise r.error("a material code is 1-64 of A-Z a-z 0-9 _ . -", "code")
    if code in RESERVED_MATERIAL_CODES:
        raise r.error(f"{code!r} is reserved for the kiosk's own {code} capture", "code")
    min_pages = r.count("min_pages", 1, minimum=1)
    max_pages = r.count("max_pages", 10, minimum=1)
    if min_pages > max_pages:
        raise r.error(f"min_pages {min_pages} is more than max_pages {max_pages}", "min_pages")
    sides = r.count("sides", 1, minimum=None)
    if sides not in (1, 2):
        raise r.error(f"expected 1 or 2 (got {sides})", "sides")
    return Material(
        code=code,
        name=_required_text(r, "name"),
        required=r.boolean("required", None),
        deferrable=r.boolean("deferrable", False),
        min_pages=min_pages,
        max_pages=max_pages,
        sides=sides,
    )


def _commitment(r: _Reader) -> Commitment:
    r.check_keys(("version", "text"))
    version = r.text("version")
    return Commitment(version=version, text=_required_text(r, "text"))


def _eligibility(r: _Reader) -> Eligibility:
    r.check_keys(("min_age", "max_age", "id_types"))
    min_age = r.integer("min_age", None)
    max_age = r.integer("max_age", None)
    if min_age is not None and max_age is not None and min_age > max_age:
        raise r.error(f"min_age {min_age} is more than max_age {max_age}", "min_age")
    id_types: list[IdType] = []
    allowed = [t.value for t in IdType]
    for i, raw in enumerate(r.array("id_types", required=False)):
        if raw not in allowed:
            raise r.error(f"expected one of {', '.join(allowed)} (got {raw!r})", f"id_types[{i}]")
        id_types.append(IdType(raw))
    return Eligibility(min_age=min_age, max_age=max_age, id_types=tuple(dict.fromkeys(id_types)))


_ITEM_KEYS = (
    "code", "name", "aliases", "department", "category", "auth", "eligibility", "time_limit_days",
    "fee_fen", "delivery", "guide", "materials", "form", "commitment",
)


def _item(r: _Reader) -> CatalogItem:
    r.check_keys(_ITEM_KEYS)
    code = r.text("code")
    if not _CODE_RE.match(code):
        raise r.error("an item code is 1-64 of A-Z a-z 0-9 _ . - (no spaces)", "code")
    for key in ("name", "department", "auth", "time_limit_days", "materials", "form", "commitment"):
        r.required(key)
    aliases: list[str] = []
    for i, alias in enumerate(r.array("aliases", required=False)):
        if not isinstance(alias, str) or not alias.strip():
            raise r.error("expected a non-empty string", f"aliases[{i}]")
        aliases.append(alias.strip())
    delivery: list[Delivery] = []
    for i, raw in enumerate(r.array("delivery", required=False)):
        delivery.append(_enum_value(r, f"delivery[{i}]", Delivery, raw))
    auth = r.enum("auth", Auth)
    if not delivery and auth is not Auth.COUNTER_ONLY and "delivery" in r.data:
        raise r.error("an item residents can apply for needs at least one delivery method", "delivery")
    materials = r.each("materials", _material, required=True)
    _no_duplicates(r, "materials", [m.code for m in materials], "material code")
    form = r.each("form", _form_field, required=True)
    _no_duplicates(r, "form", [f.key for f in form], "form key")
    eligibility = _eligibility(e) if (e := r.child("eligibility")) else Eligibility()
    commitment = r.required_child("commitment")
    guide = r.child("guide")
    time_limit = r.count("time_limit_days", 0)  # presence checked above
    return CatalogItem(
        code=code,
        name=_required_text(r, "name"),
        department=_required_text(r, "department"),
        auth=auth,
        time_limit_days=time_limit,
        materials=materials,
        form=form,
        commitment=_commitment(commitment),
        aliases=tuple(dict.fromkeys(aliases)),
        category=(r.string("category", required=False) or UNCATEGORISED).strip(),
        eligibility=eligibility,
        fee_fen=r.count("fee_fen", 0),
        delivery=tuple(dict.fromkeys(delivery)) or (Delivery.PICKUP,),
        guide=_text(guide) if guide else None,
    )


def _no_duplicates(r: _Reader, key: str, values: list[str], what: str) -> None:
    if dupes := sorted({v for v in values if values.count(v) > 1}):
        raise r.error(f"duplicate {what}(s): {', '.join(dupes)}", key)


def parse_catalog(data: object, *, source: str | None = None) -> Catalog:
    """A `Catalog` from decoded JSON; `CatalogError` names the first problem's path."""
    r = _Reader(data, "", source)
    r.check_keys(("version", "rating_labels", "items"))
    version = r.text("version")
    items = r.each("items", _item, required=True)
    _no_duplicates(r, "items", [i.code for i in items], "item code")
    labels = r.each("rating_labels", _text, required=False)
    if "rating_labels" in r.data and len(labels) != 5:
        raise r.error(f"expected 5 labels from best to worst (got {len(labels)})", "rating_labels")
    return Catalog(version=version, items=items, rating_labels=labels or DEFAULT_RATING_LABELS)


def parse_catalog_bytes(raw: bytes, *, source: str | None = None) -> Catalog:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CatalogError("", "not UTF-8 text", source=source) from None
    except json.JSONDecodeError as exc:
        raise CatalogError("", f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                           source=source) from None
    return parse_catalog(data, source=source)


def load_catalog(path: Path) -> Catalog:
    """Read and validate a catalog file; `CatalogError` (a ValueError) if it is unusable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError("", f"cannot read ({exc.strerror})", source=str(path)) from None
    return parse_catalog_bytes(raw, source=str(path))


def catalog_cache_path(storage_dir: Path) -> Path:
    return storage_dir / CACHE_DIR / CACHE_FILE


def load_cached_catalog(storage_dir: Path) -> Catalog | None:
    """The catalog the sync engine last fetched, or None if none has been fetched.

    A cache that exists but does not parse raises `CatalogError`: that is a fault to
    surface (the writer replaces the file atomically), not a reason to pretend the
    terminal was never provisioned.
    """
    path = catalog_cache_path(storage_dir)
    if not path.exists():
        return None
    return load_catalog(path)


def cached_catalog_etag(storage_dir: Path) -> str | None:
    try:
        return (storage_dir / CACHE_DIR / ETAG_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def sample_catalog_bytes() -> bytes:
    """The bundled sample, byte for byte (the reference platform may serve it as is)."""
    return resources.files("kiosk.data").joinpath("sample_catalog.json").read_bytes()


@functools.lru_cache(maxsize=1)
def sample_catalog() -> Catalog:
    """The bundled sample catalog (Hainan/Haikou items named in the policy documents)."""
    return parse_catalog_bytes(sample_catalog_bytes(), source="kiosk/data/sample_catalog.json")
