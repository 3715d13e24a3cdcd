"""Finalize: 409 with the missing materials until complete, then one case for ever."""

from __future__ import annotations

import threading

from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import (
    Terminal,
    finalize,
    loopback_client,
    new_id,
    put,
    renewal,
    upload,
    withdrawal,
)

FILES = {"face-1": b"face-jpeg" * 50, "contract-1": b"%PDF contract" * 80, "bank-1": b"bank card" * 40,
         "sig-1": b"sig" * 30}


def test_finalize_before_the_materials_is_409_listing_them_then_200(terminal: Terminal,
                                                                    platform: RunningPlatform) -> None:
    body = withdrawal(terminal.terminal_id)
    submission_id = new_id()
    assert put(terminal, submission_id, body).status_code == 201
    early = finalize(terminal, submission_id)
    assert early.status_code == 409
    assert early.headers["content-type"] == "application/problem+json"
    assert early.json()["missing"] == ["face-1", "contract-1", "bank-1", "sig-1"]
    upload(terminal, submission_id, "face-1", FILES["face-1"])
    upload(terminal, submission_id, "contract-1", FILES["contract-1"])
    assert finalize(terminal, submission_id).json()["missing"] == ["bank-1", "sig-1"]
    upload(terminal, submission_id, "bank-1", FILES["bank-1"])
    upload(terminal, submission_id, "sig-1", FILES["sig-1"])
    done = finalize(terminal, submission_id)
    assert done.status_code == 200
    ref = done.json()
    assert set(ref) >= {"case_no", "receipt_no", "received_at"}
    assert ref["receipt_no"] == body["receipt_no"]
    assert ref["status"] == "received"
    assert platform.count_cases() == 1


def test_repeated_finalize_answers_the_same_case(terminal: Terminal, platform: RunningPlatform) -> None:
    submission_id = new_id()
    put(terminal, submission_id, withdrawal(terminal.terminal_id))
    for material_id, data in FILES.items():
        upload(terminal, submission_id, material_id, data)
    first = finalize(terminal, submission_id).json()
    again = finalize(terminal, submission_id).json()
    assert first == again
    state = terminal.client.get(f"/v1/submissions/{submission_id}").json()
    assert state["state"] == "finalized"
    assert state["case_no"] == first["case_no"]
    assert put(terminal, submission_id, withdrawal(terminal.terminal_id) | {"receipt_no": first["receipt_no"]}
               ).json()["case_no"] == first["case_no"]
    assert platform.count_cases() == 1


def test_concurrent_finalize_creates_one_case(terminal: Terminal, platform: RunningPlatform) -> None:
    photo = b"p" * 1000
    submission_id = new_id()
    put(terminal, submission_id, renewal(terminal.terminal_id, files={"photo-1": photo}))
    upload(terminal, submission_id, "photo-1", photo)
    cases: list[str] = []

    def send() -> None:
        with loopback_client(platform.url, headers=dict(terminal.client.headers)) as client:
            cases.append(client.post(f"/v1/submissions/{submission_id}/finalize").json()["case_no"])

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(cases)) == 1
    assert platform.count_cases() == 1


def test_finalize_of_a_never_created_submission_is_404(terminal: Terminal) -> None:
    response = finalize(terminal, new_id())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_case_numbers_are_distinct_across_submissions(terminal: Terminal) -> None:
    numbers = set()
    for _ in range(3):
        submission_id = new_id()
        photo = new_id().encode() * 10
        put(terminal, submission_id, renewal(terminal.terminal_id, files={"photo-1": photo}))
        upload(terminal, submission_id, "photo-1", photo)
        numbers.add(finalize(terminal, submission_id).json()["case_no"])
    assert len(numbers) == 3
