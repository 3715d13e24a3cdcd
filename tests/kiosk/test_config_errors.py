"""A broken config names the key and the line, and `kiosk` exits 2 with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import ConfigError, parse_config


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('[terminal]\nhall = "H"\n\n[devices.printer]\nport = "sim://"\ncolumns = 200\n', "devices.printer.columns", 6),
        ('[ui]\nlangage = "zh"\n', "ui.langage", 2),
        ('[ui]\nlanguage = "fr"\n', "ui.language", 2),
        ('[ui]\nidle_reset_s = "30"\n', "ui.idle_reset_s", 2),
        ('[platform]\nurl = "ftp://x"\n', "platform.url", 2),
        ("[devices.fax]\nport = 1\n", "devices.fax", 1),
        ('[devices.camera]\nport = "/dev/video0"\n', "devices.camera.port", 2),
        ('[printer]\nport = "x"\n', "printer", 1),
        ('[terminal]\nhall = "H"\nhotline = "call us"\n', "terminal.hotline", 3),
        ('[calendar]\nholidays_file = ""\n', "calendar.holidays_file", 2),
        ("[calendar]\nholidays_file = 2027\n", "calendar.holidays_file", 2),
    ],
)
def test_bad_value_names_key_and_line(text: str, key: str, line: int) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("site.toml"))
    assert info.value.key == key
    assert info.value.line == line
    assert f"site.toml:{line}: {key}:" in str(info.value)


def test_toml_syntax_error_has_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config('[ui]\nlanguage = "zh\n', Path("x.toml"))
    assert info.value.line == 2


def test_defaults_simulate_every_device() -> None:
    cfg = parse_config("")
    assert all(d.simulated for d in cfg.devices.values())
    assert cfg.platform_is_local


def test_cli_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "k.toml"
    bad.write_text('[ui]\nidle_warning_s = 1\n', encoding="utf-8")
    assert main(["--config", str(bad), "doctor"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ui.idle_warning_s" in err[0] and ":2:" in err[0]
