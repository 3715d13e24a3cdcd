from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.config import Config
from kiosk.terminal import Terminal
from screens.window import KioskWindow
from tests.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def terminal(config: Config, clock: FakeClock) -> Iterator[Terminal]:
    term = Terminal(config, clock=clock)
    yield term
    term.stop()


@pytest.fixture
def window(qtbot, terminal: Terminal) -> KioskWindow:  # type: ignore[no-untyped-def]
    win = KioskWindow(terminal)
    win.allow_close = True
    qtbot.addWidget(win)
    win.resize(1080, 1920)
    win.show()
    return win
