"""Expected failures of the outbox, each one line a technician can act on.

Messages never carry personal data (STYLE.md principle 13): they name ids, receipt
numbers, counts and paths of our own files, never a field's value.
"""

from __future__ import annotations


class OutboxError(Exception):
    """An expected failure of the outbox (the application was NOT stored or changed)."""


class NotProvisioned(OutboxError):
    """No terminal id yet: receipt numbers begin with it, so nothing can be queued."""

    def __init__(self) -> None:
        super().__init__(
            "terminal not provisioned: run `kiosk provision` first / 终端尚未注册，请先执行 kiosk provision"
        )


class InvalidApplication(OutboxError):
    """The application cannot be queued as it is (names the field, never its value)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class StorageFull(OutboxError):
    """Not enough free disk space: refused before anything was half-written."""

    def __init__(self, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(
            "storage full: the application was not saved; free disk space or deliver the queue"
            f"{suffix} / 存储空间不足，申请未保存"
        )


class StorageFailure(OutboxError):
    """The disk failed a write or fsync. Fatal by design: after a failed fsync the kernel
    may have dropped dirty pages and a later fsync can succeed without writing them
    (PostgreSQL "fsyncgate"), so the process must not tell anyone "saved" and should exit
    and let its supervisor restart it; start-up recovery re-checks the files."""

    def __init__(self, operation: str, errno_name: str) -> None:
        super().__init__(
            f"storage failure during {operation} ({errno_name}); restart the kiosk / 存储故障，请重启终端"
        )


class CorruptDatabase(OutboxError):
    """The outbox database failed its integrity check or is not a database at all.

    The file is left untouched (never replaced silently): its rows and wrapped keys are
    the only way to read the queued applications."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(
            f"outbox database damaged ({detail}): {path}; the kiosk must not take applications; "
            "keep the storage dir and call a technician / 待递交数据库损坏，请联系技术人员"
        )
        self.path = path


class KeyMismatch(OutboxError):
    """The terminal key file is missing or is not the one the database's keys are wrapped with."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"terminal key {path} is missing or does not match the outbox database; restore it "
            "from the terminal's backup / 终端密钥缺失或不匹配"
        )


class UnknownItem(OutboxError):
    """No queued application or evaluation has that id or receipt number."""

    def __init__(self, what: str) -> None:
        super().__init__(f"not in the outbox: {what} / 待递交队列中没有此项")


class BadBundle(OutboxError):
    """An export bundle that is damaged, truncated, or for another passphrase."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"export bundle rejected: {detail} / 导出文件无效")
