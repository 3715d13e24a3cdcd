"""`sim://printer`: a Chinese ESC/POS receipt printer that speaks the real bytes.

It parses what the host sends with the independent parser (decoder.py), answers
DLE EOT 1..4 at once even while stopped (ref §2.5), answers GS r in sequence, sends
Automatic Status Back bursts when GS a enables them, holds print data while stopped
(paper out, cover open, cutter error) and resumes when the fault clears, and collects
each completed receipt (split at the cut) for tests and for render.py.

Knobs (properties; set from any thread): `paper_near_end`, `paper_out`, `cover_open`,
`cutter_error`, `never_answers_status`, `runs_out_mid_job` (paper ends after that many
more bytes of print data), `reply_delay_s`, `answers_gs_r`. `unplug()`/`plug()` come from the base.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.printer.codec import (
    PrinterStatus,
    encode_asb,
    encode_status_replies,
    paper_sensor_byte,
)
from drivers.printer.decoder import (
    AutoStatusBackEnable,
    Command,
    Cut,
    EscPosParser,
    RealTimeRecover,
    RealTimeStatusRequest,
    SequentialStatusRequest,
    decode_text,
)
from drivers.sim.base import SimulatedDevice

if TYPE_CHECKING:
    from PIL import Image


class PrinterSimulator(SimulatedDevice):
    def __init__(self, *, encoding: str = "gbk", columns: int = 48) -> None:
        super().__init__()
        self.encoding = encoding
        self.columns = columns
        self._lock = threading.RLock()
        self._parser = EscPosParser(encoding)
        self._paper_near_end = False
        self._paper_out = False
        self._cover_open = False
        self._cutter_error = False
        self._never_answers_status = False
        self._runs_out_after: int | None = None
        self._counted = 0
        self.reply_delay_s = 0.0
        self.answers_gs_r = True  # False: a model without GS r (the driver falls back to DLE EOT)
        self._asb_mask = 0
        self._last_asb: PrinterStatus | None = None
        self._held: list[Command] = []  # received while stopped, processed on resume
        self._current = bytearray()  # processed since the last cut: the paper in the printer
        self.receipts: list[bytes] = []  # completed receipts (each ends with its cut)
        self.torn_off: list[bytes] = []  # partial receipts removed when paper was reloaded
        self.status_requests = 0

    # -- knobs -------------------------------------------------------------------------------
    @property
    def paper_near_end(self) -> bool:
        return self._paper_near_end

    @paper_near_end.setter
    def paper_near_end(self, value: bool) -> None:
        with self._lock:
            self._paper_near_end = value
            self._changed()

    @property
    def paper_out(self) -> bool:
        return self._paper_out

    @paper_out.setter
    def paper_out(self, value: bool) -> None:
        with self._lock:
            self._paper_out = value
            self._changed()

    @property
    def cover_open(self) -> bool:
        return self._cover_open

    @cover_open.setter
    def cover_open(self, value: bool) -> None:
        with self._lock:
            self._cover_open = value
            self._changed()

    @property
    def cutter_error(self) -> bool:
        return self._cutter_error

    @cutter_error.setter
    def cutter_error(self, value: bool) -> None:
        with self._lock:
            self._cutter_error = value
            self._changed()

    @property
    def never_answers_status(self) -> bool:
        return self._never_answers_status

    @never_answers_status.setter
    def never_answers_status(self, value: bool) -> None:
        with self._lock:
            self._never_answers_status = value

    @property
    def runs_out_mid_job(self) -> int | None:
        return self._runs_out_after

    @runs_out_mid_job.setter
    def runs_out_mid_job(self, after_bytes: int | None) -> None:
        with self._lock:
            self._runs_out_after = after_bytes
            self._counted = 0

    def load_paper(self) -> None:
        """A technician loads a new roll: whatever was printed on the old one is torn
        off, and the printer resumes (its buffer may still hold the rest of a job)."""
        with self._lock:
            if self._current:
                self.torn_off.append(bytes(self._current))
                self._current.clear()
            self._paper_out = False
            self._paper_near_end = False
            self._changed()

    # -- state -----------------------------------------------------------------------------
    @property
    def stopped(self) -> bool:
        return self._paper_out or self._cover_open or self._cutter_error

    def status(self) -> PrinterStatus:
        with self._lock:
            stopped = self.stopped
            return PrinterStatus(
                offline=stopped,
                cover_open=self._cover_open,
                paper_end_stop=self._paper_out,
                error=self._cutter_error,
                cutter_error=self._cutter_error,
                # Typical bytes (ref §2.5): paper out n=4 → 0x72, without near-end bits.
                paper_near_end=self._paper_near_end and not self._paper_out,
                paper_out=self._paper_out,
            )

    def _changed(self) -> None:
        status = self.status()
        if self._asb_mask and status != self._last_asb and not self._never_answers_status:
            self._last_asb = status
            self.send(encode_asb(status), delay_s=self.reply_delay_s)
        self._resume()

    def _resume(self) -> None:
        while self._held and not self.stopped:
            self._process(self._held.pop(0))

    # -- host bytes ------------------------------------------------------------------------------
    def on_host_bytes(self, data: bytes) -> None:
        with self._lock:
            for cmd in self._parser.feed(data):
                # Real-time commands act on receipt, even while stopped (ref §2.5).
                if isinstance(cmd, RealTimeStatusRequest):
                    self._answer_status(cmd.n)
                elif isinstance(cmd, RealTimeRecover):
                    self._recover(cmd.n)
                elif self._held or self.stopped:
                    self._held.append(cmd)
                else:
                    self._process(cmd)

    def _answer_status(self, n: int) -> None:
        self.status_requests += 1
        if self._never_answers_status or n not in (1, 2, 3, 4):
            return
        self.send(bytes((encode_status_replies(self.status())[n],)), delay_s=self.reply_delay_s)

    def _recover(self, n: int) -> None:
        if n == 2:
            self._held.clear()  # clear the buffers, then recover [U on real models]
        self._resume()

    def _process(self, cmd: Command) -> None:
        if self._runs_out_after is not None:
            self._counted += len(cmd.raw)
            if self._counted > self._runs_out_after:
                self._runs_out_after = None
                self._paper_out = True
                self._held.append(cmd)
                self._changed()
                return
        if isinstance(cmd, SequentialStatusRequest):
            if self.answers_gs_r and not self._never_answers_status:
                reply = paper_sensor_byte(self.status()) if cmd.n == 1 else 0x00
                self.send(bytes((reply,)), delay_s=self.reply_delay_s)
            return
        if isinstance(cmd, AutoStatusBackEnable):
            self._asb_mask = cmd.mask
            self._last_asb = None
            if cmd.mask:
                self._changed()
            return
        self._current += cmd.raw
        if isinstance(cmd, Cut):
            self.receipts.append(bytes(self._current))
            self._current.clear()

    # -- for tests and previews ------------------------------------------------------------------
    @property
    def in_progress(self) -> bytes:
        """What has printed on the paper since the last cut."""
        with self._lock:
            return bytes(self._current)

    def receipt_text(self, index: int = -1) -> str:
        return decode_text(self.receipts[index], self.encoding)

    def render_receipt(self, index: int = -1) -> Image.Image:
        from drivers.printer.render import render

        return render(self.receipts[index], encoding=self.encoding, columns=self.columns)

    def save_png(self, path: Path, index: int = -1) -> Path:
        image = self.render_receipt(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="PNG", optimize=True)
        return path
