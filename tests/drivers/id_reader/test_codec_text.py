"""Card text ↔ Identity for the four card types (hardware-protocols.md §1.7, §1.8)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.id_reader import codec
from drivers.id_reader.identity import Identity, IdType
from drivers.id_reader.idnumber import is_valid_id_number
from drivers.id_reader.sim import CARD_TYPE_SAMPLES, SAMPLE_CARDS
from tests.drivers.id_reader.strategies import any_identity, chunked, foreign_2017, foreign_2023, residents


def round_trip(identity: Identity) -> Identity:
    text = codec.encode_identity_text(identity)
    assert len(text) == codec.TEXT_LEN
    appended = None
    if identity.appended_address is not None:
        appended = codec.decode_appended_address(codec.encode_appended_address(identity.appended_address))
    return codec.decode_identity(text, identity.photo_wlt, appended_address=appended)


@given(residents())
def test_resident_card_round_trip(identity: Identity) -> None:
    assert round_trip(identity) == identity


@given(residents(IdType.HMT_RESIDENCE))
def test_hmt_residence_permit_round_trip(identity: Identity) -> None:
    assert round_trip(identity) == identity


@given(foreign_2017())
def test_foreign_permanent_2017_round_trip(identity: Identity) -> None:
    assert round_trip(identity) == identity


@given(foreign_2023())
def test_foreign_permanent_2023_round_trip(identity: Identity) -> None:
    assert round_trip(identity) == identity


@given(any_identity, st.lists(st.integers(0, 2000), max_size=30))
def test_a_whole_read_reply_in_any_chunking_decodes_to_the_card(identity: Identity, cuts: list[int]) -> None:
    payload = codec.encode_card_payload(codec.encode_identity_text(identity), identity.photo_wlt)
    frame = codec.encode_reply(codec.Status.SUCCESS, payload)
    framer = codec.ReplyFramer()
    got = [r for chunk in chunked(frame, cuts) for r in framer.feed(chunk)]
    assert len(got) == 1
    blocks = codec.parse_card_payload(got[0].data)
    decoded = codec.decode_identity(blocks.text, blocks.photo, appended_address=identity.appended_address)
    assert decoded == identity


@pytest.mark.parametrize("name", sorted(SAMPLE_CARDS))
def test_sample_cards_round_trip_and_carry_valid_numbers(name: str) -> None:
    card = SAMPLE_CARDS[name]
    assert round_trip(card) == card
    if card.id_type is not IdType.FOREIGN_PERMANENT or card.card_version == "2023":
        assert is_valid_id_number(card.id_number)


def test_the_four_card_types_are_told_apart_by_the_flag_at_byte_248() -> None:
    kinds = [codec.card_type_of(codec.encode_identity_text(SAMPLE_CARDS[n])) for n in CARD_TYPE_SAMPLES]
    assert kinds == [codec.CardType.RESIDENT, codec.CardType.HMT_RESIDENCE,
                     codec.CardType.FOREIGN_2017, codec.CardType.FOREIGN_2023]


def _text(**fields: tuple[int, str]) -> bytes:
    """A resident text block with the given (offset, value) fields, the rest spaces."""
    block = bytearray(" ".encode("utf-16-le") * 128)
    for offset, value in fields.values():
        raw = value.encode("utf-16-le")
        block[offset : offset + len(raw)] = raw
    return bytes(block)


RESIDENT = {
    "name": (0, "张三"), "gender": (30, "1"), "nation": (32, "01"), "birth": (36, "19900131"),
    "address": (52, "海南省海口市"), "id": (122, "460108199001310012"), "issuer": (158, "海口市公安局"),
    "from": (188, "20150301"), "until": (204, "20350301"),
}


def test_resident_fields_at_their_offsets() -> None:
    identity = codec.decode_identity(_text(**RESIDENT))
    assert identity.id_type is IdType.RESIDENT
    assert (identity.name, identity.gender, identity.nation) == ("张三", "male", "汉")
    assert identity.birth_date == dt.date(1990, 1, 31)
    assert identity.address == "海南省海口市"
    assert identity.id_number == "460108199001310012"
    assert identity.issuer == "海口市公安局"
    assert (identity.valid_from, identity.valid_until) == (dt.date(2015, 3, 1), dt.date(2035, 3, 1))


def test_long_term_card_has_no_end_date() -> None:
    identity = codec.decode_identity(_text(**{**RESIDENT, "until": (204, "长期")}))
    assert identity.valid_until is None
    assert identity.to_json()["valid_until"] == "长期"
    assert not identity.expired_on(dt.date(2099, 1, 1))


def test_padding_with_nuls_is_stripped_and_blank_fields_are_none() -> None:
    text = bytearray(_text(**{k: v for k, v in RESIDENT.items() if k not in ("address", "issuer")}))
    text[52:122] = bytes(70)  # an address of NULs
    identity = codec.decode_identity(bytes(text))
    assert identity.address is None
    assert identity.issuer is None
    assert identity.to_json()["address"] is None


def test_nation_codes_follow_gb3304_and_unknown_codes_stay_digits() -> None:
    assert codec.NATIONS["46"] == "德昂"  # not Heiher's 德昴 (§1.7)
    assert codec.NATIONS["97"] == "其他" and codec.NATIONS["98"] == "外国血统中国籍人士"
    assert len(codec.NATIONS) == 58
    identity = codec.decode_identity(_text(**{**RESIDENT, "nation": (32, "99")}))
    assert identity.nation == "99"


def test_a_blank_end_date_is_an_error_not_long_term() -> None:
    with pytest.raises(codec.CardDataError) as caught:
        codec.decode_identity(_text(**{k: v for k, v in RESIDENT.items() if k != "until"}))
    assert caught.value.field_name == "valid_until"


@pytest.mark.parametrize(("field", "value", "name"), [
    ("birth", (36, "19901331"), "birth_date"),
    ("gender", (30, "7"), "gender"),
    ("from", (188, "2015030x"), "valid_from"),
])
def test_malformed_fields_name_the_field_but_not_the_value(field: str, value: tuple[int, str], name: str) -> None:
    with pytest.raises(codec.CardDataError) as caught:
        codec.decode_identity(_text(**{**RESIDENT, field: value}))
    assert caught.value.field_name == name
    assert "460108199001310012" not in str(caught.value)
    assert "张三" not in str(caught.value)


def test_unknown_card_type_flag() -> None:
    text = _text(**RESIDENT, flag=(248, "Z"))
    assert codec.card_type_of(text) is None
    with pytest.raises(codec.CardDataError, match="card_type"):
        codec.decode_identity(text)


def test_hmt_permit_fields() -> None:
    text = _text(**RESIDENT, permit=(220, "H60123456"), count=(238, "03"), flag=(248, "J"))
    identity = codec.decode_identity(text)
    assert identity.id_type is IdType.HMT_RESIDENCE
    assert (identity.permit_number, identity.issue_count) == ("H60123456", 3)
    assert set(identity.to_json()) >= {"permit_number", "issue_count"}


def test_foreign_2023_english_name_is_joined_across_its_two_fields() -> None:
    english = "A" * 34 + " BCDEFG"  # the 35th character is the space at the seam
    card = SAMPLE_CARDS["foreign_2023"]
    text = codec.encode_identity_text(Identity(**{**card.__dict__, "english_name": english}))
    assert codec.decode_identity(text).english_name == english


def test_foreign_2017_without_a_chinese_name_uses_the_english_one() -> None:
    card = SAMPLE_CARDS["foreign_2017"]
    text = bytearray(codec.encode_identity_text(card))
    text[158:188] = " ".encode("utf-16-le") * 15
    identity = codec.decode_identity(bytes(text))
    assert identity.name == identity.english_name == "MUSTERMANN, ERIKA"


def test_repr_of_identity_and_payload_shows_no_card_data() -> None:
    card = SAMPLE_CARDS["resident"]
    payload = codec.parse_card_payload(codec.encode_card_payload(codec.encode_identity_text(card), card.photo_wlt))
    reply = codec.Reply(0, 0, codec.Status.SUCCESS, codec.encode_card_payload(payload.text, payload.photo))
    for text in (repr(card), repr(payload), repr(reply)):
        assert card.name not in text and card.id_number not in text
