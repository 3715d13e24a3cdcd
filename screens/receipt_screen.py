"""Submitting and the receipt. The receipt number is shown large with its QR code on
screen too, so a resident leaves with it even when the printer is out of paper; it
can be reprinted later at any kiosk (`kiosk receipt print`)."""

from __future__ import annotations

import numpy as np
import zxingcpp
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel

from kiosk.strings import register
from kiosk.terminal import Terminal
from kiosk.visit import Step
from screens.base import Screen, make_button, make_label, row

register({
    "submitting.title": ("正在保存您的申请…", "Saving your application…"),
    "submitting.body": ("请稍候，不要离开。", "Please wait a moment."),
    "receipt.title": ("申请已受理", "Your application has been received"),
    "receipt.number": ("受理回执号", "Receipt number"),
    "receipt.saved": ("您的申请已安全保存在本机，联网后自动上传，不会丢失。",
                      "Your application is saved safely on this terminal and uploads automatically."),
    "receipt.printing": ("正在打印回执，请在下方出纸口取走。", "Printing your receipt below the screen."),
    "receipt.printed": ("回执已打印，请取走。", "Your receipt is printed. Please take it."),
    "receipt.print_failed": ("回执暂时无法打印。请用手机拍下本页的回执号和二维码，也可以稍后在任一自助终端补打。",
                             "The receipt cannot be printed now. Please photograph this number and QR code; you can reprint it at any kiosk later."),
    "receipt.qr_hint": ("扫描二维码可查询办理进度", "Scan the QR code to check progress"),
    "receipt.rate": ("评价本次服务", "Rate this service"),
    "receipt.done": ("完成", "Done"),
})


def qr_pixmap(text: str, size_px: int) -> QPixmap:
    """A QR code as a pixmap (zxing-cpp writes it; we only scale it with sharp edges)."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    matrix = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=8), dtype=np.uint8)
    matrix = np.ascontiguousarray(matrix)
    height, width = matrix.shape[:2]
    image = QImage(matrix.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(size_px, size_px, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)


class SubmittingScreen(Screen):
    step = Step.SUBMITTING

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title", center=True)
        self.body = make_label("", center=True)
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.body)
        self.layout_.addStretch(2)

    def refresh(self) -> None:
        self.title.setText(self.t("submitting.title"))
        self.body.setText(self.t("submitting.body"))


class ReceiptScreen(Screen):
    step = Step.RECEIPT

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self.title = make_label("title", center=True)
        self.number_label = make_label("hint", center=True)
        self.number = make_label("huge", center=True)
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_hint = make_label("hint", center=True)
        self.saved = make_label("ok", center=True)
        self.printing = make_label("", center=True)
        self.rate = make_button("rate", role="primary")
        self.done = make_button("done")
        self.rate.clicked.connect(terminal.machine.choose_rate)
        self.done.clicked.connect(lambda: terminal.machine.end("resident"))
        for widget in (self.title, self.number_label, self.number, self.qr, self.qr_hint, self.saved, self.printing):
            self.layout_.addWidget(widget)
        self.layout_.addStretch(1)
        self.layout_.addWidget(row(self.rate, self.done))
        self._qr_for: str | None = None

    def refresh(self) -> None:
        visit = self.terminal.machine.visit
        receipt_no = visit.receipt_no or ""
        self.title.setText(self.t("receipt.title"))
        self.number_label.setText(self.t("receipt.number"))
        self.number.setText(receipt_no)
        if receipt_no and receipt_no != self._qr_for:
            self.qr.setPixmap(qr_pixmap(receipt_no, 280))
            self._qr_for = receipt_no
        self.qr_hint.setText(self.t("receipt.qr_hint"))
        self.saved.setText(self.t("receipt.saved"))
        state = getattr(self.terminal, "receipt_print_state", "printing")
        self.printing.setObjectName("error" if state == "failed" else "")
        self.printing.setText(self.t({"printed": "receipt.printed", "failed": "receipt.print_failed"}.get(state, "receipt.printing")))
        self.printing.style().unpolish(self.printing)
        self.printing.style().polish(self.printing)
        self.rate.setText(self.t("receipt.rate"))
        self.done.setText(self.t("receipt.done"))
