"""The disk guard refuses new applications early (with the headroom of the largest one),
alerts a technician below the higher threshold, and does not flap."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk.maintenance import MIB, DiskGuard, DiskLevel, outbox_largest_application
from kiosk.strings import t
from tests.fakes import FakeClock


class FakeDisk:
    def __init__(self, free_mib: float) -> None:
        self.free = int(free_mib * MIB)

    def __call__(self, path: Path) -> SimpleNamespace:
        return SimpleNamespace(free=self.free)


def guard(disk: FakeDisk, clock: FakeClock, **kwargs: object) -> DiskGuard:
    return DiskGuard(Path("/unused"), usage=disk, clock=clock, cache_s=0.0,
                     largest_application_bytes=50 * MIB, **kwargs)  # type: ignore[arg-type]


def test_plenty_of_space_is_ok_without_alerts() -> None:
    g = guard(FakeDisk(5000), FakeClock())
    assert g.admits_new_application() and g.status().level is DiskLevel.OK and g.alerts() == []


def test_below_the_alert_threshold_applications_continue_with_an_alert() -> None:
    g = guard(FakeDisk(800), FakeClock())
    status = g.status()
    assert status.level is DiskLevel.LOW and status.accepting
    [alert] = g.alerts()
    assert alert.code == "disk_low" and "800 MB" in alert.message


def test_refuses_below_200_mb_plus_the_largest_application() -> None:
    disk = FakeDisk(260)  # ≥ 200 + 50: still taking applications
    g = guard(disk, FakeClock())
    assert g.admits_new_application()
    disk.free = 240 * MIB
    assert not g.admits_new_application()
    [alert] = g.alerts()
    assert alert.code == "disk_full" and "refused" in alert.message


def test_the_headroom_grows_with_the_largest_application_seen() -> None:
    g = guard(FakeDisk(300), FakeClock())
    assert g.admits_new_application()
    g.observe_application(120 * MIB)
    assert not g.admits_new_application()
    assert g.status().needed_bytes == 320 * MIB


def test_a_little_space_freed_does_not_flap_the_home_screen() -> None:
    disk = FakeDisk(249)
    g = guard(disk, FakeClock())
    assert not g.admits_new_application()
    disk.free = 255 * MIB  # above the threshold, within the resume margin
    assert not g.admits_new_application()
    disk.free = 300 * MIB
    assert g.admits_new_application()


def test_status_is_cached_between_taps() -> None:
    disk = FakeDisk(5000)
    clock = FakeClock()
    g = DiskGuard(Path("/unused"), usage=disk, clock=clock, cache_s=5.0)
    assert g.admits_new_application()
    disk.free = 10 * MIB
    assert g.admits_new_application()  # cached
    clock.advance(6)
    assert not g.admits_new_application()


def test_a_storage_dir_that_cannot_be_read_refuses() -> None:
    def broken(path: Path) -> SimpleNamespace:
        raise OSError(5, "I/O error")

    g = DiskGuard(Path("/unused"), usage=broken)
    assert not g.admits_new_application()


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        DiskGuard(Path("/unused"), refuse_below_bytes=500 * MIB, alert_below_bytes=100 * MIB)


def test_the_polite_refusal_is_there_in_both_languages() -> None:
    assert "其他自助终端或人工窗口" in t("maintenance.disk_refuse", "zh")
    assert "another terminal" in t("maintenance.disk_refuse", "en")


def test_largest_application_in_the_outbox(tmp_path: Path) -> None:
    from offline_queue.outbox import Outbox
    from tests.offline_queue.helpers import make_app

    with Outbox(tmp_path, "T0001") as outbox:
        assert outbox_largest_application(outbox) == 0
        outbox.enqueue(make_app(pages=2, page_size=30_000))
        outbox.enqueue(make_app(pages=1, page_size=10_000, seed=1))
        largest = outbox_largest_application(outbox)
    assert 60_000 <= largest <= 62_000
