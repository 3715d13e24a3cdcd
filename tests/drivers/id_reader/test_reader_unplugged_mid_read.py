"""The reader's USB cable is pulled while a card is read: the device goes OFFLINE, no
identity is reported, and when it is plugged back the card still lying there is read
(reliability.md: re-check physical state on reconnect)."""

from __future__ import annotations

from collections.abc import Callable

from drivers.health import DeviceState
from drivers.id_reader.codec import Command
from drivers.id_reader.device import CardRead
from drivers.id_reader.sim import SAMPLE_CARDS
from tests.drivers.id_reader.conftest import Reader


def test_reader_unplugged_mid_read(make_reader: Callable[..., Reader]) -> None:
    reader = make_reader(read_timeout_s=10.0)  # the unplug, not a timeout, ends the read
    reader.recorder.wait_state(DeviceState.READY)
    reader.simulator.slow_card(10.0)
    reader.simulator.put_card("resident")
    assert reader.simulator.wait_for(Command.READ_TEXT_PHOTO)
    reader.simulator.unplug()
    health = reader.recorder.wait_state(DeviceState.OFFLINE)
    assert health.reason == "disconnected"
    assert reader.recorder.of(CardRead) == []

    reader.simulator.slow_card(0.0)
    reader.simulator.plug()
    reader.runner.wake()  # what hot-plug detection does
    reader.recorder.wait_state(DeviceState.READY)
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["resident"]
    assert reader.runner.reconnects >= 1


def test_reader_unplugged_while_idle_comes_back(reader: Reader) -> None:
    reader.simulator.unplug()
    reader.recorder.wait_state(DeviceState.OFFLINE)
    reader.simulator.plug()
    reader.runner.wake()
    reader.recorder.wait_state(DeviceState.READY)
    reader.simulator.put_card("hmt")
    assert reader.recorder.wait_event(CardRead).identity == SAMPLE_CARDS["hmt"]
