"""Personal data never reaches the log file, whoever logs it and however (STYLE.md §13,
reliability.md E1): ID numbers, phone numbers, the card's fields, tracebacks."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.logs import LogSetup, Redactor, identity_values, recent_lines, redact_text, setup_logging
from tests.fakes import CANARY_ID_NUMBER, CANARY_NAME, sample_identity


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[LogSetup]:
    setup = setup_logging(tmp_path / "storage", level=logging.DEBUG)
    try:
        yield setup
    finally:
        setup.close()


def _flush(setup: LogSetup) -> str:
    setup.handler.flush()
    return setup.path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "hidden"), [
    (f"reader said {CANARY_ID_NUMBER}", CANARY_ID_NUMBER),
    ("lower-case check x: 11010519491231002x.", "11010519491231002x"),
    ("mobile 13800138000 called", "13800138000"),
    ("with country code +86 139-1234-5678? no: +8613912345678", "13912345678"),
    ("landline 010-12345678", "010-12345678"),
    ("old card 110105491231002 seen", "110105491231002"),
    ("bank 6222020200112233445 account", "6222020200112233445"),
    ("mail someone@example.org now", "someone@example.org"),
])
def test_patterns_are_replaced_by_tags(text: str, hidden: str) -> None:
    assert hidden not in redact_text(text)


def test_ordinary_lines_keep_their_meaning() -> None:
    line = "application queued: 3f1c2a9e-0b1d-4c6e-9a55-0123456789ab T0001-261123-0427D 2026-11-23 took 1234 ms"
    assert redact_text(line) == line


def test_a_careless_log_call_with_the_card_on_it_writes_nothing_personal(logs: LogSetup) -> None:
    identity = sample_identity()
    logs.redactor.remember(identity_values(identity))
    log = logging.getLogger("kiosk.somewhere")
    log.info("read %s born %s at %s", identity.name, identity.birth_date, identity.address)
    log.warning("f-string too: %s", f"{identity.id_number}/{identity.name}")
    text = _flush(logs)
    assert "read [redacted]" in text
    for secret in (CANARY_ID_NUMBER, CANARY_NAME, identity.address or "?", "1949-12-31"):
        assert secret not in text


def test_tracebacks_and_stack_are_redacted_too(logs: LogSetup) -> None:
    logs.redactor.remember([CANARY_NAME])
    try:
        raise ValueError(f"bad card {CANARY_ID_NUMBER} of {CANARY_NAME}")
    except ValueError:
        logging.getLogger("kiosk.x").exception("failed")
    logging.getLogger("kiosk.x").info("where", stack_info=True)
    text = _flush(logs)
    assert "ValueError: bad card [id-number] of [redacted]" in text
    assert CANARY_ID_NUMBER not in text and CANARY_NAME not in text


def test_forgotten_values_stop_being_hidden_but_patterns_stay(logs: LogSetup) -> None:
    logs.redactor.remember([CANARY_NAME])
    logs.redactor.forget()
    logging.getLogger("kiosk.x").info("name %s id %s", CANARY_NAME, CANARY_ID_NUMBER)
    text = _flush(logs)
    assert CANARY_NAME in text  # once the visit ended the name is just a word again
    assert CANARY_ID_NUMBER not in text


def test_a_scanned_code_cannot_forge_a_log_line(logs: LogSetup) -> None:
    logging.getLogger("kiosk.scan").info("scanned %s", "ok\n2026-01-01 INFO kiosk: technician logged in\x1b[2J\u202e")
    lines = _flush(logs).splitlines()
    assert len(lines) == 1
    assert "\\n2026-01-01" in lines[0] and "\\x1b" in lines[0] and "\u202e" not in lines[0]


def test_unformattable_arguments_do_not_leak_or_crash(logs: LogSetup) -> None:
    logging.getLogger("kiosk.x").info("two %s %s", CANARY_ID_NUMBER)
    assert CANARY_ID_NUMBER not in _flush(logs)


def test_stderr_handlers_get_the_same_filter(tmp_path: Path) -> None:
    root = logging.getLogger()
    captured: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(self.format(record))

    other = ListHandler()
    root.addHandler(other)
    setup = setup_logging(tmp_path / "s")
    try:
        logging.getLogger("kiosk.y").warning("id %s", CANARY_ID_NUMBER)
    finally:
        setup.close()
        root.removeHandler(other)
    assert captured and CANARY_ID_NUMBER not in captured[0]


def test_log_file_and_dir_are_private(logs: LogSetup) -> None:
    logging.getLogger("kiosk.x").info("hello")
    _flush(logs)
    assert stat.S_IMODE(logs.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(logs.path.parent.stat().st_mode) == 0o700


def test_setup_twice_keeps_one_handler(tmp_path: Path) -> None:
    first = setup_logging(tmp_path / "a")
    second = setup_logging(tmp_path / "b")
    try:
        ours = [h for h in logging.getLogger().handlers if h is first.handler or h is second.handler]
        assert ours == [second.handler]
    finally:
        second.close()
        first.close()


def test_recent_lines_are_redacted_even_if_the_file_was_not(tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    (directory / "kiosk.log").write_text(f"old line {CANARY_ID_NUMBER}\nsecond\n", encoding="utf-8")
    lines = recent_lines(tmp_path, 10)
    assert lines == ["old line [id-number]", "second"]


def test_redactor_repr_holds_no_values() -> None:
    redactor = Redactor()
    redactor.remember([CANARY_NAME, CANARY_ID_NUMBER, "x", 7, True])
    assert CANARY_NAME not in repr(redactor) and redactor.watching == 2
