"""`kiosk scan …` on files, as operators' scripts call it (INTERFACES.md §1, §3)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from drivers.camera import synth
from kiosk.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("scan")
    page = synth.make_frame(3, scene="page", doc="a4", hard=False, size=(2104, 1560))
    empty = synth.make_frame(4, scene="empty", size=(2104, 1560))
    code = synth.barcode_frame(0)
    out = {"page": d / "page.jpg", "empty": d / "empty.png", "code": d / "code.jpg", "bad": d / "bad.jpg",
           "missing": d / "missing.jpg"}
    cv2.imwrite(str(out["page"]), page.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    cv2.imwrite(str(out["empty"]), empty.image)
    cv2.imwrite(str(out["code"]), code.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    out["bad"].write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (d / "page.quad.json").write_text(json.dumps(page.quads[0].tolist()))
    (d / "code.codes.json").write_text(json.dumps(code.codes))
    return out


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    out = capsys.readouterr().out
    return [json.loads(x) for x in out.splitlines() if x.strip()]


def test_detect_prints_one_line_per_image(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["scan", "detect", "--json", str(files["page"]), str(files["empty"])])
    assert rc == 0
    page, empty = lines(capsys)
    assert set(page) == {"file", "quad", "ms"}
    assert page["file"] == str(files["page"])
    quad = page["quad"]
    assert isinstance(quad, list) and len(quad) == 4 and all(len(p) == 2 for p in quad)
    assert isinstance(page["ms"], float)
    assert empty["quad"] is None


def test_corrupt_and_missing_files_get_their_line_and_exit_nonzero(
        files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["scan", "detect", "--json", str(files["bad"]), str(files["missing"]), str(files["page"])])
    assert rc == 1
    bad, missing, page = lines(capsys)
    assert bad["quad"] is None and "error" in bad
    assert missing["quad"] is None and "error" in missing
    assert page["quad"] is not None
    rc = main(["scan", "decode", "--json", str(files["bad"])])
    assert rc == 1
    (bad,) = lines(capsys)
    assert bad["codes"] == [] and "error" in bad


def test_decode_prints_format_and_text(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["scan", "decode", "--json", str(files["code"])])
    assert rc == 0
    (line,) = lines(capsys)
    assert set(line) == {"file", "codes", "ms"}
    want = {tuple(c) for c in json.loads((files["code"].parent / "code.codes.json").read_text())}
    got = {(c["format"], c["text"]) for c in line["codes"]}  # type: ignore[union-attr]
    assert got == want


def test_pdf_from_images(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "material.pdf"
    rc = main(["scan", "pdf", str(files["page"]), "-o", str(out), "--gray"])
    assert rc == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert out.stat().st_size < 450_000
    rc = main(["scan", "pdf", str(files["empty"]), "-o", str(tmp_path / "none.pdf")])
    assert rc == 1
    assert not (tmp_path / "none.pdf").exists()
