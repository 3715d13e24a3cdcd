"""Progress queries against the real reference platform on loopback: a receipt the
platform has, one it does not have yet, one nobody knows, a platform that is down or
refuses the terminal, an ID card; and what a scanned text may be (a misread receipt,
a URL) before anything is asked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.id_reader.identity import Identity
from kiosk.progress import (
    Outcome,
    ProgressService,
    QueryKind,
    Reading,
    clean,
    format_date,
    read_receipt_no,
)
from offline_queue.outbox import Outbox
from offline_queue.receipt_no import make_receipt_no
from offline_queue.sync import SyncWorker, platform_client
from tests.fakes import CANARY_ID_NUMBER, sample_identity
from tests.offline_queue.helpers import CATALOG, make_app, provision


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Any]:
    from kiosk.refplatform.server import start_in_thread

    running = start_in_thread(tmp_path / "platform", catalog_path=CATALOG)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def storage(tmp_path: Path, platform: Any) -> Path:
    directory = tmp_path / "storage"
    provision(directory, platform.url, platform.new_enrollment_code())
    return directory


@pytest.fixture
def outbox(storage: Path) -> Iterator[Outbox]:
    box = Outbox(storage)
    try:
        yield box
    finally:
        box.close()


@pytest.fixture
def service(outbox: Outbox, storage: Path) -> ProgressService:
    from kiosk.catalog import load_cached_catalog

    catalog = load_cached_catalog(storage)
    return ProgressService(outbox=lambda: outbox, client=lambda: platform_client(storage),
                           catalog=lambda: catalog)


def deliver(outbox: Outbox) -> None:
    worker = SyncWorker(outbox)
    try:
        report = worker.run_once(ignore_timers=True)
    finally:
        worker.stop()
    assert report.delivered >= 1, report


def requests_to(platform: Any, prefix: str) -> int:
    return sum(1 for r in platform.requests() if r.path.startswith(prefix))


# -- reading what was scanned --------------------------------------------------------------------
RECEIPT = make_receipt_no("T0001", dt.date(2026, 11, 23), 427)


def test_receipt_read_in_any_case_with_spaces_or_full_width_characters() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in RECEIPT)
    for text in (RECEIPT, RECEIPT.lower(), f"  {RECEIPT} ", full_width):
        assert read_receipt_no(text) == read_receipt_no(RECEIPT)
        assert read_receipt_no(text).receipt_no == RECEIPT


def test_receipt_typed_without_dashes_is_understood_but_not_when_scanned() -> None:
    bare = RECEIPT.replace("-", "")
    assert read_receipt_no(bare, typed=True).receipt_no == RECEIPT
    assert read_receipt_no(bare).reading is Reading.NOT_OURS


def test_receipt_with_a_bad_check_character_is_a_misread() -> None:
    wrong = RECEIPT[:-1] + ("A" if RECEIPT[-1] != "A" else "B")
    assert read_receipt_no(wrong).reading is Reading.MISREAD
    assert read_receipt_no(wrong, typed=True).reading is Reading.TYPO
    swapped = RECEIPT[:-4] + RECEIPT[-3] + RECEIPT[-4] + RECEIPT[-2:]
    if swapped != RECEIPT:
        assert read_receipt_no(swapped).reading is Reading.MISREAD


@pytest.mark.parametrize("text", [
    "https://zwfw.example.gov.cn/progress?r=T0001-261123-0427QN",
    "www.example.com",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "<a href='http://x'>T0001</a>",
    "../../T0001-261123-04278Q",
    "T0001-261123-04278Q\x1b[2J",
    "T0001-261123-04278Q\u202e",
    "110101199003071238",  # an ID number is not a receipt read wrong
    "6901234567892",  # EAN-13
    "=HYPERLINK(\"http://x\")",
    "办理进度查询",
    "X" * 3000,
    "",
])
def test_anything_else_scanned_is_not_ours(text: str) -> None:
    assert read_receipt_no(text) == read_receipt_no("https://x.example")  # NOT_OURS, no number


# -- by receipt, against the platform -------------------------------------------------------------
def test_progress_by_receipt_shows_status_in_plain_words_due_date_and_history(
        service: ProgressService, outbox: Outbox, platform: Any) -> None:
    receipt = outbox.enqueue(make_app(seed=1))
    deliver(outbox)
    result = service.by_receipt(receipt.receipt_no)
    assert result.outcome is Outcome.FOUND and result.platform_reachable is True
    (case,) = result.cases
    assert case.receipt_no == receipt.receipt_no
    assert case.item_name.zh == "测试事项甲"
    assert case.status_words("zh") == "已收到申请，等待审核"
    assert case.next_step("zh") == "您现在不用做什么，请等待审核。"
    assert case.due_date is not None and case.due_date >= dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    assert [h.status for h in case.history] == ["received"]
    assert case.submission_id == receipt.submission_id  # this terminal took it
    assert not case.evaluated and case.tracking_no is None
    assert result.message is None


def test_progress_once_mailed_shows_the_tracking_number_and_history(
        service: ProgressService, outbox: Outbox, platform: Any) -> None:
    receipt = outbox.enqueue(make_app(seed=2))
    deliver(outbox)
    case_no = outbox.lookup(receipt.receipt_no).case_no
    platform.set_case_status(case_no, "approved", "准予许可")
    platform.set_case_status(case_no, "delivering", "已交邮政EMS", tracking_no="1180234567890")
    (case,) = service.by_receipt(receipt.receipt_no).cases
    assert case.tracking_no == "1180234567890"
    assert case.status_words("zh") == "证件正在邮寄给您"
    assert case.status_words("en") == "On its way to you by post"
    assert [h.status for h in case.history] == ["received", "approved", "delivering"]
    assert case.history[-1].note == "已交邮政EMS"
    assert case.history[-1].words("zh") == "交快递寄出"


def test_progress_needing_more_documents_says_what_to_bring(
        service: ProgressService, outbox: Outbox, platform: Any) -> None:
    receipt = outbox.enqueue(make_app(seed=3))
    deliver(outbox)
    platform.set_case_status(outbox.lookup(receipt.receipt_no).case_no, "supplement_required", "缺少证书原件")
    (case,) = service.by_receipt(receipt.receipt_no).cases
    assert case.needs_action
    assert "带上身份证" in case.next_step("zh")


def test_progress_of_an_application_not_uploaded_yet_shows_what_this_terminal_knows(
        service: ProgressService, outbox: Outbox) -> None:
    receipt = outbox.enqueue(make_app(seed=4))
    result = service.by_receipt(receipt.receipt_no)
    assert result.outcome is Outcome.LOCAL
    assert result.platform_reachable is True  # the platform answered: it does not have it yet
    assert result.local is not None
    assert result.local.status_words("zh") == "本机已受理，等待网络上传"
    assert result.local.item_name.zh == "测试事项甲"
    assert result.message == "progress.msg.local_pending"


def test_platform_down_says_so_honestly_and_shows_local_info(
        service: ProgressService, outbox: Outbox, platform: Any) -> None:
    waiting = outbox.enqueue(make_app(seed=5))
    platform.stop()
    result = service.by_receipt(waiting.receipt_no)
    assert result.outcome is Outcome.LOCAL and result.platform_reachable is False
    assert result.message == "progress.msg.local_offline"
    assert result.local is not None and result.local.status_words("zh") == "本机已受理，等待网络上传"
    unknown = service.by_receipt(make_receipt_no("T0042", dt.date(2026, 1, 5), 1))
    assert unknown.outcome is Outcome.OFFLINE and unknown.platform_reachable is False


def test_platform_down_for_a_delivered_application_still_shows_it_was_uploaded(
        service: ProgressService, outbox: Outbox, platform: Any) -> None:
    receipt = outbox.enqueue(make_app(seed=6))
    deliver(outbox)
    platform.stop()
    result = service.by_receipt(receipt.receipt_no)
    assert result.outcome is Outcome.LOCAL and result.local is not None
    assert result.local.status_words("zh") == "已上传到审批部门"
    assert result.local.case_no


def test_unknown_receipt_is_not_found_with_what_to_do(service: ProgressService) -> None:
    result = service.by_receipt(make_receipt_no("T0042", dt.date(2026, 1, 5), 1))
    assert result.outcome is Outcome.NOT_FOUND and result.platform_reachable is True
    assert result.is_error and result.message == "progress.msg.not_found"


def test_bad_check_character_is_refused_without_asking_the_platform(
        service: ProgressService, outbox: Outbox, platform: Any) -> None:
    receipt = outbox.enqueue(make_app(seed=7))
    before = requests_to(platform, "/v1/cases")
    wrong = receipt.receipt_no[:-1] + ("0" if receipt.receipt_no[-1] != "0" else "1")
    result = service.query_text(wrong)
    assert result.outcome is Outcome.MISREAD
    assert requests_to(platform, "/v1/cases") == before


def test_url_qr_is_never_fetched_not_even_one_pointing_at_the_platform(
        service: ProgressService, platform: Any) -> None:
    before = len(platform.requests())
    for text in (f"{platform.url}/v1/cases/search", "https://evil.example/phish", "http://127.0.0.1:1/x"):
        assert service.query_text(text).outcome is Outcome.NOT_OURS
    assert len(platform.requests()) == before


def test_revoked_terminal_is_unavailable_not_offline(
        service: ProgressService, outbox: Outbox, platform: Any, storage: Path) -> None:
    from offline_queue import credentials

    creds = credentials.load(storage)
    assert creds is not None
    platform.revoke_tokens(creds.terminal_id)
    unknown = service.by_receipt(make_receipt_no("T0042", dt.date(2026, 1, 5), 1))
    assert unknown.outcome is Outcome.UNAVAILABLE
    mine = service.by_receipt(outbox.enqueue(make_app(seed=8)).receipt_no)
    assert mine.outcome is Outcome.LOCAL and mine.platform_reachable is None
    assert mine.message == "progress.msg.local_unavailable"


def test_not_provisioned_terminal_answers_from_its_own_outbox(outbox: Outbox) -> None:
    receipt = outbox.enqueue(make_app(seed=9))
    service = ProgressService(outbox=lambda: outbox, client=lambda: None)
    result = service.by_receipt(receipt.receipt_no)
    assert result.outcome is Outcome.LOCAL and result.platform_reachable is None


def test_platform_text_with_control_and_bidi_characters_is_shown_plain(
        service: ProgressService, outbox: Outbox, platform: Any) -> None:
    receipt = outbox.enqueue(make_app(seed=10))
    deliver(outbox)
    platform.set_case_status(outbox.lookup(receipt.receipt_no).case_no, "accepted",
                             "材料\u202e齐全\x1b[2J\n<b>受理</b>")
    (case,) = service.by_receipt(receipt.receipt_no).cases
    note = case.history[-1].note
    assert "\u202e" not in note and "\x1b" not in note and "\n" not in note
    assert clean("a" * 500).endswith("…") and len(clean("a" * 500)) == 200


# -- by ID card -------------------------------------------------------------------------------------
def test_progress_by_card_lists_every_case_of_the_person_newest_first(
        service: ProgressService, outbox: Outbox) -> None:
    first = outbox.enqueue(make_app(seed=11, id_no=CANARY_ID_NUMBER))
    second = outbox.enqueue(make_app(seed=12, id_no=CANARY_ID_NUMBER))
    outbox.enqueue(make_app(seed=13))  # someone else
    deliver(outbox)
    result = service.by_identity(sample_identity())
    assert result.outcome is Outcome.FOUND and result.by is QueryKind.CARD
    assert [c.receipt_no for c in result.cases] == [second.receipt_no, first.receipt_no]
    assert result.holder_masked == "测***雀"
    assert all(c.submission_id for c in result.cases)


def test_progress_by_card_with_no_cases_says_what_to_do(service: ProgressService) -> None:
    result = service.by_identity(sample_identity())
    assert result.outcome is Outcome.NO_CASES and result.message == "progress.msg.no_cases"


def test_progress_by_card_with_platform_down_is_offline(service: ProgressService, platform: Any) -> None:
    platform.stop()
    assert service.by_identity(sample_identity()).outcome is Outcome.OFFLINE


def test_id_number_never_reaches_the_log_or_the_result(
        service: ProgressService, outbox: Outbox, caplog: pytest.LogCaptureFixture) -> None:
    outbox.enqueue(make_app(seed=14, id_no=CANARY_ID_NUMBER))
    deliver(outbox)
    caplog.set_level(logging.DEBUG)
    result = service.by_identity(sample_identity())
    assert CANARY_ID_NUMBER not in caplog.text
    assert CANARY_ID_NUMBER not in repr(result)
    assert "测试金丝雀" not in repr(result) and "测试金丝雀" not in caplog.text


def test_identity_of_another_card_type_is_searched_by_its_type(service: ProgressService, platform: Any) -> None:
    from drivers.id_reader.identity import IdType

    foreigner: Identity = dataclasses.replace(sample_identity(), id_type=IdType.FOREIGN_PERMANENT)
    assert service.by_identity(foreigner).outcome is Outcome.NO_CASES
    assert any(r.path == "/v1/cases/search" for r in platform.requests())


def test_dates_are_written_as_a_resident_reads_them() -> None:
    assert format_date(dt.date(2026, 12, 7), "zh") == "2026年12月7日"
    assert format_date(dt.date(2026, 12, 7), "en") == "7 Dec 2026"

