"""Resumable material uploads (tus-core): lost answers, stale offsets, corrupted bytes."""

from __future__ import annotations

import hashlib
import os

import pytest

from kiosk.refplatform.server import RunningPlatform
from tests.kiosk.refplatform.builders import (
    Terminal,
    finalize,
    head,
    new_id,
    patch,
    put,
    renewal,
)

PHOTO = os.urandom(300_000)


@pytest.fixture
def submission(terminal: Terminal) -> str:
    submission_id = new_id()
    assert put(terminal, submission_id, renewal(terminal.terminal_id, files={"photo-1": PHOTO})).status_code == 201
    return submission_id


def test_head_reports_the_offset_and_length_without_caching(terminal: Terminal, submission: str) -> None:
    response = head(terminal, submission, "photo-1")
    assert response.status_code == 200
    assert response.headers["Upload-Offset"] == "0"
    assert response.headers["Upload-Length"] == str(len(PHOTO))
    assert response.headers["Cache-Control"] == "no-store"


def test_upload_interrupted_resumes_from_the_head_offset(terminal: Terminal, submission: str,
                                                         platform: RunningPlatform) -> None:
    first = patch(terminal, submission, "photo-1", 0, PHOTO[:100_000])
    assert first.status_code == 204
    assert first.headers["Upload-Offset"] == "100000"
    # The terminal lost that answer: it asks where to continue.
    offset = int(head(terminal, submission, "photo-1").headers["Upload-Offset"])
    assert offset == 100_000
    rest = patch(terminal, submission, "photo-1", offset, PHOTO[offset:])
    assert rest.status_code == 204
    assert rest.headers["Upload-Offset"] == str(len(PHOTO))
    assert platform.material_bytes(submission, "photo-1") == PHOTO
    assert terminal.client.get(f"/v1/submissions/{submission}").json()["state"] == "complete"


def test_patch_replayed_at_a_stale_offset_is_409_with_the_current_offset(terminal: Terminal,
                                                                         submission: str) -> None:
    assert patch(terminal, submission, "photo-1", 0, PHOTO[:1000]).status_code == 204
    replay = patch(terminal, submission, "photo-1", 0, PHOTO[:1000])
    assert replay.status_code == 409
    assert replay.headers["Upload-Offset"] == "1000"
    assert replay.headers["content-type"] == "application/problem+json"
    ahead = patch(terminal, submission, "photo-1", 5000, PHOTO[5000:6000])
    assert ahead.status_code == 409
    assert ahead.headers["Upload-Offset"] == "1000"


def test_chunk_over_4_mib_is_413(terminal: Terminal) -> None:
    big = os.urandom(4 * 1024 * 1024 + 1)
    submission_id = new_id()
    assert put(terminal, submission_id, renewal(terminal.terminal_id, files={"photo-1": big})).status_code == 201
    response = patch(terminal, submission_id, "photo-1", 0, big)
    assert response.status_code == 413
    assert head(terminal, submission_id, "photo-1").headers["Upload-Offset"] == "0"
    # exactly 4 MiB is allowed, and the connection is still usable afterwards
    assert patch(terminal, submission_id, "photo-1", 0, big[: 4 * 1024 * 1024]).status_code == 204


def test_patch_beyond_the_declared_size_is_413(terminal: Terminal, submission: str) -> None:
    response = patch(terminal, submission, "photo-1", 0, PHOTO + b"extra")
    assert response.status_code == 413
    assert response.headers["Upload-Offset"] == "0"


def test_chunk_checksum_mismatch_is_460_and_the_offset_stays(terminal: Terminal, submission: str,
                                                              platform: RunningPlatform) -> None:
    assert patch(terminal, submission, "photo-1", 0, PHOTO[:1000],
                 checksum=hashlib.sha256(PHOTO[:1000]).digest()).status_code == 204
    corrupted = bytearray(PHOTO[1000:2000])
    corrupted[10] ^= 0xFF
    response = patch(terminal, submission, "photo-1", 1000, bytes(corrupted),
                     checksum=hashlib.sha256(PHOTO[1000:2000]).digest())
    assert response.status_code == 460
    assert response.headers["Upload-Offset"] == "1000"
    assert response.headers["content-type"] == "application/problem+json"
    assert head(terminal, submission, "photo-1").headers["Upload-Offset"] == "1000"
    assert patch(terminal, submission, "photo-1", 1000, PHOTO[1000:]).status_code == 204
    assert platform.material_bytes(submission, "photo-1") == PHOTO


def test_whole_file_mismatch_at_the_last_byte_is_460_and_the_offset_returns_to_0(
        terminal: Terminal, submission: str) -> None:
    corrupted = bytearray(PHOTO)
    corrupted[12345] ^= 0x01  # a bit flipped on the terminal's disk: every chunk checksum still matches
    assert patch(terminal, submission, "photo-1", 0, bytes(corrupted[:200_000])).status_code == 204
    last = patch(terminal, submission, "photo-1", 200_000, bytes(corrupted[200_000:]),
                 checksum=hashlib.sha256(corrupted[200_000:]).digest())
    assert last.status_code == 460
    assert last.headers["Upload-Offset"] == "0"
    assert head(terminal, submission, "photo-1").headers["Upload-Offset"] == "0"
    assert finalize(terminal, submission).json()["missing"] == ["photo-1"]
    assert patch(terminal, submission, "photo-1", 0, PHOTO).status_code == 204
    assert finalize(terminal, submission).status_code == 200


def test_unsupported_checksum_algorithm_is_400(terminal: Terminal, submission: str) -> None:
    response = patch(terminal, submission, "photo-1", 0, PHOTO[:10], headers={"Upload-Checksum": "sha1 AAAA"})
    assert response.status_code == 400
    bad_base64 = patch(terminal, submission, "photo-1", 0, PHOTO[:10], headers={"Upload-Checksum": "sha256 !!"})
    assert bad_base64.status_code == 400


def test_patch_without_the_offset_stream_media_type_is_415(terminal: Terminal, submission: str) -> None:
    response = patch(terminal, submission, "photo-1", 0, PHOTO[:10],
                     headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 415


def test_patch_without_upload_offset_is_400(terminal: Terminal, submission: str) -> None:
    response = terminal.client.patch(f"/v1/submissions/{submission}/materials/photo-1", content=b"x",
                                     headers={"Content-Type": "application/offset+octet-stream"})
    assert response.status_code == 400


def test_material_not_in_the_manifest_is_404(terminal: Terminal, submission: str) -> None:
    assert head(terminal, submission, "photo-9").status_code == 404
    assert patch(terminal, submission, "photo-9", 0, b"x").status_code == 404
    assert head(terminal, new_id(), "photo-1").status_code == 404


def test_another_terminal_cannot_upload_into_my_submission(other_terminal: Terminal, submission: str) -> None:
    assert patch(other_terminal, submission, "photo-1", 0, PHOTO[:10]).status_code == 403
    assert head(other_terminal, submission, "photo-1").status_code == 403


def test_empty_patch_at_the_current_offset_changes_nothing(terminal: Terminal, submission: str) -> None:
    response = patch(terminal, submission, "photo-1", 0, b"")
    assert response.status_code == 204
    assert response.headers["Upload-Offset"] == "0"


def test_chunked_transfer_encoding_is_accepted(terminal: Terminal, submission: str,
                                               platform: RunningPlatform) -> None:
    def pieces() -> object:
        for start in range(0, len(PHOTO), 65_536):
            yield PHOTO[start:start + 65_536]

    response = terminal.client.patch(f"/v1/submissions/{submission}/materials/photo-1", content=pieces(),
                                     headers={"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert response.status_code == 204
    assert platform.material_bytes(submission, "photo-1") == PHOTO
