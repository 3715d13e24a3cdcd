"""The technician screens and the assisted visit in a tour: the `technician` and `assist`
verbs drive the real widgets (long press, PIN pad, every section, every device test)
and shoot every screen."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QApplication

from drivers.health import DeviceState
from kiosk.clock import SteppableClock
from kiosk.config import Config, DeviceConfig
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.ops import QtBackground
from screens.technician_screens import TECHNICIAN_SCREENS, register_tour_verbs, wire_technician
from screens.tour import Tour
from screens.window import KioskWindow

SCENARIO = {"language": "zh", "steps": [
    {"do": "technician", "pin": "246810", "wrong_pin": "111111",
     "add_staff": {"staff_id": "S001", "name": "王芳", "pin": "135790"}},
    {"do": "assist", "staff_id": "S001", "pin": "135790"},
    {"do": "end"},
    {"do": "assist", "staff_id": "S002", "name": "李强", "pin": "246802", "via": "scan"},
    {"do": "end"},
]}


def test_the_technician_tour_shoots_every_section(qtbot, config: Config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    devices = dict(config.devices)
    devices["camera"] = DeviceConfig("camera", required=False)
    config = replace(config, devices=devices)  # the built-in platform URL: the dev PIN 246810 applies
    clock = SteppableClock()
    background = QtBackground()
    terminal = Terminal(config, clock=clock, background=background, start_sync=False)
    window = KioskWindow(terminal, extra_screens=TECHNICIAN_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    wire_technician(window, add_banner=True, listen_to_scanner=True, hold_ms=80, quit=lambda: None,
                    restart=lambda: None)
    terminal.start()
    out = tmp_path / "tour"
    out.mkdir()
    tour = Tour(window, clock, out)
    register_tour_verbs(tour)
    try:
        tour.wait_for(lambda: all(h.state is not DeviceState.CONNECTING for k, h in terminal.devices.health().items()
                                  if k != "camera"), 10, "devices")
        terminal.refresh_service_availability()
        tour.run(json.loads(json.dumps(SCENARIO)))
    finally:
        (out / "summary.json").write_text(json.dumps(tour.summary(), ensure_ascii=False), encoding="utf-8")
        background.wait()
        window.close()
        terminal.stop()
        QApplication.processEvents()
    shots = sorted(p.name for p in out.glob("*.png"))
    for name in ("technician-pin", "technician-pin-wrong", "technician-devices", "technician-test-printer",
                 "technician-test-id-reader", "technician-test-scanner", "technician-test-camera",
                 "technician-outbox", "technician-platform", "technician-logs", "technician-staff",
                 "technician-system", "help-called", "staff-sign-in", "assisted"):
        assert any(shot.endswith(f"-{name}.png") for shot in shots), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert all(step["ok"] for step in summary["steps"])
    assert window.machine.step is Step.ATTRACT
