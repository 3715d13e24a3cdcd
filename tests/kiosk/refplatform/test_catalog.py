"""The catalog: conditional GET, which file is served, a broken file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from kiosk.refplatform.catalog import FALLBACK_CATALOG, SAMPLE_CATALOG, CatalogError, load_catalog
from kiosk.refplatform.server import RunningPlatform, start_in_thread
from tests.kiosk.refplatform.builders import Terminal


def test_current_copy_gets_304_and_a_stale_one_the_catalog(terminal: Terminal) -> None:
    first = terminal.client.get("/v1/catalog")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    cached = terminal.client.get("/v1/catalog", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["ETag"] == etag
    assert terminal.client.get("/v1/catalog", headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    stale = terminal.client.get("/v1/catalog", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    assert stale.json()["version"] == "refplatform-fallback-1"


def test_served_catalog_is_the_file_as_json(terminal: Terminal) -> None:
    served = terminal.client.get("/v1/catalog").json()
    assert served == json.loads(FALLBACK_CATALOG.read_text(encoding="utf-8"))


def test_catalog_option_serves_another_file_with_another_etag(tmp_path: Path, terminal: Terminal) -> None:
    document = json.loads(FALLBACK_CATALOG.read_text(encoding="utf-8"))
    document["version"] = "custom-7"
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with start_in_thread(tmp_path / "other", catalog_path=custom) as other:
        token = other.enroll()[1]
        response = httpx.get(f"{other.url}/v1/catalog", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["version"] == "custom-7"
    assert response.headers["ETag"] != terminal.client.get("/v1/catalog").headers["ETag"]


def test_default_catalog_is_the_sample_when_it_exists(tmp_path: Path) -> None:
    with start_in_thread(tmp_path / "default") as running:
        expected = SAMPLE_CATALOG if SAMPLE_CATALOG.is_file() else FALLBACK_CATALOG
        assert running.platform.catalog.source == expected


@pytest.mark.skipif(not SAMPLE_CATALOG.is_file(), reason="kiosk/data/sample_catalog.json not written yet")
def test_sample_catalog_fits_the_spec_shape() -> None:
    catalog = load_catalog(SAMPLE_CATALOG)
    assert len(catalog.document["items"]) >= 10


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ('{"version": "1"}', "items must be a list"),
    ('{"version": "1", "items": [{"code": "A"}]}', "lacks name"),
])
def test_broken_catalog_file_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_catalog(path)


def test_missing_catalog_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "absent.json")


def test_catalog_etag_is_stable_across_restarts(tmp_path: Path, platform: RunningPlatform) -> None:
    assert load_catalog(FALLBACK_CATALOG).etag == platform.catalog_etag
