"""Logs rotate within their cap, a full disk never raises into the kiosk, the technician
screen's tail and the USB export work and hold nothing personal."""

from __future__ import annotations

import datetime as dt
import errno
import logging
import stat
import tarfile
from pathlib import Path

from kiosk.logs import export_logs, recent_lines, setup_logging
from tests.fakes import CANARY_ID_NUMBER


def test_logs_rotate_and_stay_under_their_cap(tmp_path: Path) -> None:
    setup = setup_logging(tmp_path, max_bytes=4096, backups=3)
    try:
        log = logging.getLogger("kiosk.soak")
        for i in range(2000):
            log.info("visit %05d ended (idle) %s", i, "x" * 40)
        setup.handler.flush()
    finally:
        setup.close()
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["kiosk.log", "kiosk.log.1", "kiosk.log.2", "kiosk.log.3"]
    total = sum(p.stat().st_size for p in (tmp_path / "logs").iterdir())
    assert total <= 4 * 4096 + 200
    assert recent_lines(tmp_path, 1)[0].endswith("visit 01999 ended (idle) " + "x" * 40)


def test_a_full_disk_drops_lines_and_never_raises(tmp_path: Path) -> None:
    setup = setup_logging(tmp_path)
    try:
        class FullStream:
            def write(self, text: str) -> int:
                raise OSError(errno.ENOSPC, "No space left on device")

            def flush(self) -> None:
                raise OSError(errno.ENOSPC, "No space left on device")

            def close(self) -> None:
                pass

        logging.getLogger("kiosk.x").info("first")
        setup.handler.stream = FullStream()  # type: ignore[assignment]
        logging.getLogger("kiosk.x").info("lost")  # must not raise
        assert setup.handler.dropped >= 1
        logging.getLogger("kiosk.x").info("after space was freed")
        setup.handler.flush()
    finally:
        setup.close()
    text = (tmp_path / "logs" / "kiosk.log").read_text()
    assert "first" in text and "after space was freed" in text


def test_recent_lines_span_the_rotation(tmp_path: Path) -> None:
    setup = setup_logging(tmp_path, max_bytes=2000, backups=2)
    try:
        for i in range(30):
            logging.getLogger("kiosk.x").info("line %02d %s", i, "y" * 30)
        setup.handler.flush()
    finally:
        setup.close()
    lines = recent_lines(tmp_path, 25)
    assert len(lines) == 25
    assert lines[-1].split(": ", 1)[1].startswith("line 29")
    assert lines[0].split(": ", 1)[1].startswith("line 05")


def test_export_writes_a_private_redacted_archive(tmp_path: Path) -> None:
    logs = tmp_path / "storage" / "logs"
    logs.mkdir(parents=True)
    (logs / "kiosk.log").write_text(f"now {CANARY_ID_NUMBER}\n", encoding="utf-8")
    (logs / "kiosk.log.1").write_text("before\n", encoding="utf-8")
    when = dt.datetime(2026, 11, 23, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    result = export_logs(tmp_path / "storage", tmp_path / "usb", now=when, terminal_id="T0001")
    assert result.path.name == "kiosk-logs-T0001-20261123-030405.tar.gz"
    assert result.files == 2
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    with tarfile.open(result.path) as archive:
        names = archive.getnames()
        texts = [archive.extractfile(m).read().decode() for m in archive.getmembers()]  # type: ignore[union-attr]
    assert names == ["kiosk-logs-20261123-030405/kiosk.log.1", "kiosk-logs-20261123-030405/kiosk.log"]
    assert texts == ["before\n", "now [id-number]\n"]
    assert not list((tmp_path / "usb").glob("*.tmp"))
