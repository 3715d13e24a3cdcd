"""Progress queries and evaluations (好差评), without widgets.

* `read_receipt_no` decides what a scanned or typed text is: one of our receipt
  numbers, a receipt number read wrong (its check characters do not match), or
  something else entirely (a URL, an ID number, a payment code). It only reads the
  text: nothing scanned is ever opened, followed or run (reliability.md §4.2).
* `ProgressService` answers a receipt number or an ID card with a `ProgressResult`:
  the platform's cases in plain words, or, when the platform cannot be reached or
  does not have the application yet, what this terminal itself knows ("本机已受理，
  等待网络上传"). It blocks on the network: call it off the GUI thread.
* `EvaluationService` queues a rating through the outbox, once per case or visit.
* `ProgressDesk` is the behaviour of the progress and rating steps: scans, the keypad
  and the ID card become queries run through the terminal's `background`, floods of
  scans become one message, results become `VisitMachine.progress_found`.

Texts for residents are registered here (kiosk.strings) so that the results can be
described without Qt; the screens only lay them out.
"""

from __future__ import annotations

import collections
import datetime as dt
import enum
import logging
import re
import threading
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from drivers.id_reader.identity import Identity
from drivers.scanner.codec import RejectReason
from drivers.scanner.content import Shape, classify_scan
from drivers.scanner.events import CodeScanned, ScanRejected
from kiosk.catalog import DEFAULT_RATING_LABELS, Catalog, Text
from kiosk.strings import register, t
from kiosk.visit import Step, VisitMachine
from offline_queue.client import Case, Cases, NotFound, PlatformClient, Transient
from offline_queue.errors import NotProvisioned, OutboxError, StorageFull
from offline_queue.model import ApplicationInfo, Kind, State
from offline_queue.receipt_no import ReceiptNumberError, normalise, parse_receipt_no

if TYPE_CHECKING:
    from kiosk.terminal import Terminal
    from offline_queue.outbox import Outbox

log = logging.getLogger(__name__)

#: A resident is waiting: give up quickly and say so honestly, rather than spin.
PROGRESS_TIMEOUT = httpx.Timeout(connect=2.0, read=4.0, write=2.0, pool=2.0)
#: Longer than any receipt number (a 32-character terminal id + 16): past this a scan
#: is something else, and is not even looked at with a regular expression.
MAX_QUERY_CHARS = 64
#: Platform texts (item names, staff notes) are shown as plain text, cut to this length.
MAX_SHOWN_CHARS = 200

_RECEIPT_SHAPE = re.compile(r"^(?P<terminal>[A-Z0-9-]{4,32})-(?P<date>\d{6})-(?P<seq>\d{4,6})(?P<check>[0-9A-Z]{2})$")
_BODY_CHARS = re.compile(r"^[A-Z0-9]+$")
_FINISHED = frozenset({"approved", "rejected", "delivered", "withdrawn"})
STATUSES = ("received", "pre_review", "accepted", "supplement_required", "approved", "rejected",
            "delivering", "delivered", "withdrawn")

# Why a resident was not satisfied (kiosk-features.md (c): the national 好差评 indicators,
# offline 服务效率/服务水平/服务态度 and online 办事效率/办事指南精确度/办事便捷度/平台操作性,
# as they apply to a self-service terminal). The Chinese label is what is sent: it is what
# the department's staff read, and it does not change with the resident's language.
RATING_REASONS: tuple[tuple[str, Text], ...] = (
    ("efficiency", Text("办事效率", "Speed")),
    ("attitude", Text("服务态度", "Staff attitude")),
    ("guide", Text("办事指南准确度", "Guide accuracy")),
    ("convenience", Text("操作便捷度", "Ease of use")),
    ("terminal", Text("设备好用程度", "The machine")),
    ("other", Text("其他", "Other")),
)
LOW_RATING = 2  # ratings at or below this ask what went wrong

register({
    # plain words for each case status, and what to do next
    "progress.status.received": ("已收到申请，等待审核", "Received, waiting for review"),
    "progress.next.received": ("您现在不用做什么，请等待审核。", "Nothing to do for now. Please wait for the review."),
    "progress.status.pre_review": ("工作人员正在检查您的材料", "Staff are checking your documents"),
    "progress.next.pre_review": ("您现在不用做什么。如果要补材料，会短信通知您。",
                                 "Nothing to do. If anything is missing you will get a text message."),
    "progress.status.accepted": ("已正式受理，正在办理", "Accepted and being processed"),
    "progress.next.accepted": ("请等待办理结果，办好后会短信通知您。",
                               "Please wait. You will get a text message when it is done."),
    "progress.status.supplement_required": ("需要补充材料", "More documents are needed"),
    "progress.next.supplement_required": ("请带上身份证和要补的材料，到人工窗口补交。",
                                          "Bring your ID card and the missing documents to a service counter."),
    "progress.status.approved": ("已办好（准予许可）", "Approved"),
    "progress.next.approved": ("请按您选的方式领取：到窗口领取请带身份证；选了邮寄的会寄给您。",
                               "Collect it as you chose: bring your ID card to the counter, or wait for the post."),
    "progress.status.rejected": ("已办结（不予许可）", "Not approved"),
    "progress.next.rejected": ("想了解原因，请到人工窗口咨询。", "Please ask at a service counter if you want to know why."),
    "progress.status.delivering": ("证件正在邮寄给您", "On its way to you by post"),
    "progress.next.delivering": ("请留意快递员的电话，也可以用下面的快递单号查询。",
                                 "Watch for the courier's call; you can track it with the number below."),
    "progress.status.delivered": ("已送达，办理完成", "Delivered — all done"),
    "progress.next.delivered": ("这件事已经办完了。", "This is finished."),
    "progress.status.withdrawn": ("申请已撤回", "Withdrawn"),
    "progress.next.withdrawn": ("如果还需要办理，请重新申请。", "Apply again if you still need it."),
    "progress.status.unknown": ("办理中", "In progress"),
    "progress.next.unknown": ("如有疑问，请到人工窗口咨询。", "Ask at a service counter if you have questions."),
    # short words for the history
    "progress.hist.received": ("收到申请", "Received"),
    "progress.hist.pre_review": ("开始预审", "Pre-review"),
    "progress.hist.accepted": ("正式受理", "Accepted"),
    "progress.hist.supplement_required": ("要求补充材料", "More documents asked for"),
    "progress.hist.approved": ("办结：准予许可", "Approved"),
    "progress.hist.rejected": ("办结：不予许可", "Not approved"),
    "progress.hist.delivering": ("交快递寄出", "Sent by post"),
    "progress.hist.delivered": ("已送达", "Delivered"),
    "progress.hist.withdrawn": ("撤回", "Withdrawn"),
    # what this terminal knows of an application the platform does not show
    "progress.local.waiting": ("本机已受理，等待网络上传", "Received on this terminal, waiting to upload"),
    "progress.local.waiting_next": ("联网后会自动上传，您不用再跑一趟。上传后就能查到办理进度。",
                                    "It uploads by itself when the network is back; you do not need to come again."),
    "progress.local.problem": ("本机已受理，上传时遇到问题", "Received here; the upload needs staff"),
    "progress.local.problem_next": ("您的申请不会丢失，工作人员会处理。有疑问请到人工窗口咨询。",
                                    "Your application is safe and staff will deal with it. Ask at a counter if unsure."),
    "progress.local.uploaded": ("已上传到审批部门", "Uploaded to the department"),
    "progress.local.uploaded_next": ("网络恢复后就能查到最新进度。", "You can see the latest progress once the network is back."),
    # outcomes and messages (title, then what to do)
    "progress.msg.local_offline": ("网络暂时中断，查不到最新进度", "The network is down: the latest progress cannot be checked"),
    "progress.msg.local_offline_next": ("下面是本机记录的信息。", "Below is what this terminal has on record."),
    "progress.msg.local_pending": ("审批部门还没有收到这份申请", "The department has not received this application yet"),
    "progress.msg.local_pending_next": ("它还在本机等待上传。下面是本机记录的信息。",
                                        "It is still waiting to upload from this terminal. Below is what it has on record."),
    "progress.msg.local_unavailable": ("暂时查不到最新进度", "The latest progress cannot be checked right now"),
    "progress.msg.local_unavailable_next": ("下面是本机记录的信息。有疑问请到人工窗口咨询。",
                                            "Below is what this terminal has on record. Ask at a counter if unsure."),
    "progress.msg.not_found": ("没有查到这个回执号", "No application with this receipt number"),
    "progress.msg.not_found_next": ("如果是刚在其他自助终端办的，可能还在上传，请过一会儿再查；也可以到人工窗口咨询。",
                                    "If you applied at another kiosk just now it may still be uploading: try again later, or ask at a counter."),
    "progress.msg.offline": ("网络暂时中断，现在查不到", "The network is down: progress cannot be checked now"),
    "progress.msg.offline_next": ("请过一会儿再试，或到人工窗口咨询。", "Please try again later, or ask at a service counter."),
    "progress.msg.unavailable": ("查询服务暂时不能用", "Progress checking is not available right now"),
    "progress.msg.unavailable_next": ("请到人工窗口咨询，工作人员可以帮您查。", "Please ask at a service counter; staff can look it up."),
    "progress.msg.no_cases": ("没有查到您名下的办件", "No applications found for this ID card"),
    "progress.msg.no_cases_next": ("刚提交的申请可能还在上传，可以用回执号查询；也可以到人工窗口咨询。",
                                   "One you just submitted may still be uploading: use its receipt number, or ask at a counter."),
    "progress.msg.misread": ("回执号没有读对", "The receipt number was not read correctly"),
    "progress.msg.misread_next": ("请把回执放平，对准扫码口再扫一次；也可以用下面的按键输入回执号。",
                                  "Hold the receipt flat to the red light again, or type the number."),
    "progress.msg.typo": ("回执号不对", "That receipt number is not right"),
    "progress.msg.typo_next": ("请对照回执上的号码，检查后再点“查询”。短横线可以不输。",
                               "Check it against your receipt and tap Search. Dashes are optional."),
    "progress.msg.empty": ("请先输入回执号", "Please type the receipt number first"),
    "progress.msg.empty_next": ("回执号印在受理回执的上方，例如 T0001-261123-0427QN。",
                                "It is printed at the top of your receipt, e.g. T0001-261123-0427QN."),
    "progress.msg.not_ours": ("这不是受理回执的二维码", "This is not a receipt QR code"),
    "progress.msg.not_ours_next": ("请扫回执上的二维码。其他二维码（如网址）这里不会打开。",
                                   "Scan the code on your receipt. Web links are never opened here."),
    "progress.msg.unreadable": ("没有扫清楚", "The code could not be read"),
    "progress.msg.unreadable_next": ("请把回执放平，对准扫码口再扫一次。", "Hold the receipt flat to the red light and try again."),
    "progress.msg.flood": ("扫码太频繁了", "Too many codes at once"),
    "progress.msg.flood_next": ("请拿开其他二维码，一次只扫一张回执。", "Take other codes away; scan one receipt at a time."),
    # dates
    "progress.due": ("承诺办结日期：{date}前", "Promised by {date}"),
    "progress.tracking": ("快递单号：{no}", "Tracking number: {no}"),
    "progress.case_no": ("办件编号：{no}", "Case number: {no}"),
    "progress.receipt_no": ("回执号：{no}", "Receipt: {no}"),
    "progress.submitted_here": ("{at} 在本机提交", "Submitted here on {at}"),
})


# -- reading what was scanned or typed --------------------------------------------------------
class Reading(enum.Enum):
    RECEIPT = "receipt"
    MISREAD = "misread"  # shaped like our receipt numbers, check characters do not match
    TYPO = "typo"  # typed on the keypad and not a valid receipt number
    EMPTY = "empty"
    NOT_OURS = "not_ours"  # a URL, an ID number, a payment code: never opened


@dataclass(frozen=True)
class ReadText:
    reading: Reading
    receipt_no: str | None = None


def _without_dashes(value: str) -> str | None:
    """`T00012611230427QN` → `T0001-261123-0427QN`: a number typed without its dashes,
    split from the right (2 check characters, a 4-digit sequence, a 6-digit date). The
    check characters ignore dashes, so this never turns a wrong number into a right one."""
    body = value.replace("-", "")
    if not _BODY_CHARS.match(body) or len(body) < 16:
        return None
    terminal, date, seq, check = body[:-12], body[-12:-6], body[-6:-2], body[-2:]
    if not (date.isdigit() and seq.isdigit()):
        return None
    return f"{terminal}-{date}-{seq}{check}"


def read_receipt_no(text: str, *, typed: bool = False) -> ReadText:
    """What a scanned (or, with `typed`, keyed-in) text is. Pure and fast."""
    if len(text) > MAX_QUERY_CHARS:
        return ReadText(Reading.TYPO if typed else Reading.NOT_OURS)
    kind = classify_scan(text)
    if kind.shape is Shape.EMPTY:
        return ReadText(Reading.EMPTY if typed else Reading.NOT_OURS)
    if kind.looks_like_url or kind.looks_like_markup or kind.looks_like_path or kind.has_control_chars:
        return ReadText(Reading.TYPO if typed else Reading.NOT_OURS)
    value = normalise(text)
    candidates = [value]
    # Without its dashes only when typed: a scanner reads the dashes the QR code holds,
    # and an 18-digit ID number must not pass for a receipt number read wrong.
    if typed and not _RECEIPT_SHAPE.match(value):
        redashed = _without_dashes(value)
        if redashed is not None:
            candidates.append(redashed)
    for candidate in candidates:
        try:
            return ReadText(Reading.RECEIPT, parse_receipt_no(candidate))
        except ReceiptNumberError:
            continue
    if typed:
        return ReadText(Reading.TYPO)
    if any(_RECEIPT_SHAPE.match(c) for c in candidates):
        return ReadText(Reading.MISREAD)
    return ReadText(Reading.NOT_OURS)


# -- what a resident is shown ------------------------------------------------------------------
def clean(text: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """A platform's text made safe to show: no control, format (bidi) or separator
    characters, one line, at most `limit` characters."""
    if not isinstance(text, str):
        return ""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" " if ch in "\t\r\n\u2028\u2029" else "")
        else:
            out.append(ch)
    shown = " ".join("".join(out).split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _text(value: Mapping[str, str] | None) -> Text | None:
    if not value:
        return None
    zh = clean(value.get("zh", ""))
    en = clean(value.get("en", "")) or None
    if not zh and not en:
        return None
    return Text(zh or (en or ""), en)


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(day: dt.date, lang: str) -> str:
    if lang == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def format_when(when: dt.datetime, lang: str, *, short: bool = False) -> str:
    """A moment in the hall's local time, as a resident reads it; `short` leaves out
    the year when it is this year's."""
    local = when.astimezone()
    year = not short or local.year != dt.datetime.now(dt.UTC).astimezone().year
    if lang == "en":
        return f"{local.day} {_MONTHS[local.month - 1]}{f' {local.year}' if year else ''} {local:%H:%M}"
    return f"{f'{local.year}年' if year else ''}{local.month}月{local.day}日 {local:%H:%M}"


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime | None
    status: str | None
    note: str = field(default="", repr=False)  # a staff member's words: may name people

    def words(self, lang: str) -> str:
        if self.status in STATUSES:
            return t(f"progress.hist.{self.status}", lang)
        return clean(self.status or "")


@dataclass(frozen=True)
class RatingTarget:
    """What a rating is about: a case, a submission of this terminal, or (neither) the
    visit itself. `evaluated`: the platform says the case has been rated already."""

    case_no: str | None = None
    submission_id: str | None = None
    receipt_no: str | None = None
    item_name: Text | None = None
    evaluated: bool = False
    visit: int | None = None

    def keys(self) -> frozenset[str]:
        keys = set()
        if self.case_no:
            keys.add(f"case:{self.case_no}")
        if self.submission_id:
            keys.add(f"submission:{self.submission_id}")
        if self.receipt_no:
            keys.add(f"receipt:{self.receipt_no}")
        if not keys and self.visit is not None:
            keys.add(f"visit:{self.visit}")
        return frozenset(keys)

    @property
    def is_visit(self) -> bool:
        return not (self.case_no or self.submission_id or self.receipt_no)


@dataclass(frozen=True)
class CaseView:
    """A case as a resident reads it on the terminal."""

    case_no: str
    receipt_no: str | None
    item_name: Text
    status: str | None
    platform_status_text: Text | None
    due_date: dt.date | None
    tracking_no: str | None
    history: tuple[HistoryEntry, ...]  # oldest first
    evaluated: bool
    submission_id: str | None = None  # when this terminal took the application
    applicant_name_masked: str | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in _FINISHED

    @property
    def needs_action(self) -> bool:
        return self.status == "supplement_required"

    def status_words(self, lang: str) -> str:
        if self.status in STATUSES:
            return t(f"progress.status.{self.status}", lang)
        if self.platform_status_text is not None:
            return self.platform_status_text.get(lang)
        return t("progress.status.unknown", lang)

    def next_step(self, lang: str) -> str:
        key = self.status if self.status in STATUSES else "unknown"
        return t(f"progress.next.{key}", lang)

    def rating_target(self) -> RatingTarget:
        return RatingTarget(case_no=self.case_no, submission_id=self.submission_id, receipt_no=self.receipt_no,
                            item_name=self.item_name, evaluated=self.evaluated)


@dataclass(frozen=True)
class LocalView:
    """An application this terminal took, as far as it knows (the platform does not
    show it, or cannot be asked)."""

    receipt_no: str
    submission_id: str
    item_name: Text
    state: State
    created_at: dt.datetime | None
    case_no: str | None
    evaluated: bool = False

    @property
    def _kind(self) -> str:
        if self.state in (State.DELIVERED, State.PURGED):
            return "uploaded"
        if self.state is State.QUARANTINED:
            return "problem"
        return "waiting"

    def status_words(self, lang: str) -> str:
        return t(f"progress.local.{self._kind}", lang)

    def next_step(self, lang: str) -> str:
        return t(f"progress.local.{self._kind}_next", lang)

    @property
    def needs_action(self) -> bool:
        return self.state is State.QUARANTINED

    def rating_target(self) -> RatingTarget:
        return RatingTarget(case_no=self.case_no, submission_id=self.submission_id, receipt_no=self.receipt_no,
                            item_name=self.item_name, evaluated=self.evaluated)


class Outcome(enum.Enum):
    FOUND = "found"  # the platform answered with cases
    LOCAL = "local"  # the platform does not have it yet, or cannot be asked; this terminal does
    NOT_FOUND = "not_found"  # neither the platform nor this terminal knows the receipt number
    NO_CASES = "no_cases"  # an ID card with no cases
    OFFLINE = "offline"  # the platform cannot be reached and this terminal knows nothing
    UNAVAILABLE = "unavailable"  # the platform refused the terminal (401, 4xx) or it is not provisioned
    MISREAD = "misread"
    TYPO = "typo"
    EMPTY = "empty"
    NOT_OURS = "not_ours"


class QueryKind(enum.Enum):
    RECEIPT = "receipt"
    CARD = "card"


@dataclass(frozen=True)
class ProgressResult:
    outcome: Outcome
    by: QueryKind = QueryKind.RECEIPT
    receipt_no: str | None = None
    cases: tuple[CaseView, ...] = ()
    local: LocalView | None = None
    platform_reachable: bool | None = None  # None: not asked
    holder_masked: str | None = field(default=None, repr=False)  # 张*明, for a card search
    elapsed_ms: float = 0.0

    @property
    def message(self) -> str | None:
        """The text key of the message shown above the results (None: nothing to say)."""
        if self.outcome is Outcome.FOUND:
            return None
        if self.outcome is Outcome.LOCAL:
            if self.platform_reachable is None:
                return "progress.msg.local_unavailable"
            return "progress.msg.local_pending" if self.platform_reachable else "progress.msg.local_offline"
        return f"progress.msg.{self.outcome.value}"

    @property
    def is_error(self) -> bool:
        return self.outcome not in (Outcome.FOUND, Outcome.LOCAL)


_READING_OUTCOME = {
    Reading.MISREAD: Outcome.MISREAD, Reading.TYPO: Outcome.TYPO, Reading.EMPTY: Outcome.EMPTY,
    Reading.NOT_OURS: Outcome.NOT_OURS,
}


# -- the service ---------------------------------------------------------------------------------
OutboxProvider = Callable[[], "Outbox | None"]
ClientProvider = Callable[[], PlatformClient | None]
CatalogProvider = Callable[[], Catalog | None]


class ProgressService:
    """Receipt number or ID card → `ProgressResult`. Blocks on the network (at most the
    client's short timeouts): never call it on the GUI thread. Thread-safe.

    `client` returns a fresh client for one query (the service closes it), or None when
    the terminal is not provisioned."""

    def __init__(self, *, outbox: OutboxProvider, client: ClientProvider, catalog: CatalogProvider = lambda: None,
                 rated: Callable[[RatingTarget], bool] = lambda target: False) -> None:
        self._outbox = outbox
        self._client = client
        self._catalog = catalog
        self._rated = rated

    def __repr__(self) -> str:
        return "ProgressService()"

    def query_text(self, text: str, *, typed: bool = False) -> ProgressResult:
        read = read_receipt_no(text, typed=typed)
        if read.reading is not Reading.RECEIPT or read.receipt_no is None:
            return ProgressResult(_READING_OUTCOME[read.reading])
        return self.by_receipt(read.receipt_no)

    def by_receipt(self, receipt_no: str) -> ProgressResult:
        started = time.perf_counter()
        info = self._local_info(receipt_no)
        answer = self._ask(lambda client: client.case_by_receipt(receipt_no))

        def done(outcome: Outcome, **kw: Any) -> ProgressResult:
            return ProgressResult(outcome, QueryKind.RECEIPT, receipt_no,
                                  elapsed_ms=round((time.perf_counter() - started) * 1000, 1), **kw)

        if isinstance(answer, Case):
            return done(Outcome.FOUND, cases=(self._case_view(answer, info),), platform_reachable=True)
        # True: the platform answered (it does not have it); False: no answer at all;
        # None: it refused this terminal (401, 4xx) or the terminal is not provisioned.
        reachable = True if isinstance(answer, NotFound) else False if isinstance(answer, Transient) else None
        if info is not None:
            return done(Outcome.LOCAL, local=self._local_view(info), platform_reachable=reachable)
        if isinstance(answer, NotFound):
            return done(Outcome.NOT_FOUND, platform_reachable=True)
        if isinstance(answer, Transient):
            return done(Outcome.OFFLINE, platform_reachable=False)
        return done(Outcome.UNAVAILABLE, platform_reachable=reachable)

    def by_identity(self, identity: Identity) -> ProgressResult:
        """All cases of the person whose card was just read (newest first). The ID
        number goes to the platform and nowhere else: not to logs, not to the result."""
        started = time.perf_counter()
        id_type, id_number = identity.id_type.value, identity.id_number
        answer = self._ask(lambda client: client.search_cases(id_type, id_number))
        holder = identity.masked_name

        def done(outcome: Outcome, **kw: Any) -> ProgressResult:
            return ProgressResult(outcome, QueryKind.CARD, holder_masked=holder,
                                  elapsed_ms=round((time.perf_counter() - started) * 1000, 1), **kw)

        if isinstance(answer, Cases):
            if not answer.cases:
                return done(Outcome.NO_CASES, platform_reachable=True)
            views = tuple(self._case_view(case, self._local_info(case.receipt_no) if case.receipt_no else None)
                          for case in answer.cases)
            return done(Outcome.FOUND, cases=views, platform_reachable=True)
        if isinstance(answer, Transient):
            return done(Outcome.OFFLINE, platform_reachable=False)
        return done(Outcome.UNAVAILABLE, platform_reachable=answer is not None)

    # -- internals ------------------------------------------------------------------------------
    def _ask(self, call: Callable[[PlatformClient], Any]) -> Any:
        try:
            client = self._client()
        except Exception as exc:  # a broken credentials file must not crash the query
            log.warning("no platform client: %s", type(exc).__name__)
            return None
        if client is None:
            return None
        try:
            answer = call(client)
        finally:
            client.close()
        if isinstance(answer, Transient):
            log.info("progress query: platform unreachable (%s)", answer.reason)
        elif not isinstance(answer, Case | Cases | NotFound):
            log.warning("progress query refused: %s", type(answer).__name__)
        return answer

    def _local_info(self, receipt_no: str) -> ApplicationInfo | None:
        outbox = self._outbox()
        if outbox is None:
            return None
        try:
            return outbox.lookup(receipt_no)
        except OutboxError:
            return None  # UnknownItem: not one of ours; a broken outbox: nothing to add

    def _item_name(self, code: str | None, given: Text | None = None) -> Text:
        if given is not None:
            return given
        catalog = self._catalog()
        item = catalog.get(code) if catalog is not None and code else None
        if item is not None:
            return item.name
        return Text(clean(code or "", 40) or "—")

    def _case_view(self, case: Case, info: ApplicationInfo | None) -> CaseView:
        history = tuple(
            HistoryEntry(_datetime(h.get("at")), h.get("status") if isinstance(h.get("status"), str) else None,
                         clean(h.get("note", "")))
            for h in case.history
        )
        view = CaseView(
            case_no=clean(case.case_no, 40), receipt_no=clean(case.receipt_no, 48) or None,
            item_name=self._item_name(case.item_code, _text(case.item_name)), status=case.status,
            platform_status_text=_text(case.status_text), due_date=_date(case.due_date),
            tracking_no=clean(case.tracking_no, 40) or None, history=history, evaluated=bool(case.evaluated),
            submission_id=info.submission_id if info is not None else None,
            applicant_name_masked=clean(case.applicant_name_masked, 20) or None,
        )
        if not view.evaluated and self._rated(view.rating_target()):
            view = replace(view, evaluated=True)
        return view

    def _local_view(self, info: ApplicationInfo) -> LocalView:
        view = LocalView(receipt_no=info.receipt_no, submission_id=info.submission_id,
                         item_name=self._item_name(info.item_code), state=info.state,
                         created_at=_datetime(info.created_at), case_no=info.case_no)
        if self._rated(view.rating_target()):
            view = replace(view, evaluated=True)
        return view


# -- evaluations ---------------------------------------------------------------------------------
class RateStatus(enum.Enum):
    QUEUED = "queued"
    ALREADY_RATED = "already_rated"
    FAILED = "failed"


@dataclass(frozen=True)
class RateResult:
    status: RateStatus
    evaluation_id: str | None = None
    problem: str = ""  # storage | disk_full | not_provisioned


def rating_label(catalog: Catalog | None, stars: int) -> Text:
    """The catalog's label for a rating (the national labels by default)."""
    if catalog is not None:
        try:
            return catalog.rating_label(stars)
        except (IndexError, ValueError):
            pass
    return DEFAULT_RATING_LABELS[5 - stars]


class EvaluationService:
    """Queues ratings through the outbox, delivered like applications. One rating per
    case, per submission of this terminal, or per visit (一次一评): a second one is
    refused (`ALREADY_RATED`) however it is asked for. Thread-safe."""

    _REMEMBERED = 4096  # keys kept in memory; older ones are found in the outbox or on the platform

    def __init__(self, outbox: OutboxProvider, *, wake: Callable[[], None] = lambda: None) -> None:
        self._outbox = outbox
        self._wake = wake
        self._lock = threading.Lock()
        self._rated: set[str] = set()
        self._order: collections.deque[str] = collections.deque()

    def __repr__(self) -> str:
        return f"EvaluationService({len(self._rated)} remembered)"

    def known_rated(self, target: RatingTarget) -> bool:
        """Cheap: rated according to the platform or to this process's memory."""
        if target.evaluated:
            return True
        with self._lock:
            return bool(target.keys() & self._rated)

    def rate(self, target: RatingTarget, stars: int, reasons: Iterable[str] = (), comment: str = "") -> RateResult:
        """Queue the rating durably (blocks on the disk: not on the GUI thread)."""
        if not 1 <= stars <= 5:
            raise ValueError("stars must be 1..5")
        reasons = [r for r in reasons if r]
        comment = clean(comment, 500)
        with self._lock:
            if target.evaluated or target.keys() & self._rated:
                return RateResult(RateStatus.ALREADY_RATED)
            outbox = self._outbox()
            if outbox is None:
                return RateResult(RateStatus.FAILED, problem="storage")
            if self._queued_in(outbox, target):
                self._remember(target.keys())
                return RateResult(RateStatus.ALREADY_RATED)
            try:
                eid = outbox.enqueue_evaluation(stars, case_no=target.case_no, submission_id=target.submission_id,
                                                reasons=reasons, comment=comment or None)
            except NotProvisioned:
                return RateResult(RateStatus.FAILED, problem="not_provisioned")
            except StorageFull:
                return RateResult(RateStatus.FAILED, problem="disk_full")
            except OutboxError as exc:
                log.error("evaluation not queued: %s", type(exc).__name__)
                return RateResult(RateStatus.FAILED, problem="storage")
            self._remember(target.keys())
        log.info("evaluation %s queued (%d stars)", eid, stars)
        try:
            self._wake()
        except Exception:  # the sync worker being away must not undo a queued rating
            log.warning("could not wake the sync worker", exc_info=True)
        return RateResult(RateStatus.QUEUED, eid)

    def _remember(self, keys: Iterable[str]) -> None:
        for key in keys:
            if key in self._rated:
                continue
            self._rated.add(key)
            self._order.append(key)
            if len(self._order) > self._REMEMBERED:
                self._rated.discard(self._order.popleft())

    @staticmethod
    def _queued_in(outbox: Outbox, target: RatingTarget) -> bool:
        """A rating for the same case or submission still in the outbox (queued before
        a restart; once delivered the platform's `evaluated` says so)."""
        if not (target.case_no or target.submission_id):
            return False
        try:
            items = outbox.list((State.PENDING, State.DELIVERING, State.DELIVERED, State.QUARANTINED), limit=1000)
        except OutboxError:
            return False
        for item in items:
            if item.kind is not Kind.EVALUATION:
                continue
            try:
                body = outbox.payload(Kind.EVALUATION, item.id)
            except Exception:  # a row that cannot be read does not decide anything
                continue
            if target.case_no and body.get("case_no") == target.case_no:
                return True
            if target.submission_id and body.get("submission_id") == target.submission_id:
                return True
        return False


# -- the desk: scans, keypad, card → queries → the visit -------------------------------------------
class NoticeKind(enum.Enum):
    MISREAD = "misread"
    TYPO = "typo"
    EMPTY = "empty"
    NOT_OURS = "not_ours"
    UNREADABLE = "unreadable"
    FLOOD = "flood"


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    at: float

    @property
    def message(self) -> str:
        return f"progress.msg.{self.kind.value}"


_NOTICE_OF = {
    Reading.MISREAD: NoticeKind.MISREAD, Reading.TYPO: NoticeKind.TYPO, Reading.EMPTY: NoticeKind.EMPTY,
    Reading.NOT_OURS: NoticeKind.NOT_OURS,
}


@dataclass(frozen=True)
class _Query:
    kind: QueryKind
    receipt_no: str | None = None
    identity: Identity | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RatingState:
    busy: bool = False
    result: RateResult | None = None


Background = Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]


class ProgressDesk:
    """What the progress and rating steps do, without widgets (the screens render it).

    Scans from the scanner (`handle_scan`), numbers from the keypad (`typed`) and the ID
    card (a `card_read` on PROGRESS) become one query at a time, run through
    `background`; the newest waiting query replaces an older one. A flood of scans is
    one message, not one query or message per scan. Everything is forgotten when the
    visit ends."""

    FLOOD_SCANS = 5  # more scans than this within FLOOD_WINDOW_S is not a person
    FLOOD_WINDOW_S = 2.0
    QUIET_S = 2.0  # after a flood, scans are ignored until the scanner is this quiet
    REPEAT_S = 3.0  # the same receipt again within this is the same presentation

    def __init__(self, machine: VisitMachine, background: Background, progress: ProgressService,
                 evaluations: EvaluationService, *, clock: Callable[[], float] = time.monotonic,
                 catalog: CatalogProvider = lambda: None) -> None:
        self.machine = machine
        self.progress = progress
        self.evaluations = evaluations
        self._background = background
        self._clock = clock
        self._catalog = catalog
        self.busy = False
        self.notice: Notice | None = None
        self.rating = RatingState()
        self._result: ProgressResult | None = None
        self.events_seen = 0  # scanner events handed to handle_scan
        self.scans_seen = 0  # codes scanned on the progress step
        self.queries_started = 0
        self._pending: _Query | None = None
        self._generation = 0
        self._scan_times: collections.deque[float] = collections.deque()
        self._flood_until = float("-inf")
        self._last_receipt: tuple[str, float] | None = None
        self._searched: Identity | None = None
        self._target: RatingTarget | None = None
        self._visit_no = machine.visits_ended
        self._step = machine.step
        machine.subscribe(self._machine_changed)

    def __repr__(self) -> str:
        return f"ProgressDesk(busy={self.busy}, notice={self.notice})"

    @property
    def catalog(self) -> Catalog | None:
        return self._catalog()

    @property
    def result(self) -> ProgressResult | None:
        """The answer shown on the progress step (None: the question is shown). Also in
        the visit (`progress_found`); a new arrival at the step starts with the question."""
        return self._result

    # -- input ---------------------------------------------------------------------------------
    def handle_scan(self, event: object) -> None:
        """GUI thread: a scanner event (CodeScanned / ScanRejected). A code scanned on
        the attract or home screen opens the progress step; elsewhere it is ignored."""
        self.events_seen += 1
        step = self.machine.step
        if isinstance(event, ScanRejected):
            if step is not Step.PROGRESS:
                return
            if event.reason is RejectReason.FLOOD:
                self._flooded(self._clock())
            elif self.notice is None or self.notice.kind is not NoticeKind.FLOOD:
                self._notify(NoticeKind.UNREADABLE)
            return
        if not isinstance(event, CodeScanned):
            return
        if step in (Step.ATTRACT, Step.HOME):
            self.machine.choose_progress()
        elif step is not Step.PROGRESS:
            log.debug("scan ignored on %s", step.value)
            return
        self.scanned(event.text)

    def scanned(self, text: str) -> None:
        """A code scanned on the progress step."""
        now = self._clock()
        self.scans_seen += 1
        self._scan_times.append(now)
        while self._scan_times and now - self._scan_times[0] > self.FLOOD_WINDOW_S:
            self._scan_times.popleft()
        if now < self._flood_until:
            self._flood_until = now + self.QUIET_S  # still flooding: stay quiet
            return
        if len(self._scan_times) > self.FLOOD_SCANS:
            self._flooded(now)
            return
        read = read_receipt_no(text)
        if read.reading is not Reading.RECEIPT or read.receipt_no is None:
            self._notify(_NOTICE_OF[read.reading])
            return
        last = self._last_receipt
        if last is not None and last[0] == read.receipt_no and now - last[1] < self.REPEAT_S:
            return  # the same receipt held under the scanner: already being answered
        self._last_receipt = (read.receipt_no, now)
        self._start(_Query(QueryKind.RECEIPT, read.receipt_no))

    def typed(self, text: str) -> None:
        """The resident tapped 查询 under the keypad."""
        read = read_receipt_no(text, typed=True)
        if read.reading is not Reading.RECEIPT or read.receipt_no is None:
            self._notify(_NOTICE_OF[read.reading])
            return
        self._last_receipt = (read.receipt_no, self._clock())
        self._start(_Query(QueryKind.RECEIPT, read.receipt_no))

    def query_again(self) -> None:
        """Back to the question: forget the shown result and any message."""
        if self.machine.step is not Step.PROGRESS:
            return
        self.notice = None
        self._last_receipt = None
        self._result = None
        self.machine.progress_found("", None)

    def dismiss_notice(self) -> None:
        if self.notice is not None:
            self.notice = None
            self.machine.refresh()

    # -- rating ---------------------------------------------------------------------------------
    def rate(self, target: RatingTarget | None = None) -> None:
        """From a case on the progress step (or the visit, when `target` is None)."""
        self._target = target
        self.machine.choose_rate()

    def rating_target(self) -> RatingTarget:
        if self._target is not None:
            return self._target
        visit = self.machine.visit
        if visit.submission_id:
            catalog = self._catalog()
            item = catalog.get(visit.item_code) if catalog is not None and visit.item_code else None
            return RatingTarget(submission_id=visit.submission_id, receipt_no=visit.receipt_no,
                                item_name=item.name if item is not None else None)
        return RatingTarget(visit=self._visit_no)

    def already_rated(self) -> bool:
        target = self.rating_target()
        if target.is_visit and self.machine.visit.rating is not None:
            return True
        if self.rating.result is not None and self.rating.result.status is RateStatus.ALREADY_RATED:
            return True
        return self.evaluations.known_rated(target)

    def submit_rating(self, stars: int, reasons: Iterable[str] = (), comment: str = "") -> None:
        if self.machine.step is not Step.RATE or self.rating.busy:
            return
        if not 1 <= stars <= 5:
            raise ValueError("stars must be 1..5")
        reasons = list(reasons)
        target = self.rating_target()
        if target.is_visit and self.machine.visit.rating is not None:
            self.rating = RatingState(result=RateResult(RateStatus.ALREADY_RATED))
            self.machine.refresh()
            return
        visit_no = self._visit_no
        self.rating = RatingState(busy=True)
        self.machine.refresh()

        def done(result: Any, exc: BaseException | None) -> None:
            if self._visit_no != visit_no or self.machine.step is not Step.RATE:
                return
            if exc is not None or not isinstance(result, RateResult):
                log.error("rating failed: %s", type(exc).__name__ if exc else "no result")
                result = RateResult(RateStatus.FAILED, problem="storage")
            self.rating = RatingState(result=result)
            if result.status is RateStatus.QUEUED:
                self.machine.rated(stars, reasons)
            else:
                self.machine.refresh()

        self._background(lambda: self.evaluations.rate(target, stars, reasons, comment), done)

    # -- internals ------------------------------------------------------------------------------
    def _notify(self, kind: NoticeKind) -> None:
        self.notice = Notice(kind, self._clock())
        self.machine.refresh()

    def _flooded(self, now: float) -> None:
        self._flood_until = now + self.QUIET_S
        self._pending = None
        if self.notice is None or self.notice.kind is not NoticeKind.FLOOD:
            log.info("scanner flood: ignoring scans until it is quiet")
            self._notify(NoticeKind.FLOOD)

    def _start(self, query: _Query) -> None:
        if self.busy:
            self._pending = query  # the newest waits; older waiting ones are dropped
            return
        self.busy = True
        self.notice = None
        self.queries_started += 1
        generation = self._generation
        self.machine.refresh()
        if query.kind is QueryKind.CARD and query.identity is not None:
            identity = query.identity

            def work() -> ProgressResult:
                return self.progress.by_identity(identity)
        else:
            receipt_no = query.receipt_no or ""

            def work() -> ProgressResult:
                return self.progress.by_receipt(receipt_no)

        self._background(work, lambda result, exc: self._finished(generation, query, result, exc))

    def _finished(self, generation: int, query: _Query, result: Any, exc: BaseException | None) -> None:
        if generation != self._generation:
            return  # the resident left the progress step or the visit ended meanwhile
        self.busy = False
        if exc is not None or not isinstance(result, ProgressResult):
            log.error("progress query failed: %s", type(exc).__name__ if exc else "no result")
            result = ProgressResult(Outcome.UNAVAILABLE, query.kind, query.receipt_no)
        pending, self._pending = self._pending, None
        if pending is not None:
            self._start(pending)  # a newer question is waiting: this answer is stale
            return
        if self.machine.step is Step.PROGRESS:
            self._result = result
            self.machine.progress_found(query.receipt_no or query.kind.value, result)
        else:
            self.machine.refresh()

    def _reset(self) -> None:
        self._generation += 1
        self.busy = False
        self.notice = None
        self._pending = None
        self._searched = None
        self._target = None
        self._last_receipt = None
        self._result = None
        self.rating = RatingState()

    def _machine_changed(self, machine: VisitMachine) -> None:
        if machine.visits_ended != self._visit_no:  # a new visit: nothing of the last one stays
            self._visit_no = machine.visits_ended
            self._reset()
        step = machine.step
        if step is not self._step:
            previous, self._step = self._step, step
            if previous is Step.PROGRESS:
                self._generation += 1  # answers still on their way are for a screen no longer shown
                self.busy = False
                self._pending = None
                self.notice = None
            if step is Step.PROGRESS:
                self._result = None  # arriving at the step: the question, not an old answer
                self._last_receipt = None
            if previous is Step.RATE or step is Step.RATE:
                self.rating = RatingState()
            if step not in (Step.RATE, Step.THANKS):
                self._target = None
        if step is Step.PROGRESS:
            identity = machine.visit.identity
            if identity is not None and identity is not self._searched:
                self._searched = identity
                self._start(_Query(QueryKind.CARD, identity=identity))


# -- one desk per terminal --------------------------------------------------------------------------
_DESKS: weakref.WeakKeyDictionary[Any, ProgressDesk] = weakref.WeakKeyDictionary()


def desk_for(terminal: Terminal) -> ProgressDesk:
    """The terminal's desk, made on first use. Screens and the scanner wiring share it.

    Uses `terminal.machine`, `.background`, `.clock`, `.outbox`, `.catalog`, `.sync` and
    `.config.storage_dir` (credentials are read per query, so a re-provisioned terminal
    needs no restart)."""
    desk = _DESKS.get(terminal)
    if desk is None:
        desk = make_desk(terminal)
        _DESKS[terminal] = desk
    return desk


def make_desk(terminal: Terminal) -> ProgressDesk:
    from offline_queue.sync import platform_client

    storage_dir = terminal.config.storage_dir

    def wake() -> None:
        sync = getattr(terminal, "sync", None)
        if sync is not None:
            sync.wake()

    evaluations = EvaluationService(lambda: terminal.outbox, wake=wake)
    progress = ProgressService(
        outbox=lambda: terminal.outbox,
        client=lambda: platform_client(storage_dir, timeout=PROGRESS_TIMEOUT),
        catalog=lambda: terminal.catalog,
        rated=evaluations.known_rated,
    )
    return ProgressDesk(terminal.machine, terminal.background, progress, evaluations, clock=terminal.clock,
                        catalog=lambda: terminal.catalog)


def reason_code(value: str) -> str:
    """A reason's code from its code or its Chinese or English label (as a tour names it)."""
    for code, label in RATING_REASONS:
        if value in (code, label.zh, label.en):
            return code
    raise KeyError(f"unknown rating reason {value!r}")
