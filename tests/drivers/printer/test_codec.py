"""Golden bytes of the encoder, checked against hardware-protocols.md §2."""

from __future__ import annotations

import pytest

from drivers.printer import codec
from drivers.printer.codec import Align, EscPos, Hri, encode_text, sanitize, text_columns, wrap
from drivers.printer.decoder import EscPosParser, QrStore, decode_text


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace("|", " "))


# -- commands -------------------------------------------------------------------------------


def test_init_selects_chinese_mode_after_reset() -> None:
    assert codec.init() == h("1b 40 1c 26")  # ESC @, FS & (§2.1, §2.2)
    assert codec.chinese_mode(True) == h("1c 26")
    assert codec.chinese_mode(False) == h("1c 2e")


@pytest.mark.parametrize(("w", "hh", "expected"), [(1, 1, "1d 21 00"), (2, 2, "1d 21 11"), (1, 2, "1d 21 01"),
                                                    (2, 1, "1d 21 10"), (8, 8, "1d 21 77")])
def test_character_size_uses_gs_bang(w: int, hh: int, expected: str) -> None:
    assert codec.char_size(w, hh) == h(expected)


def test_size_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        codec.char_size(9, 1)


def test_bold_align_feed_underline() -> None:
    assert codec.bold(True) == h("1b 45 01")
    assert codec.bold(False) == h("1b 45 00")
    assert codec.align(Align.CENTER) == h("1b 61 01")
    assert codec.align(Align.RIGHT) == h("1b 61 02")
    assert codec.feed_lines(3) == h("1b 64 03")
    assert codec.underline(1) == h("1b 2d 01")


def test_cut_feeds_to_the_cutter_then_cuts() -> None:
    assert codec.cut() == h("1d 56 42 00")  # m = 66: feed, partial cut (§2.1)
    assert codec.cut(full=True, feed=3) == h("1d 56 41 03")


def test_native_qr_matches_the_verified_python_escpos_bytes() -> None:
    # §2.3: python-escpos qr("办事指南", native=True) with its defaults (size 3, EC L).
    data = "办事指南".encode()
    expected = (h("1d 28 6b 04 00 31 41 32 00") + h("1d 28 6b 03 00 31 43 03") + h("1d 28 6b 03 00 31 45 30")
                + h("1d 28 6b 0f 00 31 50 30") + data + h("1d 28 6b 03 00 31 51 30"))
    assert codec.qr("办事指南", module_size=3, ec="L") == expected


def test_qr_store_length_fields_count_data_plus_three() -> None:
    payload = "A" * 300  # 303 = 0x012F → pL 2F, pH 01
    out = codec.qr(payload, module_size=6, ec="M")
    store = out.index(h("1d 28 6b 2f 01 31 50 30"))
    assert out[store + 8:store + 8 + 300] == payload.encode()
    assert h("1d 28 6b 03 00 31 45 31") in out  # error correction M = 49
    assert h("1d 28 6b 03 00 31 43 06") in out  # module size 6


def test_qr_length_limits() -> None:
    codec.qr("x" * 7089)  # pL + pH·256 = 7092, the maximum
    with pytest.raises(ValueError):
        codec.qr("x" * 7090)
    with pytest.raises(ValueError):
        codec.qr("")
    with pytest.raises(ValueError):
        codec.qr("bad\x10\x04\x01")  # a DLE EOT inside the data would be executed (§2.5)


def test_code128_function_b_with_code_set_b() -> None:
    out = codec.code128("123ABC", height=64, module_width=3, hri=Hri.BELOW)
    # §2.4: the verified python-escpos GS k bytes for "{B123ABC".
    assert out.endswith(h("1d 6b 49 08 7b 42 31 32 33 41 42 43"))
    assert out.startswith(h("1d 68 40 1d 77 03 1d 48 02 1d 66 00"))


def test_code128_escapes_a_literal_brace() -> None:
    assert codec.code128("a{b").endswith(h("1d 6b 49 06") + b"{Ba{{b")
    with pytest.raises(ValueError):
        codec.code128("中文")


def test_status_request_and_recover_bytes() -> None:
    assert [codec.status_request(n) for n in (1, 2, 3, 4)] == [h("10 04 01"), h("10 04 02"), h("10 04 03"), h("10 04 04")]
    assert codec.recover(2) == h("10 05 02")
    assert codec.sequential_paper_status() == h("1d 72 01")
    assert codec.automatic_status_back(0x0F) == h("1d 61 0f")


# -- Chinese text ---------------------------------------------------------------------------


def test_gbk_bytes_of_a_known_string() -> None:
    # §2.6: "姓名：张三" → d0 d5 c3 fb a3 ba d5 c5 c8 fd
    assert encode_text("姓名：张三", "gbk").data == h("d0 d5 c3 fb a3 ba d5 c5 c8 fd")


def test_chinese_punctuation_alone_is_not_question_marks() -> None:
    # python-escpos prints "：，。" without a Hanzi as "???" (§2.6).
    assert encode_text("：，。", "gbk").data == h("a3 ba a3 ac a1 a3")
    assert encode_text("“”（）《》、", "gbk").data == h("a1 b0 a1 b1 a3 a8 a3 a9 a1 b6 a1 b7 a1 a2")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_yen_sign_prints_as_the_two_byte_fullwidth_yen(encoding: str) -> None:
    # "¥" is 81 30 84 36 in GB18030 and garbage on GBK printers (§2.2, node-escpos #332).
    encoded = encode_text("¥12.00", encoding)
    assert encoded.data == h("a3 a4") + b"12.00"
    assert encoded.replaced == ()
    assert h("81 30 84 36") not in encoded.data


def test_extension_a_hanzi_is_replaced_visibly_on_gbk_and_printed_on_gb18030() -> None:
    gbk = encode_text("王䶮", "gbk")
    assert gbk.data == h("cd f5 a1 f5")  # 王 then □ (A1 F5), never "?"
    assert gbk.replaced == ("䶮",)
    gb18030 = encode_text("王䶮", "gb18030")
    assert gb18030.data == h("cd f5 fe 9f")
    assert gb18030.replaced == ()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_extension_b_hanzi_is_replaced_visibly(encoding: str) -> None:
    encoded = encode_text("李𠀀", encoding)
    assert encoded.data.endswith(h("a1 f5"))
    assert encoded.replaced == ("𠀀",)
    assert b"?" not in encoded.data


def test_control_bytes_in_text_cannot_become_commands() -> None:
    encoded = encode_text("A\x1b@B\x10\x04\x01C", "gbk")
    assert b"\x1b" not in encoded.data and b"\x10" not in encoded.data
    assert encoded.replaced == ("\x1b", "\x10", "\x04", "\x01")


def test_invisible_format_characters_are_dropped_and_tabs_become_spaces() -> None:
    assert sanitize("a\u200bb\tc\ufeff", "gbk") == ("ab c", ())


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_text("x", "utf-8")


# -- width and wrapping ------------------------------------------------------------------------


def test_hanzi_and_fullwidth_punctuation_take_two_columns() -> None:
    assert text_columns("ab") == 2
    assert text_columns("中文") == 4
    assert text_columns("，。·①") == 8  # GB double-byte codes print in the Hanzi cell
    assert text_columns("T0001-261123-0427D") == 18


def test_long_item_name_wraps_within_the_line() -> None:
    name = "不动产登记（国有建设用地使用权及房屋所有权首次登记、转移登记、变更登记、注销登记）"
    lines = wrap(name, 20)
    assert all(text_columns(line) <= 20 for line in lines)
    assert "".join(lines) == name


def test_latin_words_are_not_split_and_long_ones_are() -> None:
    assert wrap("hello world again", 11) == ["hello world", "again"]
    assert wrap("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_closing_punctuation_does_not_start_a_line() -> None:
    lines = wrap("一二三四五，六七", 10)
    assert not lines[1].startswith("，")
    assert all(text_columns(line) <= 10 for line in lines)
    assert "".join(lines) == "一二三四五，六七"


def test_builder_wraps_at_the_width_of_the_current_size() -> None:
    p = EscPos(columns=32)
    p.size(2, 2).text("回执编号回执编号回执编号")  # 24 columns of Hanzi at ×2 → 16 per line
    lines = [line for line in decode_text(p.build().data).split("\n") if line]
    assert lines == ["回执编号回执编号", "回执编号"]


def test_label_value_hangs_the_value_beside_its_label() -> None:
    p = EscPos(columns=32)
    p.label_value("地址", "海南省海口市龙华区滨海大道一二三号", label_columns=6)
    lines = decode_text(p.build().data).split("\n")[:-1]
    assert lines[0].startswith("地址  海南省")
    assert all(line.startswith("      ") for line in lines[1:])
    assert all(text_columns(line) <= 32 for line in lines)


def test_job_reports_replaced_characters_but_not_in_its_repr() -> None:
    p = EscPos(encoding="gbk")
    p.text("申请人：䶮*明")
    job = p.build()
    assert job.replaced == ("䶮",)
    assert "䶮" not in repr(job)


def test_qr_in_a_built_job_parses_back_with_its_declared_length() -> None:
    p = EscPos().align(Align.CENTER).qr("T0001-261123-0427D")
    stores = [c for c in EscPosParser().feed(p.build().data) if isinstance(c, QrStore)]
    assert [(s.data, s.declared_length) for s in stores] == [(b"T0001-261123-0427D", 21)]
