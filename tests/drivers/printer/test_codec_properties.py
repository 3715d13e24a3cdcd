"""Properties of the text path: width never exceeds the line, and what the encoder
writes is what our independent decoder reads back."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer.codec import (
    REPLACEMENT,
    Align,
    EscPos,
    char_columns,
    encode_text,
    sanitize,
    text_columns,
    wrap,
)
from drivers.printer.decoder import EscPosParser, decode_text

# Hanzi (common and Extension A), ASCII, full-width punctuation, symbols GBK lacks,
# Extension B, spaces and newlines: the mix a receipt's user data can hold.
_chars = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
    st.sampled_from(list("，。、：；！？（）《》“”【】—…·￥¥①℃䶮𠀀𠀁™\u00a0\t")),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)
texts = st.text(_chars, max_size=120)
encodings = st.sampled_from(["gbk", "gb18030"])


@given(texts, st.integers(min_value=2, max_value=96), encodings)
def test_wrapped_lines_never_exceed_the_width_and_keep_every_character(text: str, width: int, encoding: str) -> None:
    clean, _ = sanitize(text, encoding)
    lines = wrap(clean, width)
    assert all(text_columns(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == clean.replace("\n", "").replace(" ", "")


@settings(max_examples=150)
@given(texts, st.integers(min_value=16, max_value=96), st.integers(min_value=1, max_value=3), encodings,
       st.sampled_from(list(Align)))
def test_printed_lines_fit_the_paper_at_any_size(text: str, columns: int, size: int, encoding: str,
                                                  where: Align) -> None:
    p = EscPos(encoding=encoding, columns=columns).init().align(where).size(size, size)
    p.text(text)
    printed = decode_text(p.build().data, encoding)
    for line in printed.split("\n"):
        assert text_columns(line) * size <= columns


@given(texts, encodings)
def test_encode_then_decode_gives_the_printable_text(text: str, encoding: str) -> None:
    clean, replaced = sanitize(text.replace("\n", " "), encoding)
    assert decode_text(encode_text(text.replace("\n", " "), encoding).data, encoding) == clean
    assert clean.count(REPLACEMENT) >= len(replaced)


@given(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
               | st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60), encodings)
def test_text_every_gb_printer_has_is_never_replaced(text: str, encoding: str) -> None:
    # All of U+4E00–U+9FA5 is in GBK (and so in GB18030).
    assert sanitize(text, encoding) == (text, ())


@given(st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn", "Cf")))
def test_width_agrees_with_east_asian_width(ch: str) -> None:
    clean, _ = sanitize(ch, "gb18030")
    for c in clean:
        if c < "\x80":
            assert char_columns(c) == 1
        elif unicodedata.east_asian_width(c) in ("W", "F"):
            assert char_columns(c) == 2


@given(texts, st.lists(st.integers(min_value=1, max_value=40), max_size=30), encodings)
def test_decoder_gives_the_same_commands_in_any_chunking(text: str, cuts: list[int], encoding: str) -> None:
    p = EscPos(encoding=encoding).init().bold().text(text).qr("T0001-261123-0427D").code128("ABC-123").cut()
    data = p.build().data
    whole = EscPosParser(encoding).feed(data)
    parser = EscPosParser(encoding)
    pieces = []
    pos = 0
    for cut in [*cuts, len(data)]:
        pieces += parser.feed(data[pos:pos + cut])
        pos += cut
    assert parser.pending == 0
    # Text runs may split at chunk boundaries; everything else must be identical.
    assert [c for c in pieces if type(c).__name__ != "Text"] == [c for c in whole if type(c).__name__ != "Text"]
    assert decode_text(data, encoding) == "".join(getattr(c, "text", "\n" if type(c).__name__ == "LineFeed" else "")
                                                  for c in pieces)
