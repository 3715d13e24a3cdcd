"""Small and rotated codes on 13 MP stills; a wrong payload is never returned."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.camera import synth
from drivers.camera.barcodes import BarcodeDecoder, Code, _Read, _resolve


@pytest.fixture(scope="module")
def frames() -> list[synth.SynthFrame]:
    # QR alone, Code 128 alone, both; on A4 pages and receipts; any angle.
    return [synth.barcode_frame(i) for i in range(6)]


def test_small_and_rotated_codes_are_read_on_13mp_stills(frames: list[synth.SynthFrame]) -> None:
    dec = BarcodeDecoder()
    complete = 0
    for f in frames:
        got = {(c.format, c.text) for c in dec.decode(f.image)}
        want = set(f.codes)
        assert got <= want, f"wrong payload on frame {f.seed}: {got - want}"
        complete += want <= got
    assert complete >= 5


def test_a_page_of_text_yields_no_codes() -> None:
    dec = BarcodeDecoder()
    for seed in range(3):
        f = synth.make_frame(seed, scene="page", doc="a4", hard=False, size=(2104, 1560))
        assert dec.decode(f.image) == []


def test_two_readings_of_one_symbol_that_disagree_report_nothing() -> None:
    box = np.array([[0, 0], [100, 0], [100, 30], [0, 30]], float)
    reads = [_Read("Code128", "SB123", box, "zxing", 1), _Read("Code128", "SB7,x", box + 2, "zxing", 1)]
    assert _resolve(reads) == []


def test_a_reading_confirmed_by_another_image_wins_a_disagreement() -> None:
    box = np.array([[0, 0], [100, 0], [100, 30], [0, 30]], float)
    reads = [
        _Read("Code128", "SB123", box, "zxing", 1),
        _Read("Code128", "SB7,x", box, "zxing", 1),
        _Read("Code128", "SB123", box, "pyzbar", -1),
    ]
    out = _resolve(reads)
    assert [(c.format, c.text) for c in out] == [("Code128", "SB123")]


def test_codes_do_not_show_their_payload_in_repr() -> None:
    c = Code("QRCode", "身份证号 110101199003071234")
    assert "1101" not in repr(c)
