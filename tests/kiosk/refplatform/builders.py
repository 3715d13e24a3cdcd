"""Requests the tests send: submissions that fit the fallback catalog, and uploads."""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

OFFSET_STREAM = "application/offset+octet-stream"
NAME = "张三明"
ID_NUMBER = "11010519491231002X"
_receipts = itertools.count(1)


@dataclass
class Terminal:
    terminal_id: str
    token: str = field(repr=False)
    client: httpx.Client = field(repr=False)


def loopback_client(url: str, **options: Any) -> httpx.Client:
    """A client for the platform on loopback. Plain HTTP only, so no CA bundle is loaded
    (loading it costs ~20 ms per client, which adds up over hundreds of tests)."""
    return httpx.Client(base_url=url, timeout=10.0, verify=False, **options)


def material(material_id: str, code: str, data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    return {"material_id": material_id, "code": code, "content_type": content_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "pages": 1}


def renewal(terminal_id: str, files: dict[str, bytes] | None = None, **changes: Any) -> dict[str, Any]:
    """REF-CJ-0003 (残疾人证换领): a photo required, the old certificate deferred."""
    files = files if files is not None else {"photo-1": b"\xff\xd8 photo bytes \xff\xd9" * 100}
    body: dict[str, Any] = {
        "terminal_id": terminal_id,
        "receipt_no": f"{terminal_id}-261123-{next(_receipts):04d}7",
        "item_code": "REF-CJ-0003",
        "catalog_version": "refplatform-fallback-1",
        "created_at": "2026-11-23T09:30:00+08:00",
        "applicant": {"id_type": "resident_id", "id_number": ID_NUMBER, "name": NAME, "gender": "male",
                      "birth_date": "1949-12-31", "address": "北京市东城区景山前街4号"},
        "assisted_by": None,
        "form": {"phone": "13800138000", "address": "北京市东城区景山前街4号", "agree_visit": True},
        "commitment": {"version": "2026-01", "accepted_at": "2026-11-23T09:29:00+08:00"},
        "delivery": {"method": "pickup"},
        "materials": [material(mid, "photo", data) for mid, data in files.items()],
        "deferred_materials": ["old_certificate"],
    }
    body.update(changes)
    return body


def withdrawal(terminal_id: str, face: bytes = b"face-jpeg" * 50, contract: bytes = b"%PDF contract" * 80,
               bank: bytes = b"bank card" * 40) -> dict[str, Any]:
    """REF-GJJ-0002 (公积金提取): id card and face, three materials, a richer form."""
    return {
        "terminal_id": terminal_id,
        "receipt_no": f"{terminal_id}-261123-{next(_receipts):04d}8",
        "item_code": "REF-GJJ-0002",
        "created_at": "2026-11-23T10:00:00+08:00",
        "applicant": {"id_type": "resident_id", "id_number": ID_NUMBER, "name": NAME, "birth_date": "1949-12-31",
                      "face_material_id": "face-1",
                      "card_photo_wlt": base64.b64encode(bytes(1024)).decode()},
        "form": {"phone": "13800138000", "amount_yuan": 120000, "bank": "icbc", "purchase_date": "2026-10-01",
                 "co_owner_id": "11010519491231002X"},
        "commitment": {"version": "2026-02", "accepted_at": "2026-11-23T09:59:00+08:00",
                       "signature_material_id": "sig-1"},
        "delivery": {"method": "electronic"},
        "materials": [material("face-1", "face", face), material("contract-1", "purchase_contract", contract,
                                                                   "application/pdf"),
                      material("bank-1", "bank_card", bank), material("sig-1", "signature", b"sig" * 30, "image/png")],
    }


def changed(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `body` with `path` (dots, e.g. "form.phone") set to `value` (or removed if ...)."""
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = out
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return out


def new_id() -> str:
    return str(uuid.uuid4())


def put(terminal: Terminal, submission_id: str, body: dict[str, Any]) -> httpx.Response:
    return terminal.client.put(f"/v1/submissions/{submission_id}", json=body)


def patch(terminal: Terminal, submission_id: str, material_id: str, offset: int, chunk: bytes,
          *, checksum: bytes | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    sent = {"Upload-Offset": str(offset), "Content-Type": OFFSET_STREAM, **(headers or {})}
    if checksum is not None:
        sent["Upload-Checksum"] = "sha256 " + base64.b64encode(checksum).decode()
    return terminal.client.patch(f"/v1/submissions/{submission_id}/materials/{material_id}", content=chunk,
                                 headers=sent)


def upload(terminal: Terminal, submission_id: str, material_id: str, data: bytes, chunk_size: int = 1 << 20) -> None:
    for offset in range(0, len(data), chunk_size):
        chunk = data[offset:offset + chunk_size]
        response = patch(terminal, submission_id, material_id, offset, chunk, checksum=hashlib.sha256(chunk).digest())
        assert response.status_code == 204, response.text


def head(terminal: Terminal, submission_id: str, material_id: str) -> httpx.Response:
    return terminal.client.head(f"/v1/submissions/{submission_id}/materials/{material_id}")


def finalize(terminal: Terminal, submission_id: str) -> httpx.Response:
    return terminal.client.post(f"/v1/submissions/{submission_id}/finalize")


def deliver(terminal: Terminal, body: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
    """PUT, upload every file, finalize: the case ref."""
    submission_id = new_id()
    assert put(terminal, submission_id, body).status_code == 201
    for material_id, data in files.items():
        upload(terminal, submission_id, material_id, data)
    response = finalize(terminal, submission_id)
    assert response.status_code == 200, response.text
    ref: dict[str, Any] = response.json()
    ref["submission_id"] = submission_id
    return ref
