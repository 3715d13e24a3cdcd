"""`kiosk device read-idcard` (INTERFACES.md §1, §3) against the simulator behind a
real pseudo-terminal, so the driver opens a tty exactly as it opens /dev/ttyUSB0."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from drivers.id_reader.sim import CARD_TYPE_SAMPLES, SAMPLE_CARDS, IdReaderSimulator
from drivers.sim.pty import PtyBridge, serve_pty
from kiosk.cli import main


@pytest.fixture
def pty_reader() -> Iterator[tuple[IdReaderSimulator, PtyBridge]]:
    simulator = IdReaderSimulator()
    with serve_pty(simulator) as bridge:
        yield simulator, bridge


def test_all_four_card_types_over_a_pty(
    pty_reader: tuple[IdReaderSimulator, PtyBridge], capsys: pytest.CaptureFixture[str]
) -> None:
    simulator, bridge = pty_reader
    for name in CARD_TYPE_SAMPLES:
        simulator.put_card(name)
        code = main(["device", "read-idcard", "--port", bridge.path, "--json", "--timeout", "10"])
        out, err = capsys.readouterr()
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert len(lines) == 1
        assert json.loads(lines[0]) == SAMPLE_CARDS[name].to_json()


def test_json_shape_matches_interfaces_section_3(
    pty_reader: tuple[IdReaderSimulator, PtyBridge], capsys: pytest.CaptureFixture[str]
) -> None:
    simulator, bridge = pty_reader
    simulator.put_card("resident_long_term")
    assert main(["device", "read-idcard", "--port", bridge.path, "--json", "--timeout", "10"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["id_type", "name", "gender", "nation", "birth_date", "address", "id_number",
                          "issuer", "valid_from", "valid_until", "photo_wlt_sha256"]
    assert data["valid_until"] == "长期"
    assert len(data["photo_wlt_sha256"]) == 64


def test_timeout_is_one_clear_line_and_exit_1(
    pty_reader: tuple[IdReaderSimulator, PtyBridge], capsys: pytest.CaptureFixture[str]
) -> None:
    _, bridge = pty_reader
    code = main(["device", "read-idcard", "--port", bridge.path, "--timeout", "0.3"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "未读到身份证" in err and "no ID card read within 0.3 s" in err
    assert "Traceback" not in err


def test_sim_port_works_out_of_the_box(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["device", "read-idcard", "--port", "sim://", "--json", "--timeout", "5"]) == 0
    assert json.loads(capsys.readouterr().out) == SAMPLE_CARDS["resident"].to_json()
    from drivers import sim

    assert sim.lookup("id_reader") is None  # the command's simulator is gone again


def test_default_port_comes_from_the_config_and_prints_labelled_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["device", "read-idcard", "--sim-card", "hmt", "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    card = SAMPLE_CARDS["hmt"]
    assert "通行证号码 / permit number" in out and card.permit_number is not None
    assert card.permit_number in out and card.name in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--port", "/nonexistent/tty-id-reader", "--timeout", "1"], "not available"),
    (["--port", "sim://", "--sim-card", "nobody"], "no sample card"),
    (["--port", "sim://", "--timeout", "0"], "--timeout must be greater than 0"),
])
def test_errors_are_one_line_without_a_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["device", "read-idcard", *argv])
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_a_reader_with_a_sam_fault_is_reported(
    pty_reader: tuple[IdReaderSimulator, PtyBridge], capsys: pytest.CaptureFixture[str]
) -> None:
    simulator, bridge = pty_reader
    simulator.sam_fault()
    assert main(["device", "read-idcard", "--port", bridge.path, "--timeout", "5"]) == 1
    err = capsys.readouterr().err
    assert "身份证阅读器故障 / ID reader fault: sam_fault" in err
