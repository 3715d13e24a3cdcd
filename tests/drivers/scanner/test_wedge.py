"""Keyboard-wedge scanners: key events decoded with a US keymap, the device grabbed."""

from __future__ import annotations

import contextlib
import errno
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.runner import DeviceRunner
from drivers.scanner.codec import Scan, ScanFramer
from drivers.scanner.device import ScannerDriver
from drivers.scanner.wedge import (
    EV_KEY,
    EV_SYN,
    EVIOCGRAB,
    INPUT_EVENT,
    KEY_CAPSLOCK,
    KEY_ENTER,
    KEY_LEFTALT,
    KEY_LEFTCTRL,
    KEY_LEFTSHIFT,
    KEY_PRESS,
    KEY_RELEASE,
    KEY_REPEAT,
    EvdevPort,
    InputEvent,
    KeyDecoder,
    key_event_bytes,
    key_strokes,
    pack_input_event,
    parse_input_events,
)
from tests.fakes import FakeClock

A, C, M, ONE, KP0, KP1, KP2, KP3, KP4, KP5, KP8, KP9 = 30, 46, 50, 2, 82, 79, 80, 81, 75, 76, 72, 73


def typed(strokes: list[tuple[int, int]]) -> str:
    decoder = KeyDecoder()
    return "".join(decoder.key(code, value) for code, value in strokes)


def tap(code: int) -> list[tuple[int, int]]:
    return [(code, KEY_PRESS), (code, KEY_RELEASE)]


def test_ioctl_number_and_struct_size_match_linux_input_h() -> None:
    assert EVIOCGRAB == 0x40044590  # _IOW('E', 0x90, int)
    long_size = struct.calcsize("@l")
    assert INPUT_EVENT.size == {8: 24, 4: 16}[long_size]  # timeval of two longs, u16, u16, s32


def test_shift_makes_capitals_and_symbols() -> None:
    strokes = [(KEY_LEFTSHIFT, KEY_PRESS), *tap(A), *tap(ONE), (KEY_LEFTSHIFT, KEY_RELEASE), *tap(A), *tap(ONE)]
    assert typed(strokes) == "A!a1"


def test_caps_lock_inverts_letters_only() -> None:
    strokes = [*tap(KEY_CAPSLOCK), *tap(A), *tap(ONE), (KEY_LEFTSHIFT, KEY_PRESS), *tap(A), (KEY_LEFTSHIFT, KEY_RELEASE)]
    assert typed(strokes) == "A1a"


def test_enter_is_a_carriage_return_and_autorepeat_types_again() -> None:
    assert typed([(A, KEY_PRESS), (A, KEY_REPEAT), (A, KEY_RELEASE), *tap(KEY_ENTER)]) == "aa\r"


def test_ctrl_letter_is_a_control_character_not_a_shortcut() -> None:
    # BadBarcode: Ctrl+C would copy, Ctrl+M would submit. Here they are bytes the framer
    # strips (or a line end), never keystrokes to the UI.
    assert typed([(KEY_LEFTCTRL, KEY_PRESS), *tap(C), *tap(M), (KEY_LEFTCTRL, KEY_RELEASE)]) == "\x03\r"


def test_alt_code_digits_on_the_keypad() -> None:
    alt = [(KEY_LEFTALT, KEY_PRESS), *tap(KP0), *tap(KP8), *tap(KP3), (KEY_LEFTALT, KEY_RELEASE)]
    assert typed(alt) == "S"  # §3.2: LAlt + KP0 KP8 KP3
    # 中 is GBK D6D0 = 54992: how Chinese scanners type Hanzi in Alt-code mode.
    hanzi = [(KEY_LEFTALT, KEY_PRESS), *tap(KP5), *tap(KP4), *tap(KP9), *tap(KP9), *tap(KP2), (KEY_LEFTALT, KEY_RELEASE)]
    assert typed(hanzi) == "中"


def test_alt_with_other_keys_types_nothing() -> None:
    assert typed([(KEY_LEFTALT, KEY_PRESS), *tap(15), *tap(A), (KEY_LEFTALT, KEY_RELEASE)]) == ""


def test_keypad_digits() -> None:
    assert typed([*tap(KP1), *tap(KP2), *tap(KP3)]) == "123"


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60))
def test_any_printable_ascii_round_trips_through_keystrokes(text: str) -> None:
    assert typed(key_strokes(text)) == text


def test_raw_events_parse_in_any_split() -> None:
    raw = key_event_bytes(key_strokes("Ab1\r"))
    for cut in range(len(raw) + 1):
        first, rest = parse_input_events(raw[:cut])
        second, left = parse_input_events(rest + raw[cut:])
        assert left == b""
        events = first + second
        assert KeyDecoder().feed(events) == "Ab1\r"
        assert {e.type for e in events} == {EV_KEY, EV_SYN}


def test_events_other_than_keys_are_ignored() -> None:
    events, _ = parse_input_events(pack_input_event(4, 4, 0x70004) + pack_input_event(EV_KEY, A, 1))
    assert events[0] == InputEvent(0, 0, 4, 4, 0x70004)
    assert KeyDecoder().feed(events) == "a"


# -- the port, over a FIFO standing in for the event node ---------------------------------
@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "event-kbd"
    os.mkfifo(path)
    return path


@pytest.fixture
def replay(fifo: Path) -> Iterator[tuple[EvdevPort, int]]:
    port = EvdevPort(str(fifo), grab=False)  # a FIFO cannot be grabbed; a recorded replay
    writer = os.open(fifo, os.O_WRONLY)
    try:
        yield port, writer
    finally:
        port.close()
        with contextlib.suppress(OSError):
            os.close(writer)


def test_wedge_scan_is_framed_like_a_serial_scan(replay: tuple[EvdevPort, int]) -> None:
    port, writer = replay
    raw = key_event_bytes(key_strokes("]Q1T0001-261123-00427\r"))
    os.write(writer, raw[:100])  # the kernel never splits an event; a replay might
    os.write(writer, raw[100:])
    framer = ScanFramer()
    events: list[object] = []
    for _ in range(50):
        data = port.read(port.in_waiting or 1)
        events += framer.feed(data, 0.0)
        if events:
            break
    (scan,) = events
    assert isinstance(scan, Scan) and scan.text == "T0001-261123-00427"
    assert scan.symbology is not None and scan.symbology.identifier == "]Q1"


def test_wedge_device_removed_raises(replay: tuple[EvdevPort, int]) -> None:
    port, writer = replay
    os.close(writer)
    with pytest.raises(OSError) as info:
        port.read(1)
    assert info.value.errno == errno.ENODEV


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_device_that_cannot_be_grabbed_is_not_read(fifo: Path) -> None:
    before = open_fds()
    with pytest.raises(OSError):
        EvdevPort(str(fifo))  # EVIOCGRAB on a non-evdev node fails: fail closed
    assert open_fds() == before


def test_wedge_scanner_missing_goes_offline(tmp_path: Path) -> None:
    runner = DeviceRunner("scanner", ScannerDriver(f"evdev://{tmp_path}/absent-event-kbd", poll_s=0.02),
                          clock=FakeClock())
    runner.run_once()
    assert runner.health.state.value == "offline"
