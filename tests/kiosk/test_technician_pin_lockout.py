"""Wrong technician PINs lock the entry with growing delays that survive a restart
and clock jumps; staff codes scanned by a resident do nothing."""

from __future__ import annotations

import stat
from pathlib import Path

from kiosk.staff import FIRST_DELAY_S, MAX_DELAY_S, StaffDirectory, TechnicianLock


class Wall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_lockout_grows_and_survives_restart(tmp_path: Path) -> None:
    wall = Wall()
    lock = TechnicianLock(tmp_path, wall=wall)
    lock.set_pin("24681357")
    assert lock.try_pin("000000").attempts_left == 2
    assert lock.try_pin("000000").attempts_left == 1
    third = lock.try_pin("000000")
    assert third.locked_for_s == FIRST_DELAY_S
    restarted = TechnicianLock(tmp_path, wall=wall)  # a new process reads the same files
    refused = restarted.try_pin("24681357")
    assert not refused.ok and refused.locked_for_s > 0
    wall.now += FIRST_DELAY_S + 1
    assert restarted.try_pin("111111").locked_for_s == 2 * FIRST_DELAY_S
    wall.now += 2 * FIRST_DELAY_S + 1
    assert restarted.try_pin("24681357").ok
    assert restarted.try_pin("24681357").ok  # success resets the count


def test_clock_jumping_back_a_day_does_not_lock_for_a_day(tmp_path: Path) -> None:
    wall = Wall()
    lock = TechnicianLock(tmp_path, wall=wall)
    lock.set_pin("24681357")
    for _ in range(3):
        lock.try_pin("0")
    wall.now -= 86_400
    assert lock.remaining_lock_s() <= MAX_DELAY_S


def test_pin_files_are_private(tmp_path: Path) -> None:
    lock = TechnicianLock(tmp_path)
    lock.set_pin("24681357")
    lock.try_pin("0")
    for name in ("technician-pin.json", "technician-lock.json"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600
    assert "24681357" not in (tmp_path / "technician-pin.json").read_text()


def test_staff_code_scanned_by_a_resident_is_not_a_staff_login(tmp_path: Path) -> None:
    staff = StaffDirectory(tmp_path)
    code = staff.add("S001", "王芳", "135790")
    member = staff.by_code(code)
    assert member is not None and member.staff_id == "S001"
    assert staff.by_code("T0001-261123-0427D") is None
    assert staff.by_code("https://example.org/KIOSK-STAFF:S001:x") is None
    assert staff.by_code(code[:-1] + ("A" if code[-1] != "A" else "B")) is None
    assert staff.by_pin("S001", "135790") is not None
    assert staff.by_pin("S001", "000000") is None
