"""The progress, rating and thanks screens as a resident meets them, with the real
reference platform on loopback and the simulated scanner: a receipt scanned or typed,
an ID card, the platform down, an unknown receipt, a misread one, a URL QR code, a
flood of scans, an unplugged scanner; a low rating with reasons, a second rating;
the tour verbs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from kiosk.clock import SteppableClock
from kiosk.config import Config, DeviceConfig
from kiosk.progress import NoticeKind, Outcome, ProgressDesk, RateStatus
from kiosk.terminal import Terminal
from kiosk.visit import Step
from offline_queue.model import Kind
from offline_queue.outbox import Outbox
from screens import theme
from screens.after_screens import AFTER_SCREENS, register_tour_verbs, wire
from screens.base import find_intent
from screens.ops import QtBackground
from screens.progress_screen import TONES, ProgressScreen
from screens.rate_screen import RateScreen
from screens.window import KioskWindow
from tests.fakes import CANARY_ID_NUMBER, sample_identity
from tests.offline_queue.helpers import CATALOG, make_app, provision


@dataclasses.dataclass
class Kiosk:
    terminal: Terminal
    window: KioskWindow
    desk: ProgressDesk
    platform: Any
    clock: SteppableClock

    @property
    def outbox(self) -> Outbox:
        assert self.terminal.outbox is not None
        return self.terminal.outbox

    @property
    def machine(self) -> Any:
        return self.terminal.machine

    def deliver(self) -> None:
        assert self.terminal.sync is not None
        self.terminal.sync.run_once(ignore_timers=True)

    def submitted_case(self, seed: int, **kw: Any) -> str:
        receipt = self.outbox.enqueue(make_app(seed=seed, **kw)).receipt_no
        self.deliver()
        return receipt

    def click(self, intent: str) -> None:
        button = find_intent(self.window.current_screen(), intent) or find_intent(self.window, intent)
        assert button is not None, f"no visible button {intent!r} on {self.machine.step.value}"
        assert button.isEnabled(), f"{intent!r} is disabled"
        button.click()
        QApplication.processEvents()

    def texts(self) -> str:
        widgets = self.window.findChildren(QLabel) + self.window.findChildren(QPushButton)
        return "\n".join(w.text() for w in widgets if w.isVisible() and w.text())

    def progress(self) -> ProgressScreen:
        screen = self.window.screens[Step.PROGRESS]
        assert isinstance(screen, ProgressScreen)
        return screen


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    from kiosk.refplatform.server import start_in_thread

    running = start_in_thread(tmp_path / "platform", catalog_path=CATALOG)
    try:
        yield running
    finally:
        running.stop()


def make_kiosk(qtbot: Any, tmp_path: Path, platform: Any, *, background: Any = None,
               devices: bool = False) -> Kiosk:
    storage = tmp_path / "storage"
    provision(storage, platform.url, platform.new_enrollment_code())
    config = Config().with_storage(storage)
    # No camera in this hall: the tests are about the scanner and the ID card.
    config = dataclasses.replace(config, devices={**config.devices, "camera": DeviceConfig("camera", port="")})
    clock = SteppableClock()
    kwargs: dict[str, Any] = {"clock": clock, "start_sync": False}
    if background is not None:
        kwargs["background"] = background
    terminal = Terminal(config, **kwargs)
    terminal.open_outbox()
    desk = wire(terminal)
    # What the lead's Terminal.handle_device_event does for scanner events (unless it
    # already does: then this adds nothing).
    original = terminal.handle_device_event

    def routed(kind: str, event: object) -> None:
        seen = desk.events_seen
        original(kind, event)
        if kind == "scanner" and desk.events_seen == seen:
            desk.handle_scan(event)

    terminal.handle_device_event = routed  # type: ignore[method-assign]
    window = KioskWindow(terminal, extra_screens=AFTER_SCREENS)
    window.allow_close = True
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    if devices:
        terminal.devices.start()
        qtbot.waitUntil(lambda: terminal.devices.health()["scanner"].usable, timeout=5000)
    return Kiosk(terminal, window, desk, platform, clock)


@pytest.fixture
def kiosk(qtbot: Any, tmp_path: Path, platform: Any) -> Iterator[Kiosk]:
    k = make_kiosk(qtbot, tmp_path, platform)
    yield k
    k.terminal.stop()


@pytest.fixture
def hall(qtbot: Any, tmp_path: Path, platform: Any) -> Iterator[Kiosk]:
    """With the simulated devices running and slow work on worker threads, as in the hall."""
    background = QtBackground()
    k = make_kiosk(qtbot, tmp_path, platform, background=background, devices=True)
    yield k
    background.wait()
    QApplication.processEvents()
    k.terminal.stop()


def scanner(k: Kiosk) -> Any:
    return k.terminal.devices.simulators["scanner"]


def type_receipt(k: Kiosk, receipt_no: str) -> None:
    k.progress().keypad.type_text(receipt_no, click=k.click)
    k.click("progress_query")


# -- progress ------------------------------------------------------------------------------------------
def test_after_progress_by_scanned_receipt_shows_status_due_date_history_and_tracking(
        qtbot: Any, hall: Kiosk) -> None:
    receipt = hall.submitted_case(1)
    case_no = hall.outbox.lookup(receipt).case_no
    hall.platform.set_case_status(case_no, "approved", "准予许可")
    hall.platform.set_case_status(case_no, "delivering", "已交邮政EMS", tracking_no="1180234567890")
    assert hall.machine.step is Step.ATTRACT
    scanner(hall).scan(receipt, symbology="]Q1")
    qtbot.waitUntil(lambda: hall.desk.result is not None and not hall.desk.busy, timeout=5000)
    assert hall.machine.step is Step.PROGRESS
    shown = hall.texts()
    assert f"回执号 {receipt} 的查询结果" in shown
    assert "证件正在邮寄给您" in shown and "快递单号：1180234567890" in shown
    assert "请留意快递员的电话" in shown
    assert "承诺办结日期：" in shown
    assert "交快递寄出：已交邮政EMS" in shown and "收到申请" in shown


def test_after_progress_typed_on_the_keypad_in_english(kiosk: Kiosk) -> None:
    receipt = kiosk.submitted_case(2)
    kiosk.machine.set_language("en")
    kiosk.click("progress")
    assert kiosk.machine.step is Step.PROGRESS
    type_receipt(kiosk, receipt.replace("-", ""))
    shown = kiosk.texts()
    assert f"Result for receipt {receipt}" in shown
    assert "Received, waiting for review" in shown and "Promised by" in shown


def test_after_progress_by_id_card_lists_all_cases(kiosk: Kiosk) -> None:
    first = kiosk.submitted_case(3, id_no=CANARY_ID_NUMBER)
    second = kiosk.submitted_case(4, id_no=CANARY_ID_NUMBER)
    kiosk.click("progress")
    kiosk.terminal.handle_device_event("id_reader", _card_read())
    shown = kiosk.texts()
    assert "测***雀 名下的办件（共 2 件）" in shown
    assert shown.index(second) < shown.index(first)  # newest first
    assert CANARY_ID_NUMBER not in shown and "测试金丝雀" not in shown


def _card_read() -> object:
    from drivers.id_reader.device import CardRead

    return CardRead(sample_identity())


def test_after_progress_platform_down_says_so_and_shows_local_info(kiosk: Kiosk) -> None:
    receipt = kiosk.outbox.enqueue(make_app(seed=5)).receipt_no
    kiosk.platform.stop()
    kiosk.click("progress")
    type_receipt(kiosk, receipt)
    shown = kiosk.texts()
    assert "网络暂时中断，查不到最新进度" in shown
    assert "本机已受理，等待网络上传" in shown
    assert "联网后会自动上传" in shown


def test_after_progress_unknown_receipt_says_what_to_do(kiosk: Kiosk) -> None:
    import datetime as dt

    from offline_queue.receipt_no import make_receipt_no

    kiosk.click("progress")
    type_receipt(kiosk, make_receipt_no("T0099", dt.date(2026, 3, 1), 12))
    shown = kiosk.texts()
    assert "没有查到这个回执号" in shown and "人工窗口" in shown
    kiosk.click("query_again")
    assert kiosk.desk.result is None and "或者输入回执号" in kiosk.texts()


def test_after_progress_bad_check_character_is_refused_with_a_message(qtbot: Any, hall: Kiosk) -> None:
    receipt = hall.outbox.enqueue(make_app(seed=6)).receipt_no
    wrong = receipt[:-1] + ("0" if receipt[-1] != "0" else "1")
    hall.click("progress")
    before = len(hall.platform.requests())
    scanner(hall).scan(wrong, symbology="]Q1")
    qtbot.waitUntil(lambda: hall.desk.notice is not None, timeout=5000)
    assert hall.desk.notice is not None and hall.desk.notice.kind is NoticeKind.MISREAD
    assert "回执号没有读对" in hall.texts()
    assert hall.desk.result is None and len(hall.platform.requests()) == before


def test_after_url_qr_shows_a_message_and_opens_nothing(qtbot: Any, hall: Kiosk) -> None:
    url = "https://evil.example/phish?next=file:///etc/passwd"
    with mock.patch.object(QDesktopServices, "openUrl", autospec=True) as open_url:
        scanner(hall).scan(url, symbology="]Q1")
        qtbot.waitUntil(lambda: hall.desk.notice is not None, timeout=5000)
    open_url.assert_not_called()
    assert hall.machine.step is Step.PROGRESS
    assert hall.desk.notice is not None and hall.desk.notice.kind is NoticeKind.NOT_OURS
    shown = hall.texts()
    assert "这不是受理回执的二维码" in shown
    assert "evil.example" not in shown
    for label in hall.window.findChildren(QLabel):
        assert not label.openExternalLinks()


def test_after_flood_of_scans_is_one_message_and_nothing_breaks(qtbot: Any, hall: Kiosk) -> None:
    hall.click("progress")
    kinds: list[NoticeKind | None] = []
    hall.machine.subscribe(lambda _m: kinds.append(hall.desk.notice.kind if hall.desk.notice else None))
    scanner(hall).flood(200)
    qtbot.waitUntil(lambda: hall.desk.notice is not None and hall.desk.notice.kind is NoticeKind.FLOOD,
                    timeout=5000)
    qtbot.wait(700)  # the scanner's gate lets the newest scan through once it refills
    assert kinds.count(NoticeKind.FLOOD) == 1
    assert hall.desk.notice is not None and hall.desk.notice.kind is NoticeKind.FLOOD
    assert hall.desk.queries_started == 0 and hall.machine.step is Step.PROGRESS
    assert "扫码太频繁了" in hall.texts()


def test_after_scanner_unplugged_says_type_the_number_instead(qtbot: Any, hall: Kiosk) -> None:
    hall.click("progress")
    assert "扫码器暂时不能用" not in hall.texts()
    scanner(hall).unplug()
    qtbot.waitUntil(lambda: not hall.terminal.devices.health()["scanner"].usable, timeout=10000)
    qtbot.waitUntil(lambda: "扫码器暂时不能用" in hall.texts(), timeout=5000)
    receipt = hall.submitted_case(7)
    type_receipt(hall, receipt)
    qtbot.waitUntil(lambda: hall.desk.result is not None and not hall.desk.busy, timeout=5000)
    assert hall.desk.result is not None and hall.desk.result.outcome is Outcome.FOUND


# -- rating ------------------------------------------------------------------------------------------------
def show_case(kiosk: Kiosk, receipt: str) -> None:
    if kiosk.machine.step is not Step.PROGRESS:
        kiosk.click("progress")
    elif kiosk.desk.result is not None:
        kiosk.click("query_again")
    type_receipt(kiosk, receipt)
    assert kiosk.desk.result is not None and kiosk.desk.result.outcome is Outcome.FOUND


def test_after_low_rating_with_reasons_is_queued_through_the_outbox(kiosk: Kiosk) -> None:
    receipt = kiosk.submitted_case(8)
    show_case(kiosk, receipt)
    kiosk.click("rate")
    assert kiosk.machine.step is Step.RATE
    shown = kiosk.texts()
    assert "请您评价这次服务" in shown and "测试事项甲" in shown
    rate = kiosk.window.screens[Step.RATE]
    assert isinstance(rate, RateScreen)
    assert [c.text_shown() for c in rate.choices.values()] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert not rate.reasons_box.isVisible()
    kiosk.click("stars:1")
    assert rate.reasons_box.isVisible() and "哪里不满意" in kiosk.texts()
    kiosk.click("reason:efficiency")
    kiosk.click("reason:attitude")
    kiosk.click("phrase:slow")
    kiosk.click("submit_rating")
    assert kiosk.machine.step is Step.THANKS
    assert "很抱歉让您不满意" in kiosk.texts()
    (item,) = [i for i in kiosk.outbox.list() if i.kind is Kind.EVALUATION]
    body = kiosk.outbox.payload(Kind.EVALUATION, item.id)
    assert body["rating"] == 1 and body["reasons"] == ["办事效率", "服务态度"]
    assert body["comment"] == "等的时间太长" and body["case_no"]
    kiosk.deliver()
    assert kiosk.platform.count_evaluations() == 1


def test_after_rating_is_optional_to_explain_when_high(kiosk: Kiosk) -> None:
    show_case(kiosk, kiosk.submitted_case(9))
    kiosk.click("rate")
    assert not find_intent(kiosk.window.current_screen(), "submit_rating").isEnabled()  # type: ignore[union-attr]
    kiosk.click("stars:5")
    assert not kiosk.window.screens[Step.RATE].reasons_box.isVisible()  # type: ignore[attr-defined]
    kiosk.click("submit_rating")
    assert kiosk.machine.step is Step.THANKS and "会帮我们把服务做得更好" in kiosk.texts()


def test_after_second_rating_for_the_same_case_is_refused_politely(kiosk: Kiosk) -> None:
    receipt = kiosk.submitted_case(10)
    show_case(kiosk, receipt)
    kiosk.click("rate")
    kiosk.click("stars:4")
    kiosk.click("submit_rating")
    assert kiosk.machine.step is Step.THANKS
    kiosk.click("progress")
    type_receipt(kiosk, receipt)
    rate_button = find_intent(kiosk.window.current_screen(), "rate")
    assert rate_button is not None and not rate_button.isEnabled() and rate_button.text() == "已评价，谢谢"
    # Even if asked for anyway (a stale screen, a double tap), the rating screen says so.
    result = kiosk.desk.result
    assert result is not None
    kiosk.desk.rate(result.cases[0].rating_target())
    assert kiosk.machine.step is Step.RATE
    assert "这件事您已经评价过了" in kiosk.texts()
    assert find_intent(kiosk.window.current_screen(), "submit_rating") is None
    assert kiosk.outbox.status().evaluations_pending == 1


def test_after_rating_that_cannot_be_saved_says_so_and_keeps_the_choice(kiosk: Kiosk) -> None:
    kiosk.click("progress")
    kiosk.terminal.outbox.close()  # type: ignore[union-attr]
    kiosk.terminal.outbox = None
    kiosk.desk.rate()
    kiosk.click("stars:3")
    kiosk.click("submit_rating")
    assert kiosk.machine.step is Step.RATE
    assert kiosk.desk.rating.result is not None and kiosk.desk.rating.result.status is RateStatus.FAILED
    assert "评价暂时没能保存" in kiosk.texts()
    assert find_intent(kiosk.window.current_screen(), "submit_rating").isEnabled()  # type: ignore[union-attr]


def test_after_thanks_returns_to_the_start_by_itself(kiosk: Kiosk) -> None:
    kiosk.click("progress")
    kiosk.desk.rate()
    kiosk.click("stars:5")
    kiosk.click("submit_rating")
    assert kiosk.machine.step is Step.THANKS
    assert f"{int(kiosk.machine.delays.thanks_s)} 秒后回到首页" in kiosk.texts()
    kiosk.clock.advance(kiosk.machine.delays.thanks_s + 0.1)
    kiosk.window._tick()
    assert kiosk.machine.step is Step.ATTRACT


def test_after_visit_end_leaves_nothing_of_it_in_the_screens(kiosk: Kiosk) -> None:
    receipt = kiosk.submitted_case(11)
    show_case(kiosk, receipt)
    kiosk.progress().keypad.set_text("T0001")
    kiosk.machine.end("idle")
    screen = kiosk.progress()
    assert screen.cards == [] and screen.keypad.text == ""
    assert all(receipt not in label.text() for label in screen.findChildren(QLabel))
    assert kiosk.desk.result is None and kiosk.desk.notice is None


# -- the tour ----------------------------------------------------------------------------------------------
def test_after_tour_queries_the_last_receipt_by_scanner_and_rates_it(hall: Kiosk, tmp_path: Path) -> None:
    from screens.tour import Tour

    receipt = hall.submitted_case(12)
    tour = Tour(hall.window, hall.clock, tmp_path / "tour")
    (tmp_path / "tour").mkdir()
    register_tour_verbs(tour)
    tour.receipt_no = receipt  # as the tour's submit step records it
    tour.run({"steps": [
        {"do": "query_progress", "receipt_no": "last"},
        {"do": "rate", "stars": 2, "reasons": ["efficiency", "服务态度"]},
        {"do": "query_progress", "receipt_no": receipt, "scan": False},
    ]})
    shots = sorted(p.name for p in (tmp_path / "tour").glob("*.png"))
    assert any("progress" in s for s in shots) and any("rate-reasons" in s for s in shots)
    assert any("thanks" in s for s in shots) and any("progress-typed" in s for s in shots)
    assert all(r.ok for r in tour.records)
    assert hall.platform.count_evaluations() == 0 and hall.outbox.status().evaluations_pending == 1


# -- look and size --------------------------------------------------------------------------------------------
def visible_buttons(root: QWidget) -> list[QPushButton]:
    return [b for b in root.findChildren(QPushButton) if b.isVisible()]


def test_after_elderly_mode_targets_at_least_90px_and_nothing_squeezed(kiosk: Kiosk) -> None:
    kiosk.machine.set_elderly(True)
    kiosk.click("progress")
    kiosk.desk.scanned("https://evil.example")  # the longest page: a message above everything
    QApplication.processEvents()
    screen = kiosk.window.current_screen()
    for button in visible_buttons(screen):
        assert button.height() >= 90, button.property("intent")
    keys = [b for b in visible_buttons(screen) if str(b.property("intent")).startswith("pad:")]
    assert keys and all(k.height() >= theme.ELDERLY.target_px for k in keys)
    show_case(kiosk, kiosk.submitted_case(13))
    kiosk.click("rate")
    kiosk.click("stars:2")
    QApplication.processEvents()
    for button in visible_buttons(kiosk.window.current_screen()):
        assert button.height() >= 90, button.property("intent")


def test_after_screens_do_not_widen_the_window(kiosk: Kiosk) -> None:
    for elderly in (False, True):
        for lang in ("zh", "en"):
            kiosk.machine.set_elderly(elderly)
            kiosk.machine.set_language(lang)
            for screen in (kiosk.window.screens[s] for s in (Step.PROGRESS, Step.RATE, Step.THANKS)):
                screen.refresh()  # type: ignore[call-arg]
                assert screen.minimumSizeHint().width() <= 1080 - 2 * 48, (type(screen).__name__, lang, elderly)


def test_after_status_colours_have_contrast() -> None:
    for tone in TONES:
        assert theme.contrast(theme.ON_BAND, tone) >= 4.5, tone
    assert theme.contrast(theme.INK, "#fff4d6") >= 4.5


def test_after_landscape_panel_puts_the_ways_of_asking_side_by_side(kiosk: Kiosk) -> None:
    """A landscape panel stacked the keypad under the scanner picture and pushed it off
    screen; the layout follows the window's orientation both ways."""
    from PySide6.QtWidgets import QBoxLayout

    kiosk.machine.start()
    kiosk.machine.choose_progress()
    screen = kiosk.progress()
    kiosk.window.resize(1920, 1080)
    QApplication.processEvents()
    assert screen.oriented.direction() is QBoxLayout.Direction.LeftToRight
    kiosk.window.resize(1080, 1920)
    QApplication.processEvents()
    assert screen.oriented.direction() is QBoxLayout.Direction.TopToBottom
