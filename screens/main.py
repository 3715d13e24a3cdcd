"""Start the kiosk UI (`kiosk run`) or a tour (`kiosk tour`)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk import sdnotify
from kiosk.config import Config
from kiosk.terminal import Terminal
from screens.ops import QtBackground, steady_process
from screens.technician_screens import wire_technician
from screens.tour import run_tour
from screens.window import KioskWindow


def has_display() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and platform not in ("xcb", "wayland"):
        return True  # eglfs, linuxfb, offscreen, vnc: Qt brings its own
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_app(config: Config, *, windowed: bool) -> int:
    if not has_display():
        print("kiosk run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set, and QT_QPA_PLATFORM "
              "is not eglfs/linuxfb). Start it under cage or X, or use `kiosk tour` offscreen. / 没有显示器", file=sys.stderr)
        return 3
    steady_process()  # before the terminal starts its threads
    app = QApplication.instance() or QApplication(sys.argv[:1])
    background = QtBackground()
    terminal = Terminal(config, background=background)
    window = KioskWindow(terminal)
    wire_technician(window, add_banner=True)
    if windowed:
        window.resize(1080 // 2, 1920 // 2)
        window.show()
    else:
        window.showFullScreen()
    terminal.start()
    interval = sdnotify.watchdog_interval_s()
    if interval:
        # Fed from the GUI event loop: if the loop hangs, systemd restarts the kiosk.
        feeder = QTimer(window)
        feeder.timeout.connect(lambda: sdnotify.notify("WATCHDOG=1"))
        feeder.start(int(interval * 1000))
    # Everything built so far (Qt's wrappers, the catalog, the pinyin tables) lives as
    # long as the process: out of the collector's sight, a full collection walks only
    # what a visit made (a 104 ms pause of every thread was seen on the capture screen).
    gc.collect()
    gc.freeze()
    sdnotify.notify("READY=1")
    try:
        code = app.exec()
    finally:
        sdnotify.notify("STOPPING=1")
        background.wait()
        terminal.stop()
    return int(code)


def tour(config: Config, scenario: Path, out: Path, size: tuple[int, int]) -> int:
    return run_tour(config, scenario, out, size=size)
