"""`kiosk tour` with the full application scenario (INTERFACES.md §4) against the
reference platform: every step passes on the real screens, a PNG per screen, and the
summary carries the submission id, receipt number and the platform's case number."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.config import Config
from offline_queue.receipt_no import is_receipt_no
from screens.tour import run_tour

TOURS = Path(__file__).resolve().parents[2] / "tours"


def test_full_application_tour(qapp, provisioned: Config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "tour"
    assert run_tour(provisioned, TOURS / "full_application.json", out) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert all(step["ok"] for step in summary["steps"])
    assert [s["do"] for s in summary["steps"]][-3:] == ["rate", "query_progress", "end"]
    assert is_receipt_no(summary["receipt_no"]) and summary["submission_id"] and summary["case_no"]
    shots = sorted(p.name for p in out.glob("*.png"))
    assert len(shots) == summary["screenshots"] >= 20
    for screen in ("identity", "guide", "commitment", "form", "capture", "review", "receipt", "rate", "progress"):
        assert any(screen in name for name in shots), screen
