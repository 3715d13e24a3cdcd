"""`kiosk platform serve` and `kiosk platform enroll-code` as a technician runs them."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kiosk.cli import main
from kiosk.refplatform.catalog import FALLBACK_CATALOG
from kiosk.refplatform.server import start_in_thread


def test_enroll_code_printed_while_the_server_runs_enrolls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "platform"
    with start_in_thread(data, catalog_path=FALLBACK_CATALOG) as running:
        assert main(["platform", "enroll-code", "--data", str(data)]) == 0
        code = capsys.readouterr().out.strip()
        assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code)
        response = httpx.post(f"{running.url}/v1/terminals/enroll",
                              json={"enrollment_code": code, "hall_code": "H", "terminal_name": "n"})
        assert response.status_code == 201


def test_enroll_code_with_a_nonsense_validity_is_one_line_and_exit_2(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["platform", "enroll-code", "--data", str(tmp_path), "--valid-hours", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_enroll_code_defaults_to_the_xdg_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["platform", "enroll-code"]) == 0  # conftest points XDG_DATA_HOME into tmp_path
    assert (tmp_path / "xdg-data" / "kiosk-platform" / "platform.db").is_file()


def test_serve_with_a_broken_catalog_is_one_line_and_exit_2(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "catalog.json"
    broken.write_text("{", encoding="utf-8")
    assert main(["platform", "serve", "--port", "0", "--data", str(tmp_path / "d"), "--catalog", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "not valid JSON" in err and "Traceback" not in err


def test_serve_on_a_port_in_use_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with start_in_thread(tmp_path / "a", catalog_path=FALLBACK_CATALOG) as running:
        code = main(["platform", "serve", "--port", str(running.port), "--data", str(tmp_path / "b")])
    assert code == 1
    assert "cannot listen" in capsys.readouterr().err


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_its_urls_and_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "platform", "serve", "--port", "0", "--data", str(tmp_path / "d"),
         "--catalog", str(FALLBACK_CATALOG)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+)", first)
        assert url, first
        console = process.stdout.readline()
        assert f"{url.group(1)}/console" in console
        assert httpx.get(f"{url.group(1)}/console", timeout=5).status_code == 200
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err
