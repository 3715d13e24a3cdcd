"""Hypothesis strategies for SAM frames and for identities of all four card types."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import strategies as st

from drivers.id_reader import codec
from drivers.id_reader.identity import Identity, IdType

# UCS-2 has no surrogates and nothing above U+FFFF (§1.7); cards pad with spaces and NULs.
_UCS2 = st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"], exclude_characters="\x00")
_LATIN = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


def field_text(max_chars: int, alphabet: st.SearchStrategy[str] = _UCS2) -> st.SearchStrategy[str]:
    """Text as a card field holds it: no leading or trailing padding, not empty."""
    return st.text(alphabet, min_size=1, max_size=max_chars).map(lambda s: s.strip(" \x00")).filter(bool)


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
genders = st.sampled_from(["male", "female", "unknown", "unspecified"])
photos = st.binary(min_size=codec.PHOTO_LEN, max_size=codec.PHOTO_LEN)
id_numbers = st.from_regex(r"\A[0-9]{17}[0-9X]\Z")


@st.composite
def residents(draw: st.DrawFn, id_type: IdType = IdType.RESIDENT) -> Identity:
    hmt = id_type is IdType.HMT_RESIDENCE
    return Identity(
        id_type=id_type,
        name=draw(field_text(15)),
        gender=draw(genders),
        nation=draw(st.none() | st.sampled_from(sorted(codec.NATIONS.values()))),
        birth_date=draw(dates),
        address=draw(st.none() | field_text(35)),
        id_number=draw(id_numbers),
        issuer=draw(st.none() | field_text(15)),
        valid_from=draw(st.none() | dates),
        valid_until=draw(st.none() | dates),
        photo_wlt=draw(photos),
        appended_address=draw(st.none() | field_text(35)),
        permit_number=draw(st.none() | st.from_regex(r"\A[A-Z0-9]{9}\Z")) if hmt else None,
        issue_count=draw(st.none() | st.integers(0, 99)) if hmt else None,
    )


@st.composite
def foreign_2017(draw: st.DrawFn) -> Identity:
    english = draw(st.none() | field_text(60, _LATIN))
    chinese = draw(st.none() | field_text(15)) if english else draw(field_text(15))
    return Identity(
        id_type=IdType.FOREIGN_PERMANENT,
        name=chinese or english or "",
        gender=draw(genders),
        birth_date=draw(dates),
        id_number=draw(st.from_regex(r"\A[A-Z]{3}[0-9]{12}\Z")),
        valid_from=draw(st.none() | dates),
        valid_until=draw(st.none() | dates),
        issuer=draw(st.none() | st.from_regex(r"\A[0-9]{4}\Z")),
        photo_wlt=draw(photos),
        english_name=english,
        nationality=draw(st.none() | st.from_regex(r"\A[A-Z]{3}\Z")),
        card_version="2017",
    )


@st.composite
def foreign_2023(draw: st.DrawFn) -> Identity:
    english = draw(st.none() | field_text(46, _LATIN))
    chinese = draw(st.none() | field_text(15)) if english else draw(field_text(15))
    return Identity(
        id_type=IdType.FOREIGN_PERMANENT,
        name=chinese or english or "",
        gender=draw(genders),
        birth_date=draw(dates),
        id_number=draw(st.from_regex(r"\A9[0-9]{16}[0-9X]\Z")),
        valid_from=draw(st.none() | dates),
        valid_until=draw(st.none() | dates),
        photo_wlt=draw(photos),
        issue_count=draw(st.none() | st.integers(0, 99)),
        english_name=english,
        nationality=draw(st.none() | st.from_regex(r"\A[A-Z]{3}\Z")),
        card_version="2023",
    )


any_identity = st.one_of(residents(), residents(IdType.HMT_RESIDENCE), foreign_2017(), foreign_2023())

statuses = st.one_of(st.sampled_from(list(codec.Status)), st.integers(0, 255).map(codec.status_of))
replies = st.builds(
    codec.Reply,
    sw1=st.integers(0, 255),
    sw2=st.integers(0, 255),
    status=statuses,
    data=st.binary(max_size=1400),
)
# Line noise between frames: anything but a whole preamble (that would be a frame).
garbage = st.binary(max_size=64).filter(lambda b: codec.PREAMBLE not in b)


def encode(reply: codec.Reply) -> bytes:
    return codec.encode_reply(reply.status, reply.data, sw1=reply.sw1, sw2=reply.sw2)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given positions (any order, duplicates allowed)."""
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]
