"""A terminal repeats a PUT after a lost answer, or sends something it should not."""

from __future__ import annotations

import json
import threading

from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import Terminal, changed, deliver, loopback_client, new_id, put, renewal

PHOTO = b"\xff\xd8 photo bytes \xff\xd9" * 100  # what renewal() declares by default


def test_repeated_put_answers_201_then_200_with_the_current_state(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    first = put(terminal, submission_id, body)
    again = put(terminal, submission_id, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert again.json()["state"] == "awaiting_materials"
    assert again.json()["missing"] == ["photo-1"]


def test_repeat_with_other_key_order_and_white_space_is_the_same_content(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    assert put(terminal, submission_id, body).status_code == 201
    reordered = dict(reversed(list(body.items())))
    reordered["applicant"] = dict(reversed(list(body["applicant"].items())))
    text = json.dumps(reordered, ensure_ascii=False, indent=4)
    response = terminal.client.put(f"/v1/submissions/{submission_id}", content=text.encode(),
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 200


def test_same_id_with_different_content_is_409(terminal: Terminal, platform: RunningPlatform) -> None:
    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    assert put(terminal, submission_id, body).status_code == 201
    response = put(terminal, submission_id, changed(body, "form.phone", "13900139000"))
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert platform.submission_body(submission_id) == body  # the first content stays


def test_receipt_no_reused_by_another_submission_is_409(terminal: Terminal, platform: RunningPlatform) -> None:
    body = renewal(terminal.terminal_id)
    assert put(terminal, new_id(), body).status_code == 201
    response = put(terminal, new_id(), body)
    assert response.status_code == 409
    assert "receipt" in response.json()["type"]
    assert platform.count_submissions() == 1


def test_concurrent_identical_puts_create_exactly_one_submission(terminal: Terminal,
                                                                 platform: RunningPlatform) -> None:
    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    statuses: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        with loopback_client(platform.url, headers=dict(terminal.client.headers)) as client:
            code = client.put(f"/v1/submissions/{submission_id}", json=body).status_code
        with lock:
            statuses.append(code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert platform.count_submissions() == 1


def test_purged_submission_id_is_remembered_forever(terminal: Terminal, platform: RunningPlatform) -> None:
    body = renewal(terminal.terminal_id)
    ref = deliver(terminal, body, {"photo-1": PHOTO})
    assert platform.purge_submission(ref["submission_id"])
    assert platform.submission_body(ref["submission_id"]) is None
    assert platform.material_bytes(ref["submission_id"], "photo-1") is None

    again = put(terminal, ref["submission_id"], body)
    assert again.status_code == 200
    assert again.json()["state"] == "finalized"
    assert again.json()["case_no"] == ref["case_no"]
    assert put(terminal, ref["submission_id"], changed(body, "form.phone", "13900139000")).status_code == 409
    assert terminal.client.post(f"/v1/submissions/{ref['submission_id']}/finalize").json()["case_no"] == ref["case_no"]
    assert platform.count_submissions() == 1
    assert platform.count_cases() == 1


def test_ids_survive_a_platform_restart(terminal: Terminal, platform: RunningPlatform) -> None:
    from kiosk.refplatform.catalog import FALLBACK_CATALOG
    from kiosk.refplatform.server import start_in_thread

    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    assert put(terminal, submission_id, body).status_code == 201
    platform.stop()
    restarted = start_in_thread(platform.data_dir, catalog_path=FALLBACK_CATALOG)
    try:
        with loopback_client(restarted.url, headers=dict(terminal.client.headers)) as client:
            assert client.put(f"/v1/submissions/{submission_id}", json=body).status_code == 200
    finally:
        restarted.stop()


def test_put_of_another_terminals_submission_is_403(terminal: Terminal, other_terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    assert put(terminal, submission_id, body).status_code == 201
    assert put(other_terminal, submission_id, body).status_code == 403
    assert other_terminal.client.get(f"/v1/submissions/{submission_id}").status_code == 403


def test_submission_naming_another_terminal_is_403(terminal: Terminal, other_terminal: Terminal) -> None:
    response = put(terminal, new_id(), renewal(other_terminal.terminal_id))
    assert response.status_code == 403


def test_get_of_a_never_created_submission_is_404(terminal: Terminal) -> None:
    response = terminal.client.get(f"/v1/submissions/{new_id()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_get_answers_the_delivery_state(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    put(terminal, submission_id, body)
    state = terminal.client.get(f"/v1/submissions/{submission_id}").json()
    assert state == {"submission_id": submission_id, "state": "awaiting_materials", "missing": ["photo-1"],
                     "receipt_no": body["receipt_no"]}


def test_upper_case_submission_id_is_the_same_submission(terminal: Terminal) -> None:
    body = renewal(terminal.terminal_id)
    submission_id = new_id()
    assert put(terminal, submission_id, body).status_code == 201
    assert put(terminal, submission_id.upper(), body).status_code == 200


def test_submission_id_that_is_not_a_uuid_is_400(terminal: Terminal) -> None:
    response = put(terminal, "not-a-uuid", renewal(terminal.terminal_id))
    assert response.status_code == 400


def test_body_that_is_not_json_is_400_and_wrong_media_type_is_415(terminal: Terminal) -> None:
    url = f"/v1/submissions/{new_id()}"
    assert terminal.client.put(url, content=b"{not json", headers={"Content-Type": "application/json"}
                               ).status_code == 400
    assert terminal.client.put(url, content=b"[1, 2]", headers={"Content-Type": "application/json"}
                               ).status_code == 400
    assert terminal.client.put(url, content=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
                               ).status_code == 415

