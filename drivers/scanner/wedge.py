"""USB HID keyboard-wedge scanners on Linux, read through evdev without python-evdev.

A wedge scanner is a keyboard: it "types" the code and presses Enter. Left to the
desktop, those keystrokes would reach whatever widget has focus, and a Code 128 with
control characters becomes Ctrl+key chords (BadBarcode, reliability.md §4.2). So the
session opens the scanner's own event node (`evdev:///dev/input/by-id/…-event-kbd`),
grabs it with EVIOCGRAB so nothing reaches the compositor or the UI
(hardware-protocols.md §3.2), and decodes keycodes itself with a fixed US keymap:
HID sends key positions, not characters, and scanners are configured for a US layout
(§3.2 "Layout pitfalls"), so the desktop's keymap is never consulted.

`KeyDecoder` (keycode + press/release → text) and `parse_input_events` are pure.
`EvdevPort` turns a device node into the small port interface the session reads
(`read`, `in_waiting`, `reset_input_buffer`, `close`), emitting the typed text as
UTF-8 bytes with Enter as CR, so the same `ScanFramer` frames wedge and serial scans.
A device that cannot be grabbed is not read at all: fail closed.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import struct
from collections.abc import Iterable
from typing import Final, NamedTuple

# struct input_event (linux/input.h): struct timeval {long tv_sec; long tv_usec;},
# __u16 type, __u16 code, __s32 value. Native sizes and alignment: 24 bytes on 64-bit
# Linux, 16 on 32-bit (where 64-bit-time userlands use two __kernel_ulong_t instead,
# the same size).
INPUT_EVENT: Final = struct.Struct("@llHHi")

EV_SYN: Final = 0x00
EV_KEY: Final = 0x01
KEY_RELEASE, KEY_PRESS, KEY_REPEAT = 0, 1, 2  # input_event.value for EV_KEY


def _ioc(direction: int, kind: str, nr: int, size: int) -> int:
    # asm-generic/ioctl.h: dir(2 bits) << 30 | size(14) << 16 | type(8) << 8 | nr(8)
    return (direction << 30) | (size << 16) | (ord(kind) << 8) | nr


EVIOCGRAB: Final = _ioc(1, "E", 0x90, struct.calcsize("i"))  # _IOW('E', 0x90, int)

# Key codes from linux/input-event-codes.h.
KEY_ESC, KEY_BACKSPACE, KEY_TAB, KEY_ENTER = 1, 14, 15, 28
KEY_LEFTCTRL, KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_LEFTALT = 29, 42, 54, 56
KEY_CAPSLOCK, KEY_KPENTER, KEY_RIGHTCTRL, KEY_RIGHTALT = 58, 96, 97, 100
KEY_LEFTMETA, KEY_RIGHTMETA = 125, 126

# US layout: code → (unshifted, shifted). Rows follow the keyboard.
_US: Final[dict[int, tuple[str, str]]] = {
    **{code: (ch, sh) for code, ch, sh in zip(range(2, 14), "1234567890-=", "!@#$%^&*()_+", strict=True)},
    **{code: (ch, sh) for code, ch, sh in zip(range(16, 28), "qwertyuiop[]", "QWERTYUIOP{}", strict=True)},
    **{code: (ch, sh) for code, ch, sh in zip(range(30, 42), "asdfghjkl;'`", 'ASDFGHJKL:"~', strict=True)},
    **{code: (ch, sh) for code, ch, sh in zip(range(43, 54), "\\zxcvbnm,./", "|ZXCVBNM<>?", strict=True)},
    57: (" ", " "),
}
# The keypad. Scanners type digits on it (and Alt codes, below); they assume Num Lock
# is on, and the host's Num Lock LED is not ours to read, so keypad keys are always
# digits here.
_KEYPAD: Final[dict[int, str]] = {
    71: "7", 72: "8", 73: "9", 74: "-", 75: "4", 76: "5", 77: "6", 78: "+",
    79: "1", 80: "2", 81: "3", 82: "0", 83: ".", 55: "*", 98: "/", 117: "=",
}
_KEYPAD_DIGITS: Final = {code: ch for code, ch in _KEYPAD.items() if ch.isdigit()}
_CONTROL_KEYS: Final = {KEY_ENTER: "\r", KEY_KPENTER: "\r", KEY_TAB: "\t", KEY_ESC: "\x1b", KEY_BACKSPACE: "\x08"}
_SHIFTS: Final = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
_CTRLS: Final = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})
_ALTS: Final = frozenset({KEY_LEFTALT, KEY_RIGHTALT})
_METAS: Final = frozenset({KEY_LEFTMETA, KEY_RIGHTMETA})


class InputEvent(NamedTuple):
    sec: int
    usec: int
    type: int
    code: int
    value: int


def parse_input_events(data: bytes) -> tuple[list[InputEvent], bytes]:
    """Whole `input_event` structs in `data`, and the bytes of an incomplete one."""
    size = INPUT_EVENT.size
    whole = len(data) - len(data) % size
    events = [InputEvent(*fields) for fields in INPUT_EVENT.iter_unpack(data[:whole])]
    return events, data[whole:]


def pack_input_event(type_: int, code: int, value: int, sec: int = 0, usec: int = 0) -> bytes:
    return INPUT_EVENT.pack(sec, usec, type_, code, value)


class KeyDecoder:
    """Key events → the characters a US keyboard would type. Tracks Shift, Caps Lock,
    Ctrl, Alt and Meta from the key events themselves, never from the host.

    - Shift and Caps Lock: Caps Lock inverts the case of letters only; Caps Lock starts
      off (a grabbed device's LED state is not the host's business).
    - Ctrl+letter types the C0 control a terminal would get, exactly as a Code 128
      control character arrives on a serial line; the framer strips it (or ends the
      scan for Ctrl+M / Ctrl+J, as a CR or LF byte would).
    - Alt+keypad digits is the "Alt code" entry some scanners emulate (§3.2): the code is
      typed on Alt's release. ≤ 127 is ASCII; 128-255 is cp437, or cp1252 with a leading
      0 (Windows' rules); larger codes are GBK double bytes, which is how Chinese
      scanners type Hanzi in Alt-code mode [U: check on the hall's model]. Anything else
      becomes U+FFFD so a mangled scan is visibly wrong rather than silently shorter.
    - Other chords with Alt or Meta type nothing.
    """

    def __init__(self) -> None:
        self._down: set[int] = set()
        self._caps = False
        self._alt_digits = ""

    def reset(self) -> None:
        self._down.clear()
        self._caps = False
        self._alt_digits = ""

    def feed(self, events: Iterable[InputEvent]) -> str:
        return "".join(self.key(e.code, e.value) for e in events if e.type == EV_KEY)

    def key(self, code: int, value: int) -> str:
        if value == KEY_RELEASE:
            self._down.discard(code)
            if code in _ALTS and not self._down & _ALTS:
                return self._end_alt_code()
            return ""
        if value not in (KEY_PRESS, KEY_REPEAT):
            return ""
        self._down.add(code)
        if code == KEY_CAPSLOCK:
            if value == KEY_PRESS:
                self._caps = not self._caps
            return ""
        if code in _SHIFTS or code in _CTRLS or code in _ALTS or code in _METAS:
            return ""
        if self._down & _ALTS:
            if code in _KEYPAD_DIGITS:
                self._alt_digits += _KEYPAD_DIGITS[code]
            return ""
        if self._down & _METAS:
            return ""
        if code in _CONTROL_KEYS:
            return _CONTROL_KEYS[code]
        if code in _KEYPAD:
            return _KEYPAD[code]
        pair = _US.get(code)
        if pair is None:
            return ""  # function keys, arrows, media keys: a scanner has no text there
        plain, shifted = pair
        shift = bool(self._down & _SHIFTS)
        if plain.isalpha() and self._caps:
            shift = not shift
        ch = shifted if shift else plain
        if self._down & _CTRLS:
            return chr(ord(plain.upper()) & 0x1F) if plain.isalpha() else ""
        return ch

    def _end_alt_code(self) -> str:
        digits, self._alt_digits = self._alt_digits, ""
        if not digits:
            return ""
        n = int(digits)
        if n <= 0x7F:
            return chr(n)
        if n <= 0xFF:
            return bytes([n]).decode("cp1252" if digits.startswith("0") else "cp437", errors="replace")
        if 0x8140 <= n <= 0xFEFE:
            try:
                return bytes([n >> 8, n & 0xFF]).decode("gbk")
            except UnicodeDecodeError:
                return "\ufffd"
        return "\ufffd"


def key_strokes(text: str) -> list[tuple[int, int]]:
    """(code, value) presses and releases that type `text` on a US keyboard, as a wedge
    scanner would; CR and LF become Enter. For simulators, tests and the bench."""
    reverse: dict[str, tuple[int, bool]] = {}
    for code, (plain, shifted) in _US.items():
        reverse.setdefault(plain, (code, False))
        reverse.setdefault(shifted, (code, True))
    out: list[tuple[int, int]] = []
    for ch in text:
        if ch in "\r\n":
            out += [(KEY_ENTER, KEY_PRESS), (KEY_ENTER, KEY_RELEASE)]
            continue
        if ch not in reverse:
            raise ValueError(f"no US key types {ch!r}")
        code, shift = reverse[ch]
        if shift:
            out.append((KEY_LEFTSHIFT, KEY_PRESS))
        out += [(code, KEY_PRESS), (code, KEY_RELEASE)]
        if shift:
            out.append((KEY_LEFTSHIFT, KEY_RELEASE))
    return out


def key_event_bytes(strokes: Iterable[tuple[int, int]]) -> bytes:
    """Raw `input_event`s for strokes, each followed by a SYN_REPORT as the kernel sends."""
    return b"".join(pack_input_event(EV_KEY, code, value) + pack_input_event(EV_SYN, 0, 0) for code, value in strokes)


class EvdevPort:
    """An evdev node read as a byte port. Opening grabs the device (EVIOCGRAB) unless
    `grab=False`, which only replays of recorded events (a FIFO or file) should use."""

    def __init__(self, path: str, *, timeout: float = 0.02, grab: bool = True) -> None:
        self.timeout = timeout
        self._decoder = KeyDecoder()
        self._out = bytearray()
        self._partial = b""
        self._grabbed = False
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            if grab:
                fcntl.ioctl(self._fd, EVIOCGRAB, 1)
                self._grabbed = True
        except OSError:
            os.close(self._fd)
            self._fd = -1
            raise

    @property
    def is_open(self) -> bool:
        return self._fd >= 0

    @property
    def in_waiting(self) -> int:
        self._fill(0.0)
        return len(self._out)

    def read(self, size: int = 1) -> bytes:
        if not self._out:
            self._fill(self.timeout)
        chunk = bytes(self._out[:size])
        del self._out[:size]
        return chunk

    def reset_input_buffer(self) -> None:
        """Drop keystrokes typed before we were listening (and the modifier state)."""
        while self._read_raw():
            pass
        self._out.clear()
        self._partial = b""
        self._decoder.reset()

    def close(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            if self._grabbed:
                fcntl.ioctl(fd, EVIOCGRAB, 0)
        except OSError:
            pass  # the device is gone; closing releases the grab anyway
        finally:
            os.close(fd)

    def _fill(self, timeout_s: float) -> None:
        if self._fd < 0:
            raise OSError(errno.EBADF, "evdev port is closed")
        readable, _, _ = select.select([self._fd], [], [], timeout_s)
        if readable:
            data = self._read_raw()
            if data:
                events, self._partial = parse_input_events(self._partial + data)
                self._out += self._decoder.feed(events).encode("utf-8")

    def _read_raw(self) -> bytes:
        try:
            data = os.read(self._fd, INPUT_EVENT.size * 64)
        except BlockingIOError:
            return b""
        if not data:
            # An evdev node never reports end of file; a removed device raises ENODEV.
            # A replayed FIFO whose writer left is treated the same way.
            raise OSError(errno.ENODEV, "input device went away")
        return data
