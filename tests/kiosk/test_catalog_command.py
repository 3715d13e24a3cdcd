"""`kiosk catalog list`: what a technician sees before and after provisioning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.catalog import catalog_cache_path, sample_catalog, sample_catalog_bytes
from kiosk.cli import main


def site_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(f'[platform]\nurl = "{url}"\n\n[storage]\ndir = "{tmp_path / "storage"}"\n', encoding="utf-8")
    return path


def write_cache(tmp_path: Path, text: str) -> None:
    cache = catalog_cache_path(tmp_path / "storage")
    cache.parent.mkdir(parents=True)
    cache.write_text(text, encoding="utf-8")


def test_unprovisioned_terminal_says_to_provision_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site_config(tmp_path, "https://zwfw.example.gov.cn")
    assert main(["--config", str(config), "catalog", "list"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "kiosk provision" in err and "kiosk sync" in err and "目录" in err


def test_development_setup_falls_back_to_the_sample_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site_config(tmp_path, "http://127.0.0.1:8765")
    assert main(["--config", str(config), "catalog", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    listing = json.loads(out)
    assert listing["source"] == "sample"
    assert listing["version"] == sample_catalog().version
    assert "sample" in err and len(err.strip().splitlines()) == 1


def test_json_lists_codes_auth_materials_and_form_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(tmp_path, sample_catalog_bytes().decode("utf-8"))
    config = site_config(tmp_path, "https://zwfw.example.gov.cn")
    assert main(["--config", str(config), "catalog", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    listing = json.loads(out)
    assert listing["source"] == "cache"
    by_code = {item["code"]: item for item in listing["items"]}
    hk = by_code["4601001010100301"]
    assert hk["auth"] == "id_card_and_face"
    assert hk["name"]["zh"] == "往来港澳通行证签注"
    assert hk["material_codes"] == ["permit", "relative_proof"]
    assert hk["required_material_codes"] == ["permit"]
    assert "phone" in hk["form_keys"]
    assert by_code["4601001040100100"]["deferrable_material_codes"] == ["premises_proof"]


def test_text_listing_shows_every_item(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(tmp_path, sample_catalog_bytes().decode("utf-8"))
    config = site_config(tmp_path, "https://zwfw.example.gov.cn")
    assert main(["--config", str(config), "catalog", "list"]) == 0
    out = capsys.readouterr().out
    for item in sample_catalog():
        assert item.code in out


def test_corrupt_cache_is_one_line_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(tmp_path, '{"version": "1", "items": [{"code": "x"}]}')
    config = site_config(tmp_path, "http://127.0.0.1:8765")
    assert main(["--config", str(config), "catalog", "list"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "items[0]" in err and "kiosk sync" in err
    assert "Traceback" not in err
