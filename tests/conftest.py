"""Hermetic tests: a fresh storage dir and config per test, Qt offscreen, no leaked
simulators. Fixtures shared by every package live here; the rest beside their tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kiosk.config import Config


@pytest.fixture(autouse=True)
def _hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    from drivers import sim

    before = dict(sim._simulators)
    yield
    sim._simulators.clear()
    sim._simulators.update(before)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Built-in defaults (everything simulated) with storage in the test's tmp dir."""
    return Config().with_storage(tmp_path / "storage")
