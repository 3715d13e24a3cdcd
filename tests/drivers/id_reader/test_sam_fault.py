"""A SAM that fails its self-test (60) or is not authorised (66) is an ERROR state,
not an exception and not OFFLINE; no card reads until it recovers (§1.5)."""

from __future__ import annotations

from collections.abc import Callable

from drivers.health import DeviceState
from drivers.id_reader.codec import Command, Status
from drivers.id_reader.device import CardRead, CardReadFailed
from drivers.id_reader.sim import SAMPLE_CARDS, IdReaderSimulator
from tests.drivers.id_reader.conftest import Reader


def test_sam_fault_while_idle_is_an_error_state_and_recovers(reader: Reader) -> None:
    reader.simulator.sam_fault()
    health = reader.recorder.wait_state(DeviceState.ERROR)
    assert (health.reason, health.detail) == ("sam_fault", "sam_self_test_failed")
    reader.simulator.put_card("resident")
    # The driver only asks the SAM's status now; let it ask a few times.
    assert reader.simulator.wait_for(Command.SAM_STATUS, reader.simulator.count(Command.SAM_STATUS) + 3)
    assert reader.recorder.of(CardRead) == []
    reader.simulator.sam_fault(None)
    reader.recorder.wait_state(DeviceState.READY)
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident"]


def test_unauthorised_sam_at_start_up(make_reader: Callable[..., Reader]) -> None:
    simulator = IdReaderSimulator("resident")
    simulator.sam_fault(Status.SAM_NOT_AUTHORISED)
    reader = make_reader(simulator)
    health = reader.recorder.wait_state(DeviceState.ERROR)
    assert (health.reason, health.detail) == ("sam_fault", "sam_not_authorised")
    assert reader.runner.reconnects == 0  # present but inoperable: not a dropped port


def test_sam_fault_in_the_middle_of_a_read(reader: Reader) -> None:
    reader.simulator.sam_fault(at=Command.READ_TEXT_PHOTO)
    reader.simulator.put_card("resident")
    assert reader.recorder.wait_event(CardReadFailed).reason == "sam_fault"
    assert reader.recorder.of(CardRead) == []
    assert reader.recorder.wait_state(DeviceState.ERROR).reason == "sam_fault"
    assert reader.simulator.count(Command.READ_TEXT_PHOTO) == 1  # a SAM fault is not retried

