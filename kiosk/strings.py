"""UI texts in Chinese and English. Chinese first: it is what the hall speaks.

`t(key, lang)` falls back to Chinese. Keys are dotted by screen. Texts for residents
are plain words with what to do next (kiosk-features.md: 适老化)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # frame
    "frame.help": ("呼叫工作人员", "Call staff"),
    "frame.help_called": ("已呼叫，工作人员马上过来", "Staff are on their way"),
    "frame.elderly_on": ("长辈模式", "Large text"),
    "frame.elderly_off": ("标准模式", "Standard text"),
    "frame.language": ("English", "中文"),
    "frame.back": ("返回", "Back"),
    "frame.home": ("结束办理", "Finish"),
    "frame.next": ("下一步", "Next"),
    "frame.assisted": ("工作人员帮办中：{name}", "Assisted by staff: {name}"),
    # status strip
    "status.platform_up": ("网络正常", "Online"),
    "status.platform_down": ("网络中断，申请将稍后上传", "Offline: applications will upload later"),
    "status.queue": ("待上传 {n} 件", "{n} waiting to upload"),
    "status.devices_ok": ("设备正常", "Devices OK"),
    "status.device_problem": ("{device}：{state}", "{device}: {state}"),
    "status.help_pending": ("已呼叫工作人员", "Staff called"),
    # devices
    "device.id_reader": ("身份证阅读器", "ID card reader"),
    "device.printer": ("打印机", "Printer"),
    "device.scanner": ("扫码器", "Scanner"),
    "device.camera": ("高拍仪", "Document camera"),
    "device.storage": ("本机存储空间", "Storage space"),
    "state.connecting": ("连接中", "connecting"),
    "state.ready": ("正常", "ready"),
    "state.busy": ("工作中", "busy"),
    "state.degraded": ("需要维护", "needs attention"),
    "state.offline": ("未连接", "offline"),
    "state.error": ("故障", "fault"),
    # attract
    "attract.title": ("政务服务自助终端", "Government Services Self-Service"),
    "attract.prompt": ("请刷身份证或点击开始办理", "Place your ID card or tap Start"),
    "attract.start": ("开始办理", "Start"),
    "attract.progress": ("查询办理进度", "Check progress"),
    "attract.hours": ("24小时自助服务", "Open 24 hours"),
    # home
    "home.title": ("请选择要办理的业务", "What would you like to do?"),
    "home.apply": ("办理事项", "Apply for a service"),
    "home.apply_hint": ("刷身份证后选择事项，填表、拍材料、提交", "Read your ID card, choose a service, submit"),
    "home.progress": ("查询进度", "Check progress"),
    "home.progress_hint": ("扫描回执二维码或刷身份证", "Scan your receipt or read your ID card"),
    "home.rate": ("评价服务", "Rate our service"),
    "home.free": ("全程免费办理，办好的证件可免费邮寄到家。", "Every service here is free, and results can be posted to you free of charge."),
    "home.help": ("不会操作？请点右上角“呼叫工作人员”，工作人员会来帮您办理。",
                  "Need help? Tap “Call staff” at the top right and a member of staff will help you."),
    # out of service
    "oos.title": ("暂停服务", "Temporarily out of service"),
    "oos.body": ("本机设备正在维护，请到其他自助终端或人工窗口办理。", "This terminal is being serviced. Please use another terminal or a service counter."),
    "oos.reason": ("原因：{reason}", "Reason: {reason}"),
    # the one-time notice on paper (guide screen; kiosk/notice.py)
    "notice.print": ("打印告知单", "Print this notice"),
    "notice.printing": ("正在打印告知单，请稍候……", "Printing the notice, please wait…"),
    "notice.printed": ("告知单已打印，请从出纸口取走。", "The notice is printed. Please take it from the printer slot."),
    "notice.paper_out": ("打印机没有纸了，告知单没有打印。您可以拍下本页，或到服务台领取纸质告知单。",
                         "The printer is out of paper, so the notice was not printed. "
                         "Take a photo of this page, or ask at the service desk for a copy."),
    "notice.printer_down": ("打印机暂时不能使用，告知单没有打印。您可以拍下本页，或到服务台领取纸质告知单。",
                            "The printer is not working right now, so the notice was not printed. "
                            "Take a photo of this page, or ask at the service desk for a copy."),
    # idle
    "idle.title": ("您还在吗？", "Are you still there?"),
    "idle.body": ("{s} 秒后将结束办理并清除您的信息", "In {s} seconds this visit ends and your information is cleared"),
    "idle.more": ("需要更多时间", "I need more time"),
    "idle.end": ("结束办理", "End now"),
}


def t(key: str, lang: str, **values: object) -> str:
    zh, en = TEXTS.get(key, (key, key))
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def register(texts: dict[str, tuple[str, str]]) -> None:
    """Screens add their own texts at import; duplicates are a bug."""
    clash = set(texts) & set(TEXTS)
    if clash:
        raise ValueError(f"duplicate UI text keys: {sorted(clash)}")
    TEXTS.update(texts)
