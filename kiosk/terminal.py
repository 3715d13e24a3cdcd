"""The terminal without its screens: configuration, devices, the visit, the outbox.

`screens/` renders a Terminal and sends it intents; the tour and the tests drive the
same object. Nothing here imports Qt. Slow work runs through `background`, which the
Qt layer supplies (a worker pool that reports back on the GUI thread); tests and
the CLI use a synchronous one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drivers.health import Health
from kiosk.config import Config
from kiosk.devices import DeviceRegistry
from kiosk.visit import Delays, VisitMachine

log = logging.getLogger(__name__)

Background = Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]


def run_inline(work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
    """A `Background` that runs the work at once (CLI, unit tests)."""
    try:
        result = work()
    except Exception as exc:
        done(None, exc)
        return
    done(result, None)


@dataclass
class StatusView:
    """What the status strip shows."""

    platform_reachable: bool | None = None  # None: not known yet
    devices: dict[str, Health] = field(default_factory=dict)
    queue_pending: int = 0
    help_requested: bool = False


class Terminal:
    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] = time.monotonic,
        background: Background = run_inline,
        devices: DeviceRegistry | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.background = background
        self.machine = VisitMachine(
            Delays(idle_warning_s=config.idle_warning_s, idle_reset_s=config.idle_reset_s),
            clock,
            default_language=config.language,
        )
        self.devices = devices if devices is not None else DeviceRegistry(config, clock=clock)
        self.status = StatusView()
        self._status_listeners: list[Callable[[StatusView], None]] = []
        self.devices.on_health(self._device_health)
        self.devices.on_event(self._device_event)

    def __repr__(self) -> str:
        return f"Terminal({self.config.hall!r}, {self.machine.step.value})"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.devices.start()

    def stop(self) -> None:
        self.devices.stop()

    # -- status ------------------------------------------------------------------------------
    def on_status(self, listener: Callable[[StatusView], None]) -> None:
        self._status_listeners.append(listener)

    def _publish_status(self) -> None:
        for listener in list(self._status_listeners):
            listener(self.status)

    def _device_health(self, kind: str, health: Health) -> None:
        """Called on a device thread; the Qt layer marshals `on_status` to the GUI."""
        self.status.devices[kind] = health
        self._publish_status()

    def refresh_service_availability(self) -> None:
        """GUI thread: turn the devices' health into 'in service' or not."""
        down = self.devices.required_down()
        self.machine.set_service_available(not down, ",".join(down))

    def _device_event(self, kind: str, event: object) -> None:
        """Device events arrive on device threads; the Qt layer forwards them here on
        the GUI thread through `handle_device_event`."""

    def handle_device_event(self, kind: str, event: object) -> None:
        log.debug("device event %s %s", kind, type(event).__name__)

    def request_help(self) -> None:
        self.status.help_requested = True
        self._publish_status()

    def help_answered(self) -> None:
        self.status.help_requested = False
        self._publish_status()
