"""The technician screen (Step.TECHNICIAN), reached through the PIN pad (pin_screen.py).

Six sections, one at a time, each a column of plain facts and buttons:

* 设备 Devices: each device's state, its resets (kiosk.maintenance.DeviceSupervisor), and
  a test: read a card (shown masked), print the test page, a camera frame with the page
  outline the detector finds, echo the next scanned code; reconnect; put a device the
  supervisor took offline back in service.
* 待递交 Outbox: counts, quarantined items with the platform's reasons, retry, sync now.
* 平台 Platform: reachability, the token, the clock offset; (re-)provisioning.
* 日志 Logs: the last lines (redacted) and an export for a USB stick.
* 工作人员 Staff: add hall staff and show their staff code as a QR; change the PIN.
* 系统 System: disk, the nightly job, alerts, a resident's call for staff; run the
  maintenance now, restart the app, leave kiosk mode.

No resident data is ever on this screen: a test read shows the card masked and is
forgotten with the next refresh. The session locks itself after `inactivity_s`
without a touch (reliability.md D4). Slow work (printing, HTTP, provisioning) runs
through the terminal's background helper, never touching a widget off the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QScroller,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from drivers.health import Health
from kiosk import logs as kiosk_logs
from kiosk.config import DEVICE_KINDS
from kiosk.maintenance import DeviceSupervisor, DiskGuard, NightlyJob
from kiosk.provisioning import (
    ClientFactory,
    PlatformCheck,
    Provisioned,
    ProvisionOutcome,
    ProvisionRequest,
    check_platform,
    default_client,
    provision,
)
from kiosk.staff import StaffDirectory, TechnicianLock
from kiosk.strings import register, t
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import Screen, make_button, make_label, row
from screens.keyboard import FieldTapFilter, KeyboardKind, KeyboardPanel
from screens.receipt_screen import qr_pixmap

log = logging.getLogger(__name__)

DEFAULT_PIN_FOR_LOCAL_PLATFORM = "246810"  # a dev/simulated hall only (README)
USB_EXPORT_DIR = Path("/media/kiosk-usb")
INACTIVITY_S = 300.0
CARD_WAIT_S = 30.0
SCAN_WAIT_S = 60.0
CONFIRM_S = 5.0
SECTIONS = ("devices", "outbox", "platform", "logs", "staff", "system")

register({
    "tech.title": ("技术维护", "Maintenance"),
    "tech.leave": ("返回服务", "Back to service"),
    "tech.section.devices": ("设备", "Devices"),
    "tech.section.outbox": ("待递交", "Outbox"),
    "tech.section.platform": ("平台", "Platform"),
    "tech.section.logs": ("日志", "Logs"),
    "tech.section.staff": ("工作人员", "Staff"),
    "tech.section.system": ("系统", "System"),
    "tech.not_configured": ("未配置", "not configured"),
    "tech.resets": ("10 分钟内重置 {n} 次，累计 {total} 次", "{n} reset(s) in 10 min, {total} in all"),
    "tech.taken_offline": ("反复故障，已停用（{since}）", "Taken offline after repeated faults ({since})"),
    "tech.test.id_reader": ("读卡测试", "Read a card"),
    "tech.test.printer": ("打印测试页", "Print test page"),
    "tech.test.camera": ("拍摄预览", "Camera preview"),
    "tech.test.scanner": ("扫码回显", "Scanner echo"),
    "tech.reconnect": ("重新连接", "Reconnect"),
    "tech.restore": ("恢复服务", "Back in service"),
    "tech.card_wait": ("请把身份证放到感应区…", "Place an ID card on the reader…"),
    "tech.card_ok": ("读卡成功：{type} {name} {number}", "Card read: {type} {name} {number}"),
    "tech.card_failed": ("读卡失败：{reason}", "Card not read: {reason}"),
    "tech.card_timeout": ("{s} 秒内未读到身份证", "No card read within {s} s"),
    "tech.printing": ("正在打印测试页…", "Printing the test page…"),
    "tech.printed": ("测试页已打印，请检查内容是否清晰完整", "Test page printed: check that it is complete"),
    "tech.print_failed": ("打印失败：{reason}", "Printing failed: {reason}"),
    "tech.no_device": ("本机未配置此设备", "This device is not configured"),
    "tech.scan_wait": ("请扫描任意条码或二维码…", "Scan any barcode or QR code…"),
    "tech.scanned": ("扫到（{chars} 个字符{sym}）：{text}", "Scanned ({chars} chars{sym}): {text}"),
    "tech.scan_rejected": ("已拒绝：{reason}", "Rejected: {reason}"),
    "tech.scan_timeout": ("{s} 秒内未扫到条码", "Nothing scanned within {s} s"),
    "tech.camera_wait": ("正在取景…", "Taking a frame…"),
    "tech.camera_found": ("检测到页面（{kind}），绿框为识别出的页面边缘", "Page found ({kind}); the green outline is its edge"),
    "tech.camera_none": ("未检测到页面：{reason}", "No page found: {reason}"),
    "tech.camera_sim": ("模拟高拍仪画面", "Simulated document camera"),
    "tech.camera_unavailable": ("取不到画面：{reason}", "No frame: {reason}"),
    "tech.outbox.counts": (
        "待递交 {pending}　递交中 {delivering}　已递交 {delivered}　已隔离 {quarantined}\n"
        "最久等待 {oldest}　评价待递交 {evals}　本地已清除 {purged}",
        "Pending {pending}  Delivering {delivering}  Delivered {delivered}  Quarantined {quarantined}\n"
        "Oldest waiting {oldest}  Ratings pending {evals}  Purged here {purged}"),
    "tech.outbox.closed": ("待递交队列未打开：{why}", "The outbox is not open: {why}"),
    "tech.outbox.alert": ("告警：{text}", "Alert: {text}"),
    "tech.outbox.last_error": ("最近错误：{text}", "Last error: {text}"),
    "tech.outbox.none_quarantined": ("没有被隔离的申请", "Nothing quarantined"),
    "tech.outbox.quarantined": ("已隔离（平台拒收，数据仍保存在本机）：", "Quarantined (refused by the platform; kept here):"),
    "tech.outbox.retry": ("重新排队", "Retry"),
    "tech.outbox.retried": ("已重新排队：{id}", "Queued again: {id}"),
    "tech.outbox.sync": ("立即同步", "Sync now"),
    "tech.refresh": ("刷新", "Refresh"),
    "tech.platform.info": ("平台：{url}\n终端编号：{tid}　大厅：{hall}\n终端名称：{name}",
                           "Platform: {url}\nTerminal: {tid}  Hall: {hall}\nName: {name}"),
    "tech.platform.not_provisioned": ("尚未注册", "not provisioned"),
    "tech.platform.check": ("检查连接", "Check connection"),
    "tech.platform.checking": ("正在连接平台…", "Contacting the platform…"),
    "tech.platform.reachable": ("平台可达；令牌：{token}；时钟偏差：{offset}", "Reachable; token: {token}; clock offset: {offset}"),
    "tech.platform.unreachable": ("平台不可达（{why}）；申请会暂存本机，联网后上传",
                                  "Platform unreachable ({why}); applications wait here"),
    "tech.platform.token.accepted": ("有效", "accepted"),
    "tech.platform.token.rejected": ("被拒绝（401），请重新注册", "refused (401): provision again"),
    "tech.platform.token.not_provisioned": ("未注册", "not provisioned"),
    "tech.platform.token.unknown": ("未知", "unknown"),
    "tech.platform.offset_only": ("上次同步测得时钟偏差：{offset}", "Clock offset at the last sync: {offset}"),
    "tech.platform.form": ("注册 / 重新注册本机", "Provision this terminal"),
    "tech.platform.url": ("平台地址", "Platform address"),
    "tech.platform.code": ("一次性注册码", "One-time code"),
    "tech.platform.hall": ("大厅编码", "Hall code"),
    "tech.platform.name": ("终端名称", "Terminal name"),
    "tech.platform.tid": ("原终端编号（换盘时填）", "Old terminal id (new disk)"),
    "tech.platform.provision": ("注册", "Provision"),
    "tech.platform.provisioning": ("正在注册…", "Provisioning…"),
    "tech.platform.provisioned": ("注册成功：{tid}{kept}；目录 {catalog}", "Provisioned as {tid}{kept}; catalog {catalog}"),
    "tech.platform.kept": ("（沿用原编号）", " (same id)"),
    "tech.platform.doctor": ("自检：{line}", "Doctor: {line}"),
    "tech.logs.export": ("导出日志", "Export logs"),
    "tech.logs.empty": ("暂无日志：本机日志文件尚未写入（以 kiosk run 启动时写入存储目录下的 logs/）",
                        "No log lines yet: the log file is written under the storage directory's logs/ when "
                        "started with kiosk run"),
    "tech.logs.exported": ("已导出 {n} 个文件到 {path}", "Exported {n} file(s) to {path}"),
    "tech.logs.export_failed": ("导出失败：{why}", "Export failed: {why}"),
    "tech.logs.where": ("导出位置：{path}", "Export to: {path}"),
    "tech.staff.add_title": ("添加帮办工作人员", "Add hall staff"),
    "tech.staff.id": ("工号（字母或数字）", "Staff ID (letters, digits)"),
    "tech.staff.name": ("姓名", "Name"),
    "tech.staff.pin": ("PIN（6 位以上数字）", "PIN (6+ digits)"),
    "tech.staff.add": ("添加", "Add"),
    "tech.staff.added": ("{name}（{id}）的工作人员码：扫描即可登录帮办。请打印或拍照交本人保管，勿外传。",
                         "Staff code of {name} ({id}): scan it to sign in. Hand it to them; keep it private."),
    "tech.staff.print": ("打印工作人员码", "Print staff code"),
    "tech.staff.bad": ("请填写工号（字母或数字）、姓名和至少 6 位数字的 PIN", "Fill in a staff ID, a name and a PIN of 6+ digits"),
    "tech.staff.pin_title": ("修改技术员 PIN", "Change the technician PIN"),
    "tech.staff.new_pin": ("新 PIN（6-12 位数字）", "New PIN (6-12 digits)"),
    "tech.staff.repeat_pin": ("再输一次", "Repeat it"),
    "tech.staff.set_pin": ("修改 PIN", "Change PIN"),
    "tech.staff.pin_set": ("技术员 PIN 已修改", "Technician PIN changed"),
    "tech.staff.pin_mismatch": ("两次输入不一致，或不是 6-12 位数字", "The two differ, or are not 6-12 digits"),
    "tech.system.disk": ("存储：剩余 {mib} MB（{level}）；低于 {need} MB 时暂停受理新申请",
                         "Storage: {mib} MB free ({level}); new applications stop below {need} MB"),
    "tech.system.nightly": ("夜间维护：每天 {start}–{end}；上次 {last}", "Nightly maintenance: {start}-{end}; last {last}"),
    "tech.system.never": ("尚未运行", "never"),
    "tech.system.level.ok": ("充足", "ok"),
    "tech.system.level.low": ("偏低", "low"),
    "tech.system.level.full": ("不足，已暂停受理新申请", "short: new applications refused"),
    "tech.system.alerts": ("告警：", "Alerts:"),
    "tech.system.no_alerts": ("无告警", "No alerts"),
    "tech.system.help": ("有居民呼叫工作人员", "A resident has called for staff"),
    "tech.system.help_answered": ("已响应呼叫", "Call answered"),
    "tech.system.run": ("立即运行夜间维护", "Run maintenance now"),
    "tech.system.running": ("维护运行中…", "Maintenance running…"),
    "tech.system.ran": ("维护完成：{summary}", "Maintenance done: {summary}"),
    "tech.system.restart": ("重启程序", "Restart the app"),
    "tech.system.quit": ("退出自助模式", "Leave kiosk mode"),
    "tech.system.confirm": ("再点一次确认", "Tap again to confirm"),
})


def default_export_dir(storage_dir: Path) -> Path:
    """A USB stick mounted at /media/kiosk-usb (kiosk.service needs
    `ReadWritePaths=-/media/kiosk-usb`), else <storage>/exports."""
    env = os.environ.get("KIOSK_EXPORT_DIR")
    if env:
        return Path(env)
    if USB_EXPORT_DIR.is_dir() and os.access(USB_EXPORT_DIR, os.W_OK):
        return USB_EXPORT_DIR
    return storage_dir / "exports"


@dataclass
class TechnicianServices:
    """What the technician screen works with. `wire_technician` fills it from the
    terminal (or creates what the terminal does not have yet)."""

    lock: TechnicianLock
    staff: StaffDirectory
    supervisor: DeviceSupervisor | None = None
    disk: DiskGuard | None = None
    nightly: NightlyJob | None = None
    export_dir: Path | None = None
    restart: Callable[[], None] | None = None
    quit: Callable[[], None] | None = None
    inactivity_s: float = INACTIVITY_S

    @classmethod
    def for_terminal(cls, terminal: Terminal) -> TechnicianServices:
        config = terminal.config
        default_pin = DEFAULT_PIN_FOR_LOCAL_PLATFORM if config.platform_is_local else None
        return cls(TechnicianLock(config.storage_dir, default_pin=default_pin), StaffDirectory(config.storage_dir))


class _Bridge(QObject):
    """Device threads → GUI thread."""

    device_event = Signal(str, object)
    result = Signal(object, object)  # callback, value


def _plain(text: str, limit: int = 120) -> str:
    """Scanned text for the screen: printable, one line, bounded."""
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text[:limit])
    return shown + ("…" if len(text) > limit else "")


class Section(QWidget):
    key = ""

    def __init__(self, screen: TechnicianScreen) -> None:
        super().__init__()
        self.owner = screen
        self.setObjectName("section")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(14)

    @property
    def terminal(self) -> Terminal:
        return self.owner.terminal

    def t(self, key: str, **values: object) -> str:
        return t(key, self.owner.lang, **values)

    def refresh(self) -> None:
        raise NotImplementedError

    def tick(self) -> None:
        """Once a second while shown."""


# -- devices --------------------------------------------------------------------------------------


class DeviceRow(QFrame):
    def __init__(self, section: DevicesSection, kind: str) -> None:
        super().__init__()
        self.setObjectName("deviceCard")
        self.kind = kind
        layout = QGridLayout(self)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.setHorizontalSpacing(16)
        self.name = make_label("deviceName", wrap=False)
        self.state = make_label("", wrap=True)
        self.supervision = make_label("hint")
        self.result = make_label("")
        self.test = make_button(f"test:{kind}", role="primary")
        self.reconnect = make_button(f"reconnect:{kind}")
        self.restore = make_button(f"restore:{kind}", role="danger")
        self.test.clicked.connect(lambda: section.run_test(kind))
        self.reconnect.clicked.connect(lambda: section.reconnect(kind))
        self.restore.clicked.connect(lambda: section.restore(kind))
        layout.addWidget(self.name, 0, 0)
        layout.addWidget(self.state, 0, 1)
        layout.addWidget(self.supervision, 1, 0, 1, 2)
        layout.addWidget(self.result, 2, 0, 1, 2)
        buttons = row(self.test, self.reconnect, self.restore)
        layout.addWidget(buttons, 3, 0, 1, 2)
        layout.setColumnStretch(1, 1)
        self.preview: QLabel | None = None
        if kind == "camera":
            self.preview = QLabel()
            self.preview.setObjectName("preview")
            self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.preview.hide()
            layout.addWidget(self.preview, 4, 0, 1, 2)


class DevicesSection(Section):
    key = "devices"

    def __init__(self, screen: TechnicianScreen) -> None:
        super().__init__(screen)
        self.rows = {kind: DeviceRow(self, kind) for kind in DEVICE_KINDS}
        for device_row in self.rows.values():
            self.column.addWidget(device_row)
        self.column.addStretch(1)
        self.results: dict[str, str] = {}
        self.waiting: dict[str, float] = {}  # kind → deadline (terminal clock)

    def refresh(self) -> None:
        health = self.terminal.devices.health()
        supervisor = self.owner.services.supervisor
        records = supervisor.records() if supervisor is not None else {}
        for kind, device_row in self.rows.items():
            configured = self.terminal.devices.runner(kind) is not None
            h = health.get(kind)
            port = self.terminal.config.device(kind).port
            device_row.name.setText(t(f"device.{kind}", self.owner.lang))
            if h is None:
                device_row.state.setText(self.t("tech.not_configured"))
            else:
                shown = supervisor.effective(kind, h) if supervisor is not None else h
                bits = [t(f"state.{shown.state.value}", self.owner.lang), shown.reason, shown.detail, port]
                device_row.state.setText(" · ".join(b for b in bits if b))
            record = records.get(kind)
            if record is None or not (record.taken_offline or record.resets_total):
                device_row.supervision.setText("")
            elif record.taken_offline:
                device_row.supervision.setText(self.t("tech.taken_offline", since=record.offline_since or ""))
            else:
                device_row.supervision.setText(self.t("tech.resets", n=record.resets_in_window,
                                                       total=record.resets_total))
            device_row.supervision.setVisible(bool(device_row.supervision.text()))
            device_row.test.setText(self.t(f"tech.test.{kind}"))
            device_row.reconnect.setText(self.t("tech.reconnect"))
            device_row.restore.setText(self.t("tech.restore"))
            device_row.test.setEnabled(configured or kind == "camera")
            device_row.reconnect.setEnabled(configured)
            device_row.restore.setVisible(record is not None and record.taken_offline)
            device_row.result.setText(self.results.get(kind, ""))
            device_row.result.setVisible(bool(device_row.result.text()))

    def _set(self, kind: str, text: str) -> None:
        self.results[kind] = text
        self.refresh()

    def forget(self) -> None:
        """Leaving the screen: a test read must not stay on it."""
        self.results.clear()
        self.waiting.clear()
        for device_row in self.rows.values():
            device_row.result.clear()
        camera = self.rows["camera"].preview
        if camera is not None:
            camera.clear()
            camera.hide()

    def tick(self) -> None:
        now = self.terminal.clock()
        for kind, deadline in list(self.waiting.items()):
            if now >= deadline:
                del self.waiting[kind]
                key = "tech.card_timeout" if kind == "id_reader" else "tech.scan_timeout"
                self._set(kind, self.t(key, s=int(CARD_WAIT_S if kind == "id_reader" else SCAN_WAIT_S)))

    def reconnect(self, kind: str) -> None:
        runner = self.terminal.devices.runner(kind)
        if runner is not None:
            log.info("technician: reconnect %s", kind)
            runner.wake()

    def restore(self, kind: str) -> None:
        supervisor = self.owner.services.supervisor
        if supervisor is not None:
            supervisor.restore(kind)
            runner = self.terminal.devices.runner(kind)
            if runner is not None:
                runner.wake()
            self.terminal.refresh_service_availability()
        self.refresh()

    def run_test(self, kind: str) -> None:
        log.info("technician: test %s", kind)
        runner = self.terminal.devices.runner(kind)
        if kind == "camera":
            self._camera_preview()
            return
        if runner is None:
            self._set(kind, self.t("tech.no_device"))
            return
        if kind == "id_reader":
            self.waiting[kind] = self.terminal.clock() + CARD_WAIT_S
            runner.wake()
            self._set(kind, self.t("tech.card_wait"))
        elif kind == "scanner":
            self.waiting[kind] = self.terminal.clock() + SCAN_WAIT_S
            self._set(kind, self.t("tech.scan_wait"))
        elif kind == "printer":
            self._print_test_page(runner)

    def _print_test_page(self, runner: Any) -> None:
        from kiosk.receipt import build_test_page

        cfg = self.terminal.config
        device = cfg.device("printer")
        job = build_test_page(encoding=device.encoding, columns=device.columns, port=device.port,
                              printed_at=dt.datetime.now().astimezone(), hall_name=cfg.hall,
                              terminal_name=cfg.terminal_name)
        future = runner.call(lambda driver: driver.print_job(job))
        self._set("printer", self.t("tech.printing"))

        def done(result: Any, exc: BaseException | None) -> None:
            if exc is None and getattr(result, "printed", False):
                self._set("printer", self.t("tech.printed"))
            else:
                reason = getattr(getattr(result, "reason", None), "value", None) or (
                    type(exc).__name__ if exc is not None else "?")
                self._set("printer", self.t("tech.print_failed", reason=reason))

        self.owner.run_in_background(lambda: future.result(timeout=40), done)

    def device_event(self, kind: str, event: object) -> None:
        from drivers.id_reader.device import CardRead, CardReadFailed
        from drivers.scanner.events import CodeScanned, ScanRejected

        if kind not in self.waiting:
            return
        if kind == "id_reader" and isinstance(event, CardRead):
            identity = event.identity
            del self.waiting[kind]
            self._set(kind, self.t("tech.card_ok", type=t(f"idtype.{identity.id_type.value}", self.owner.lang),
                                    name=identity.masked_name, number=identity.masked_id_number))
            log.info("technician: test card read (%s)", identity.id_type.value)
        elif kind == "id_reader" and isinstance(event, CardReadFailed):
            del self.waiting[kind]
            self._set(kind, self.t("tech.card_failed", reason=event.reason))
        elif kind == "scanner" and isinstance(event, CodeScanned):
            del self.waiting[kind]
            symbology = getattr(event.symbology, "value", None) or (str(event.symbology) if event.symbology else "")
            self._set(kind, self.t("tech.scanned", chars=len(event.text), sym=f", {symbology}" if symbology else "",
                                    text=_plain(event.text)))
            log.info("technician: test scan (%d chars)", len(event.text))
        elif kind == "scanner" and isinstance(event, ScanRejected):
            self._set(kind, self.t("tech.scan_rejected", reason=getattr(event.reason, "value", str(event.reason))))

    # -- camera ------------------------------------------------------------------------------
    def _camera_preview(self) -> None:
        self._set("camera", self.t("tech.camera_wait"))
        runner = self.terminal.devices.runner("camera")
        simulated = self.terminal.config.device("camera").simulated

        def work() -> tuple[QImage | None, str]:
            return camera_preview(runner, simulated, self.owner.lang)

        def done(result: Any, exc: BaseException | None) -> None:
            preview = self.rows["camera"].preview
            if exc is not None or result is None:
                self._set("camera", self.t("tech.camera_unavailable", reason=type(exc).__name__ if exc else "?"))
                return
            image, message = result
            if preview is not None and image is not None:
                pixmap = QPixmap.fromImage(image).scaled(
                    560, 420, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
                preview.setPixmap(pixmap)
                preview.setFixedHeight(pixmap.height())
                preview.show()
            self._set("camera", message)

        self.owner.run_in_background(work, done)


def _frame_from(runner: Any) -> Any:
    """A BGR frame from a camera driver, whichever of the usual names it offers."""
    driver = getattr(runner, "driver", None)
    for name in ("latest_frame", "snapshot", "capture", "frame"):
        method = getattr(driver, name, None)
        if callable(method):
            return runner.call(lambda d, n=name: getattr(d, n)()).result(timeout=10)
    return None


def camera_preview(runner: Any, simulated: bool, lang: str) -> tuple[QImage | None, str]:
    """A frame with the detector's page outline drawn in (worker thread: builds a
    QImage, touches no widget). Without a camera driver, a simulated hall gets a
    synthetic page so the pipeline can still be seen working."""
    import numpy as np

    from drivers.camera.page import detect_page

    frame = None
    caption = ""
    if runner is not None and getattr(runner.driver, "kind", "") == "camera":
        try:
            frame = _frame_from(runner)
        except Exception as exc:  # a camera that fails is what this test is for
            return None, t("tech.camera_unavailable", lang, reason=type(exc).__name__)
    if frame is None and simulated:
        from drivers.camera.synth import make_frame

        frame = make_frame(7, size=(960, 720), scene="page", doc="a4", hard=False, jpeg=False).image
        caption = t("tech.camera_sim", lang) + " · "
    if frame is None:
        reason = "driver_missing" if runner is None or getattr(runner.driver, "kind", "") != "camera" else "no frame"
        return None, t("tech.camera_unavailable", lang, reason=reason)
    frame = np.ascontiguousarray(frame)
    detection = detect_page(frame)
    height, width = frame.shape[:2]
    image = QImage(frame.data, width, height, 3 * width, QImage.Format.Format_BGR888).copy()
    if detection.quad is not None:
        painter = QPainter(image)
        pen = QPen(QColor("#00c853"))
        pen.setWidth(max(4, width // 160))
        painter.setPen(pen)
        painter.drawPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in detection.quad]))
        painter.end()
        return image, caption + t("tech.camera_found", lang, kind=detection.kind or "?")
    return image, caption + t("tech.camera_none", lang, reason=detection.reason)


# -- outbox ---------------------------------------------------------------------------------------


class OutboxSection(Section):
    key = "outbox"

    def __init__(self, screen: TechnicianScreen) -> None:
        super().__init__(screen)
        self.counts = make_label("")
        self.alert = make_label("error")
        self.title = make_label("", wrap=True)
        self.items = QVBoxLayout()
        self.items.setSpacing(8)
        holder = QWidget()
        holder.setLayout(self.items)
        self.message = make_label("ok")
        self.sync = make_button("outbox:sync", role="primary")
        self.refresh_button = make_button("outbox:refresh")
        self.sync.clicked.connect(self.sync_now)
        self.refresh_button.clicked.connect(self.refresh)
        for widget in (self.counts, self.alert, self.title, holder, self.message):
            self.column.addWidget(widget)
        self.column.addWidget(row(self.sync, self.refresh_button))
        self.column.addStretch(1)
        self._rows: list[QWidget] = []

    def sync_now(self) -> None:
        outbox, sync = self.terminal.outbox, self.terminal.sync
        if outbox is not None:
            outbox.expedite()
        if sync is not None:
            sync.wake()
        log.info("technician: sync now")

    def retry(self, item_id: str) -> None:
        from offline_queue.errors import OutboxError

        outbox = self.terminal.outbox
        if outbox is None:
            return
        try:
            outbox.retry(item_id)
        except OutboxError as exc:
            self.message.setText(str(exc))
        else:
            log.info("technician: retry %s", item_id)
            self.message.setText(self.t("tech.outbox.retried", id=item_id))
            if self.terminal.sync is not None:
                self.terminal.sync.wake()
        self.refresh()

    def refresh(self) -> None:
        from offline_queue.errors import OutboxError
        from offline_queue.model import State

        self.sync.setText(self.t("tech.outbox.sync"))
        self.refresh_button.setText(self.t("tech.refresh"))
        self.message.setVisible(bool(self.message.text()))
        for widget in self._rows:
            widget.setParent(None)
            widget.deleteLater()
        self._rows = []
        outbox = self.terminal.outbox
        if outbox is None:
            self.counts.setText(self.t("tech.outbox.closed", why=self.terminal.storage_problem or "-"))
            self.alert.hide()
            self.title.hide()
            return
        try:
            status = outbox.status()
            quarantined = outbox.list([State.QUARANTINED], limit=20)
        except OutboxError as exc:
            self.counts.setText(self.t("tech.outbox.closed", why=type(exc).__name__))
            return
        oldest = f"{status.oldest_pending_age_s // 60} min" if status.oldest_pending_age_s else "-"
        self.counts.setText(self.t(
            "tech.outbox.counts", pending=status.pending, delivering=status.delivering, delivered=status.delivered,
            quarantined=status.quarantined + status.evaluations_quarantined, oldest=oldest,
            evals=status.evaluations_pending, purged=status.purged))
        alerts = [self.t("tech.outbox.alert", text=status.technician_alert)] if status.technician_alert else []
        if status.last_error:
            alerts.append(self.t("tech.outbox.last_error", text=status.last_error))
        self.alert.setText("\n".join(alerts))
        self.alert.setVisible(bool(alerts))
        self.title.setText(self.t("tech.outbox.quarantined" if quarantined else "tech.outbox.none_quarantined"))
        self.title.show()
        for item in quarantined:
            q = item.quarantine
            fields = ", ".join(f"{e.field}:{e.code}" for e in (q.errors if q else ()))
            why = " ".join(x for x in (q.reason if q else "", str(q.http_status or "") if q else "",
                                       q.title if q else "", fields) if x)
            label = make_label("small")
            label.setText(f"{item.kind.value} {item.receipt_no or item.id}  {item.item_code or ''}\n{why}")
            button = make_button(f"retry:{item.id}")
            button.setText(self.t("tech.outbox.retry"))
            button.clicked.connect(lambda _=False, rid=item.id: self.retry(rid))
            line = row(label, button, stretch_first=True)
            self.items.addWidget(line)
            line.show()
            self._rows.append(line)


# -- platform -------------------------------------------------------------------------------------


def _field(placeholder: str = "", *, name: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    return edit


class PlatformSection(Section):
    key = "platform"

    def __init__(self, screen: TechnicianScreen) -> None:
        super().__init__(screen)
        self.info = make_label("")
        self.status = make_label("")
        self.check = make_button("platform:check", role="primary")
        self.check.clicked.connect(self.check_now)
        self.form_title = make_label("title")
        self.labels = {k: make_label("hint") for k in ("url", "code", "hall", "name", "tid")}
        self.url = _field(name="platform_url")
        self.code = _field("XXXXX-XXXXX", name="enroll_code")
        self.hall = _field(name="hall_code")
        self.name = _field(name="terminal_name")
        self.tid = _field(name="terminal_id")
        self.provision_button = make_button("platform:provision", role="primary")
        self.provision_button.clicked.connect(self.provision_now)
        self.result = make_label("")
        self.keyboard = KeyboardPanel(lambda: self.owner.lang)
        self._tap = FieldTapFilter(self.keyboard, {self.url: KeyboardKind.SEARCH, self.code: KeyboardKind.SEARCH,
                                                   self.hall: KeyboardKind.SEARCH, self.name: KeyboardKind.TEXT,
                                                   self.tid: KeyboardKind.SEARCH})
        self.column.addWidget(self.info)
        self.column.addWidget(self.status)
        self.column.addWidget(row(self.check))
        self.column.addWidget(self.form_title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        for r, (key, edit) in enumerate((("url", self.url), ("code", self.code), ("hall", self.hall),
                                         ("name", self.name), ("tid", self.tid))):
            edit.installEventFilter(self._tap)
            grid.addWidget(self.labels[key], r, 0)
            grid.addWidget(edit, r, 1)
        grid.setColumnStretch(1, 1)
        self.column.addLayout(grid)
        self.column.addWidget(row(self.provision_button))
        self.column.addWidget(self.result)
        self.column.addStretch(1)
        self.column.addWidget(self.keyboard)
        self.keyboard.hide()
        self.last_check: PlatformCheck | None = None
        self._prefilled = False

    def refresh(self) -> None:
        from offline_queue import credentials

        config = self.terminal.config
        creds = credentials.load(config.storage_dir)
        none = self.t("tech.platform.not_provisioned")
        self.info.setText(self.t("tech.platform.info", url=creds.platform_url if creds else config.platform_url,
                                  tid=creds.terminal_id if creds else none, hall=creds.hall if creds else config.hall,
                                  name=creds.name if creds else config.terminal_name))
        self.status.setText(self._status_text())
        self.status.setVisible(bool(self.status.text()))
        self.check.setText(self.t("tech.platform.check"))
        self.form_title.setText(self.t("tech.platform.form"))
        for key, label in self.labels.items():
            label.setText(self.t(f"tech.platform.{key}"))
        self.provision_button.setText(self.t("tech.platform.provision"))
        self.result.setVisible(bool(self.result.text()))
        if not self._prefilled:
            self.url.setText(creds.platform_url if creds else config.platform_url)
            self.hall.setText(creds.hall if creds else config.hall)
            self.name.setText(creds.name if creds else config.terminal_name)
            self._prefilled = True

    def _status_text(self) -> str:
        check = self.last_check
        if check is None:
            offset = None
            outbox = self.terminal.outbox
            if outbox is not None:
                from offline_queue.errors import OutboxError

                try:
                    offset = outbox.status().clock_offset_s
                except OutboxError:
                    offset = None
            return "" if offset is None else self.t("tech.platform.offset_only", offset=f"{offset:+.1f} s")
        if not check.reachable:
            return self.t("tech.platform.unreachable", why=check.detail)
        offset_text = f"{check.clock_offset_s:+.1f} s" if check.clock_offset_s is not None else "?"
        return self.t("tech.platform.reachable", token=self.t(f"tech.platform.token.{check.token}"),
                       offset=offset_text)

    def check_now(self) -> None:
        config = self.terminal.config
        self.status.setText(self.t("tech.platform.checking"))
        self.status.show()

        def done(result: Any, exc: BaseException | None) -> None:
            if isinstance(result, PlatformCheck):
                self.last_check = result
                self.terminal.status.platform_reachable = result.reachable
            self.refresh()

        self.owner.run_in_background(lambda: check_platform(config.storage_dir, config.platform_url), done)

    def provision_now(self) -> None:
        request = ProvisionRequest(self.url.text().strip(), self.code.text().strip(), self.hall.text().strip(),
                                   self.name.text().strip(), self.tid.text().strip() or None)
        terminal = self.terminal
        health = dict(terminal.devices.health())
        outbox = terminal.outbox
        self.result.setText(self.t("tech.platform.provisioning"))
        self.result.show()
        self.keyboard.detach()
        log.info("technician: provisioning")

        def work() -> ProvisionOutcome:
            return provision(request, terminal.config, health=health, outbox=outbox,
                             client_factory=self.owner.client_factory)

        def done(result: Any, exc: BaseException | None) -> None:
            self.code.clear()
            if exc is not None:
                self.result.setText(self.t("tech.platform.unreachable", why=type(exc).__name__))
            elif isinstance(result, Provisioned):
                lines = [self.t("tech.platform.provisioned", tid=result.terminal_id,
                                 kept=self.t("tech.platform.kept") if result.kept_id else "",
                                 catalog=result.catalog_version or "-")]
                if result.doctor is not None:
                    for check in result.doctor.checks:
                        mark = "✓" if check.ok else ("✗" if check.required else "–")
                        lines.append(self.t("tech.platform.doctor", line=f"{mark} {check.name} {check.state}"
                                             + (f" — {check.fix}" if check.fix else "")))
                self.result.setText("\n".join(lines))
                terminal.catalog = terminal.load_catalog()
                if terminal.sync is not None:
                    terminal.sync.wake()
                self.last_check = None
            else:
                self.result.setText(getattr(result, "message", str(result)))
            self._prefilled = False
            self.refresh()

        self.owner.run_in_background(work, done)


# -- logs -----------------------------------------------------------------------------------------


class LogsSection(Section):
    key = "logs"

    def __init__(self, screen: TechnicianScreen) -> None:
        super().__init__(screen)
        self.text = QPlainTextEdit()
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setStyleSheet("QPlainTextEdit#logText { font-family: 'Noto Sans Mono CJK SC', monospace;"
                                " font-size: 18px; }")
        self.where = make_label("hint")
        self.message = make_label("ok")
        self.refresh_button = make_button("logs:refresh")
        self.export = make_button("logs:export", role="primary")
        self.refresh_button.clicked.connect(self.refresh)
        self.export.clicked.connect(self.export_now)
        self.column.addWidget(self.text, 1)
        self.column.addWidget(self.where)
        self.column.addWidget(self.message)
        self.column.addWidget(row(self.export, self.refresh_button))

    def refresh(self) -> None:
        storage = self.terminal.config.storage_dir
        lines = kiosk_logs.recent_lines(storage, 200)
        self.text.setPlainText("\n".join(lines) if lines else self.t("tech.logs.empty"))
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())
        self.where.setText(self.t("tech.logs.where", path=str(self.owner.export_dir())))
        self.refresh_button.setText(self.t("tech.refresh"))
        self.export.setText(self.t("tech.logs.export"))
        self.message.setVisible(bool(self.message.text()))

    def export_now(self) -> None:
        from offline_queue import credentials

        storage = self.terminal.config.storage_dir
        dest = self.owner.export_dir()
        creds = credentials.load(storage)
        tid = creds.terminal_id if creds else None
        log.info("technician: export logs")

        def done(result: Any, exc: BaseException | None) -> None:
            if isinstance(result, kiosk_logs.ExportResult):
                self.message.setText(self.t("tech.logs.exported", n=result.files, path=str(result.path)))
                self.message.setObjectName("ok")
            else:
                self.message.setText(self.t("tech.logs.export_failed", why=type(exc).__name__ if exc else "?"))
                self.message.setObjectName("error")
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
            self.refresh()

        self.owner.run_in_background(lambda: kiosk_logs.export_logs(storage, dest, terminal_id=tid), done)


# -- staff ----------------------------------------------------------------------------------------


class StaffSection(Section):
    key = "staff"

    def __init__(self, screen: TechnicianScreen) -> None:
        super().__init__(screen)
        self.add_title = make_label("title")
        self.labels = {k: make_label("hint") for k in ("id", "name", "pin", "new_pin", "repeat_pin")}
        self.staff_id = _field(name="staff_id")
        self.staff_name = _field(name="staff_name")
        self.staff_pin = _field(name="staff_pin")
        self.staff_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.add = make_button("staff:add", role="primary")
        self.add.clicked.connect(self.add_staff)
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.hide()
        self.caption = make_label("")
        self.print_code = make_button("staff:print")
        self.print_code.clicked.connect(self.print_staff_code)
        self.print_code.hide()
        self.pin_title = make_label("title")
        self.new_pin = _field(name="new_pin")
        self.repeat_pin = _field(name="repeat_pin")
        for edit in (self.new_pin, self.repeat_pin):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.set_pin = make_button("staff:set_pin")
        self.set_pin.clicked.connect(self.change_pin)
        self.message = make_label("")
        self.keyboard = KeyboardPanel(lambda: self.owner.lang)
        kinds: dict[QObject, KeyboardKind] = {self.staff_id: KeyboardKind.SEARCH, self.staff_name: KeyboardKind.TEXT,
                 self.staff_pin: KeyboardKind.DIGITS, self.new_pin: KeyboardKind.DIGITS,
                 self.repeat_pin: KeyboardKind.DIGITS}
        self._tap = FieldTapFilter(self.keyboard, kinds)
        for edit in (self.staff_id, self.staff_name, self.staff_pin, self.new_pin, self.repeat_pin):
            edit.installEventFilter(self._tap)
        self.column.addWidget(self.add_title)
        grid = QGridLayout()
        for r, (key, edit) in enumerate((("id", self.staff_id), ("name", self.staff_name), ("pin", self.staff_pin))):
            grid.addWidget(self.labels[key], r, 0)
            grid.addWidget(edit, r, 1)
        grid.setColumnStretch(1, 1)
        self.column.addLayout(grid)
        self.column.addWidget(row(self.add))
        self.column.addWidget(self.qr)
        self.column.addWidget(self.caption)
        self.column.addWidget(row(self.print_code))
        self.column.addWidget(self.pin_title)
        pin_grid = QGridLayout()
        for r, (key, edit) in enumerate((("new_pin", self.new_pin), ("repeat_pin", self.repeat_pin))):
            pin_grid.addWidget(self.labels[key], r, 0)
            pin_grid.addWidget(edit, r, 1)
        pin_grid.setColumnStretch(1, 1)
        self.column.addLayout(pin_grid)
        self.column.addWidget(row(self.set_pin))
        self.column.addWidget(self.message)
        self.column.addStretch(1)
        self.column.addWidget(self.keyboard)
        self.keyboard.hide()
        self._code: tuple[str, str, str] | None = None  # (staff id, name, code) just added

    def refresh(self) -> None:
        self.add_title.setText(self.t("tech.staff.add_title"))
        for key, label in self.labels.items():
            label.setText(self.t(f"tech.staff.{key}"))
        self.add.setText(self.t("tech.staff.add"))
        self.print_code.setText(self.t("tech.staff.print"))
        self.pin_title.setText(self.t("tech.staff.pin_title"))
        self.set_pin.setText(self.t("tech.staff.set_pin"))
        self.message.setVisible(bool(self.message.text()))

    def forget(self) -> None:
        """A staff code is a credential: it leaves the screen with the technician."""
        self._code = None
        self.qr.clear()
        self.qr.hide()
        self.caption.clear()
        self.print_code.hide()
        for edit in (self.staff_id, self.staff_name, self.staff_pin, self.new_pin, self.repeat_pin):
            edit.clear()
        self.message.clear()

    def add_staff(self) -> None:
        staff_id, name, pin = self.staff_id.text().strip(), self.staff_name.text().strip(), self.staff_pin.text()
        self.staff_pin.clear()
        if not (staff_id.isalnum() and staff_id.isascii() and name and pin.isdigit() and len(pin) >= 6):
            self.message.setText(self.t("tech.staff.bad"))
            self.refresh()
            return
        code = self.owner.services.staff.add(staff_id, name, pin)
        log.info("technician: staff %s added", staff_id)
        self._code = (staff_id, name, code)
        self.qr.setPixmap(qr_pixmap(code, 320))
        self.qr.show()
        self.caption.setText(self.t("tech.staff.added", name=name, id=staff_id))
        self.print_code.show()
        self.message.clear()
        self.keyboard.detach()
        self.refresh()

    def print_staff_code(self) -> None:
        from drivers.printer.codec import Align, EscPos

        if self._code is None:
            return
        runner = self.terminal.devices.runner("printer")
        if runner is None:
            self.message.setText(self.t("tech.no_device"))
            self.refresh()
            return
        staff_id, name, code = self._code
        device = self.terminal.config.device("printer")
        p = EscPos(encoding=device.encoding, columns=device.columns)
        p.init().align(Align.CENTER).bold().text("工作人员码 STAFF CODE").bold(False)
        p.text(f"{name}（{staff_id}）").blank().qr(code, module_size=6).blank()
        p.text("扫描即可在自助终端登录帮办").text("请妥善保管，勿外传").feed(2).cut()
        job = p.build().data
        future = runner.call(lambda driver: driver.print_job(job))

        def done(result: Any, exc: BaseException | None) -> None:
            ok = exc is None and getattr(result, "printed", False)
            reason = getattr(getattr(result, "reason", None), "value", "?") if exc is None else type(exc).__name__
            self.message.setText(self.t("tech.printed") if ok else self.t("tech.print_failed", reason=reason))
            self.refresh()

        self.owner.run_in_background(lambda: future.result(timeout=40), done)

    def change_pin(self) -> None:
        first, second = self.new_pin.text(), self.repeat_pin.text()
        self.new_pin.clear()
        self.repeat_pin.clear()
        if first != second:
            self.message.setText(self.t("tech.staff.pin_mismatch"))
        else:
            try:
                self.owner.services.lock.set_pin(first)
            except ValueError:
                self.message.setText(self.t("tech.staff.pin_mismatch"))
            else:
                log.info("technician: PIN changed")
                self.message.setText(self.t("tech.staff.pin_set"))
        self.refresh()


# -- system ---------------------------------------------------------------------------------------


class SystemSection(Section):
    key = "system"

    def __init__(self, screen: TechnicianScreen) -> None:
        super().__init__(screen)
        self.disk = make_label("")
        self.nightly = make_label("")
        self.alerts = make_label("")
        self.help = make_label("error")
        self.help_answered = make_button("system:help_answered")
        self.help_answered.clicked.connect(self._answer_help)
        self.message = make_label("ok")
        self.run = make_button("system:maintenance", role="primary")
        self.run.clicked.connect(self.run_maintenance)
        self.restart = make_button("system:restart", role="danger")
        self.quit = make_button("system:quit", role="danger")
        self.restart.clicked.connect(lambda: self._confirm("restart"))
        self.quit.clicked.connect(lambda: self._confirm("quit"))
        for widget in (self.disk, self.nightly, self.alerts, self.help):
            self.column.addWidget(widget)
        self.column.addWidget(row(self.help_answered))
        self.column.addWidget(self.message)
        self.column.addWidget(row(self.run))
        self.column.addStretch(1)
        self.column.addWidget(row(self.restart, self.quit))
        self._armed: dict[str, float] = {}

    def _answer_help(self) -> None:
        self.terminal.help_answered()
        self.refresh()

    def refresh(self) -> None:
        services = self.owner.services
        lang = self.owner.lang
        if services.disk is not None:
            status = services.disk.status()
            self.disk.setText(self.t("tech.system.disk", mib=status.free_mib,
                                      level=self.t(f"tech.system.level.{status.level.value}"),
                                      need=status.needed_bytes // (1024 * 1024)))
        else:
            self.disk.setText("")
        self.disk.setVisible(bool(self.disk.text()))
        nightly = services.nightly
        if nightly is not None:
            last = nightly.last_night or self.t("tech.system.never")
            self.nightly.setText(self.t("tech.system.nightly", start=nightly.window.start.strftime("%H:%M"),
                                         end=nightly.window.end.strftime("%H:%M"), last=last))
        self.nightly.setVisible(nightly is not None)
        alerts = self.owner.alert_lines()
        self.alerts.setText("\n".join([self.t("tech.system.alerts"), *alerts]) if alerts
                            else self.t("tech.system.no_alerts"))
        self.alerts.setObjectName("error" if alerts else "")
        self.alerts.style().unpolish(self.alerts)
        self.alerts.style().polish(self.alerts)
        asked = self.terminal.status.help_requested
        self.help.setText(self.t("tech.system.help") if asked else "")
        self.help.setVisible(asked)
        self.help_answered.setVisible(asked)
        self.help_answered.setText(self.t("tech.system.help_answered"))
        self.run.setText(self.t("tech.system.run"))
        self.run.setVisible(nightly is not None)
        now = self.terminal.clock()
        for key, button in (("restart", self.restart), ("quit", self.quit)):
            armed = self._armed.get(key, -1.0) > now
            button.setText(t("tech.system.confirm", lang) if armed else self.t(f"tech.system.{key}"))
        self.message.setVisible(bool(self.message.text()))

    def tick(self) -> None:
        now = self.terminal.clock()
        if any(0 < until <= now for until in self._armed.values()):
            self._armed = {k: v for k, v in self._armed.items() if v > now}
            self.refresh()

    def _confirm(self, what: str) -> None:
        now = self.terminal.clock()
        if self._armed.get(what, -1.0) > now:
            self._armed.pop(what)
            log.warning("technician: %s", "restart" if what == "restart" else "leave kiosk mode")
            self.owner.system_action(what)
            return
        self._armed[what] = now + CONFIRM_S
        self.refresh()

    def run_maintenance(self) -> None:
        nightly = self.owner.services.nightly
        if nightly is None or nightly.running:
            return
        self.message.setText(self.t("tech.system.running"))
        self.refresh()
        log.info("technician: run maintenance now")

        def done(result: Any, exc: BaseException | None) -> None:
            if exc is not None:
                self.message.setText(self.t("tech.system.ran", summary=type(exc).__name__))
            else:
                summary = "; ".join(f"{s.name} {'✓' if s.ok else '✗'} {s.detail}" for s in result.steps)
                self.message.setText(self.t("tech.system.ran", summary=summary))
            self.refresh()

        self.owner.run_in_background(lambda: nightly.run(technician=True), done)


# -- the screen -----------------------------------------------------------------------------------


class TechnicianScreen(Screen):
    step = Step.TECHNICIAN

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.services = TechnicianServices.for_terminal(terminal)
        self.wiring: object | None = None  # screens.technician_screens.TechnicianWiring, once wired
        self.client_factory: ClientFactory = default_client
        self._bridge = _Bridge()
        self._bridge.device_event.connect(self._device_event, Qt.ConnectionType.QueuedConnection)
        self._bridge.result.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        terminal.devices.on_event(self._bridge.device_event.emit)
        self.layout_.setContentsMargins(32, 24, 32, 24)

        header = QHBoxLayout()
        self.title = make_label("title", wrap=False)
        self.identity = make_label("hint", wrap=True)
        self.leave = make_button("technician:leave", role="primary")
        self.leave.clicked.connect(self.leave_now)
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.identity)
        header.addLayout(titles, 1)
        header.addWidget(self.leave)
        self.layout_.addLayout(header)

        nav = QHBoxLayout()
        nav.setSpacing(8)
        self.nav_buttons: dict[str, QPushButton] = {}
        for key in SECTIONS:
            button = make_button(f"section:{key}")
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, k=key: self.show_section(k))
            self.nav_buttons[key] = button
            nav.addWidget(button, 1)
        self.layout_.addLayout(nav)

        self.stack = QStackedWidget()
        self.sections: dict[str, Section] = {}
        self._pages: dict[str, QScrollArea] = {}
        for cls in (DevicesSection, OutboxSection, PlatformSection, LogsSection, StaffSection, SystemSection):
            section = cls(self)
            self.sections[section.key] = section
            # Each section scrolls (a finger drags it): a long quarantine list or a camera
            # frame must never make the window taller than the panel.
            page = QScrollArea()
            page.setObjectName("sectionPage")
            page.setWidgetResizable(True)
            page.setFrameShape(QFrame.Shape.NoFrame)
            page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            page.setWidget(section)
            QScroller.grabGesture(page.viewport(), QScroller.ScrollerGestureType.TouchGesture)
            self._pages[section.key] = page
            self.stack.addWidget(page)
        self.layout_.addWidget(self.stack, 1)
        self.current = "devices"
        self.setStyleSheet(
            "QFrame#deviceCard { background: #eef3f8; border: 2px solid #c5d3e0; border-radius: 12px; }"
            " QLabel#deviceName { font-weight: bold; }"
            " QWidget#section { background: #ffffff; }"
            " QPushButton:checked { background: #0b4f8a; color: #ffffff; }")

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._last_activity = terminal.clock()
        self._activity_filter_installed = False

    # -- wiring ----------------------------------------------------------------------------
    def attach(self, services: TechnicianServices) -> None:
        self.services = services

    def export_dir(self) -> Path:
        return self.services.export_dir or default_export_dir(self.terminal.config.storage_dir)

    def run_in_background(self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        """The terminal's background helper, with the answer brought back to this
        screen's thread even when the helper answers from its worker (tests' inline one
        answers at once, the Qt one on the GUI thread already)."""

        def relay(result: Any, exc: BaseException | None) -> None:
            self._bridge.result.emit(lambda: done(result, exc), None)

        self.terminal.background(work, relay)

    def _deliver(self, callback: Any, _unused: Any) -> None:
        callback()

    def alert_lines(self) -> list[str]:
        services = self.services
        lines = []
        for source in (services.supervisor, services.disk, services.nightly):
            if source is not None:
                lines += [f"· {a.message}" for a in source.alerts()]
        outbox = self.terminal.outbox
        if outbox is not None:
            from offline_queue.errors import OutboxError

            try:
                alert = outbox.status().technician_alert
            except OutboxError:
                alert = None
            if alert:
                lines.append(f"· {alert}")
        return lines

    def system_action(self, what: str) -> None:
        action = self.services.restart if what == "restart" else self.services.quit
        if action is not None:
            action()

    # -- Screen -----------------------------------------------------------------------------
    def refresh(self) -> None:
        from offline_queue import credentials

        creds = credentials.load(self.terminal.config.storage_dir)
        self.title.setText(self.t("tech.title"))
        tid = creds.terminal_id if creds else self.t("tech.platform.not_provisioned")
        self.identity.setText(f"{self.terminal.config.terminal_name} · {tid} · {self.terminal.config.hall}")
        self.leave.setText(self.t("tech.leave"))
        for key, button in self.nav_buttons.items():
            button.setText(self.t(f"tech.section.{key}"))
            button.setChecked(key == self.current)
        self.sections[self.current].refresh()

    def show_section(self, key: str) -> None:
        self.current = key
        self.stack.setCurrentWidget(self._pages[key])
        for name, button in self.nav_buttons.items():
            button.setChecked(name == key)
        self.sections[key].refresh()

    def entered(self) -> None:
        self._last_activity = self.terminal.clock()
        app = QApplication.instance()
        if app is not None and not self._activity_filter_installed:
            app.installEventFilter(self)
            self._activity_filter_installed = True
        self._timer.start()
        self.show_section("devices")

    def left(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None and self._activity_filter_installed:
            app.removeEventFilter(self)
            self._activity_filter_installed = False
        devices = self.sections["devices"]
        staff = self.sections["staff"]
        if isinstance(devices, DevicesSection):
            devices.forget()
        if isinstance(staff, StaffSection):
            staff.forget()
        for section in (self.sections["platform"], self.sections["staff"]):
            keyboard = getattr(section, "keyboard", None)
            if isinstance(keyboard, KeyboardPanel):
                keyboard.detach()

    def leave_now(self) -> None:
        log.info("technician: back to service")
        if self.terminal.machine.step is Step.TECHNICIAN:
            # Out of service or not is kept current by every health change meanwhile.
            self.terminal.machine.leave_technician()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress):
            self._last_activity = self.terminal.clock()
        return False

    def touch(self) -> None:
        self._last_activity = self.terminal.clock()

    def _tick(self) -> None:
        if self.terminal.machine.step is not Step.TECHNICIAN:
            return
        if self.terminal.clock() - self._last_activity >= self.services.inactivity_s:
            log.info("technician session locked after %d s without a touch", int(self.services.inactivity_s))
            self.leave_now()
            return
        self.sections[self.current].tick()

    def _device_event(self, kind: str, event: object) -> None:
        if self.terminal.machine.step is not Step.TECHNICIAN:
            return
        devices = self.sections["devices"]
        if isinstance(devices, DevicesSection):
            devices.device_event(kind, event)


def effective_health(services: TechnicianServices, health: dict[str, Health]) -> dict[str, Health]:
    """The devices' health as the kiosk should act on it (the supervisor's verdicts in)."""
    supervisor = services.supervisor
    if supervisor is None:
        return dict(health)
    return {kind: supervisor.effective(kind, h) for kind, h in health.items()}


__all__ = ["SECTIONS", "TechnicianScreen", "TechnicianServices", "camera_preview", "default_export_dir",
           "effective_health"]
