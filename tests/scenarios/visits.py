"""A resident's application driven through the visit machine up to the review screen,
as the screens would drive it: 保安员证核发 with its photo taken and the education
certificate deferred (容缺), picked up at the hall."""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np

from drivers.id_reader.sim import sample_card
from kiosk.forms import prefill, validate_form
from kiosk.terminal import Terminal
from kiosk.visit import Step

ITEM = "4601001010100200"  # 保安员证核发: photo required, education_cert deferrable


def photo_jpeg() -> bytes:
    page = np.full((400, 300, 3), 245, np.uint8)
    cv2.putText(page, "PHOTO", (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 2, (20, 20, 20), 3)
    ok, data = cv2.imencode(".jpg", page)
    assert ok
    return bytes(data)


def to_review(term: Terminal, *, signature: bytes = b"\x89PNG signature",
              accepted_at: dt.datetime | None = None, phone: str = "138 0013 8000") -> None:
    m = term.machine
    m.start()
    m.choose_apply()
    identity = sample_card("resident")
    m.card_read(identity)
    m.confirm_identity()
    m.choose_item(ITEM)
    m.begin_application()
    assert term.catalog is not None
    item = term.catalog.item(ITEM)
    m.accept_commitment(item.commitment.version, accepted_at or dt.datetime.now().astimezone(), signature)
    values = {k: str(v) for k, v in prefill(item, identity).items()}
    values.update({"residence_address": "海南省海口市龙华区滨海大道88号", "education": "senior_middle",
                   "phone": phone})
    result = validate_form(item, values)
    assert result.ok, result.errors
    m.form_done({k: str(v) for k, v in result.values.items()})
    m.start_capture("photo")
    m.capture_done([photo_jpeg()])
    m.defer_material("education_cert")
    m.materials_done(needs_face=False)
    m.delivery_done({"method": "pickup"})
    assert m.step is Step.REVIEW
