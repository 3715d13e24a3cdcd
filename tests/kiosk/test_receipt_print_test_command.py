"""`kiosk device print-test --printer URL` (INTERFACES.md §1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from drivers import sim
from drivers.printer.sim import PrinterSimulator
from kiosk.cli import main


def test_print_test_on_the_simulator_prints_and_writes_a_preview(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "preview.png"
    assert main(["device", "print-test", "--printer", "sim://", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "已打印 printed" in stdout
    assert "纸张 paper: 正常 ok" in stdout and "纸仓盖 cover: 关闭 closed" in stdout
    assert f"预览 preview: {out}" in stdout
    codes = zxingcpp.read_barcodes(np.asarray(Image.open(out)))
    assert "KIOSK PRINT TEST 打印测试" in {c.text for c in codes}
    assert sim.lookup("printer") is None  # the run's simulator is gone again


def test_print_test_without_paper_fails_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    simulator = PrinterSimulator()
    simulator.paper_out = True
    sim.register("printer", simulator)
    assert main(["device", "print-test", "--printer", "sim://"]) == 1
    captured = capsys.readouterr()
    assert "缺纸" in captured.out
    assert captured.err.strip().count("\n") == 0
    assert "缺纸 / test page not printed: paper out" in captured.err
    assert simulator.receipts == []


def test_print_test_on_a_missing_port_fails_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["device", "print-test", "--printer", str(tmp_path / "lp0")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "无法打开打印机端口 / cannot open the printer port" in err
