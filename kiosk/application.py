"""Turn a finished visit into the application the outbox stores, and into the receipt
the printer prints. Pure functions: no I/O, no clock (times are passed in)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

from drivers.id_reader.identity import Identity
from kiosk.catalog import CatalogItem
from kiosk.receipt import DeliveryDetails, DeliveryMethod, ReceiptData
from kiosk.visit import Visit
from offline_queue.model import NewApplication, NewMaterial

PageAssembler = Callable[[list[bytes]], bytes]  # JPEG pages -> one PDF


def delivery_method(value: str) -> DeliveryMethod:
    """The receipt's method for a stored one; an unknown one prints as pickup, the
    option every item offers."""
    if value == "express":
        return "express"
    if value == "electronic":
        return "electronic"
    return "pickup"


def applicant_of(identity: Identity, item: CatalogItem, phone: str | None) -> dict[str, Any]:
    applicant: dict[str, Any] = {
        "id_type": identity.id_type.value,
        "id_number": identity.id_number,
        "name": identity.name,
        "birth_date": identity.birth_date.isoformat(),
        "card_valid_until": identity.valid_until.isoformat() if identity.valid_until else "长期",
    }
    if identity.gender in ("male", "female"):
        applicant["gender"] = identity.gender
    if identity.nation:
        applicant["nation"] = identity.nation
    address = getattr(identity, "current_address", None) or identity.address
    if address:
        applicant["address"] = address
    if phone:
        applicant["phone"] = phone
    if item.needs_face and identity.photo_wlt:
        # Only items that compare faces get the chip photo (platform-api.yaml, card_photo_wlt).
        applicant["card_photo_wlt"] = base64.b64encode(identity.photo_wlt).decode("ascii")
    return applicant


def build_application(
    visit: Visit, item: CatalogItem, *, catalog_version: str | None, assemble: PageAssembler,
) -> NewApplication:
    if visit.identity is None or visit.commitment_accepted_at is None or not visit.commitment_version:
        raise ValueError("the visit is not complete")
    materials: list[NewMaterial] = []
    for material in item.materials:
        captured = visit.materials.get(material.code)
        if captured is None or not captured.pages:
            continue
        materials.append(NewMaterial(material.code, "application/pdf", assemble(captured.pages), pages=len(captured.pages)))
    if visit.signature_png:
        materials.append(NewMaterial("signature", "image/png", visit.signature_png))
    if visit.face_jpeg:
        materials.append(NewMaterial("face", "image/jpeg", visit.face_jpeg))
    phone = visit.form_values.get("phone") or visit.delivery.get("phone")
    delivery = {k: v for k, v in visit.delivery.items() if v}
    return NewApplication(
        item_code=item.code,
        applicant=applicant_of(visit.identity, item, phone),
        delivery=delivery,
        form=dict(visit.form_values),
        commitment={"version": visit.commitment_version, "accepted_at": visit.commitment_accepted_at.isoformat()},
        materials=materials,
        deferred_materials=sorted(visit.deferred),
        catalog_version=catalog_version,
        assisted_by=dict(visit.assisted_by) if visit.assisted_by else None,
    )


def receipt_for(
    visit: Visit, item: CatalogItem, *, receipt_no: str, created_at: dt.datetime, hall_name: str, terminal_name: str,
) -> ReceiptData:
    method = delivery_method(visit.delivery.get("method", "pickup"))
    # Empty: the receipt's own sentence for the delivery method.
    next_steps = "容缺材料请在承诺期限内补交，办结后按您选择的方式送达。" if visit.deferred else ""
    return ReceiptData(
        hall_name=hall_name,
        terminal_name=terminal_name,
        receipt_no=receipt_no,
        item_name=item.name.zh,
        item_name_en=item.name.en,
        applicant_name=visit.identity.name if visit.identity else "",
        created_at=created_at,
        time_limit_days=item.time_limit_days,
        due_date=None,  # counted by the receipt in working days from created_at
        delivery_method=method,
        delivery=DeliveryDetails(
            recipient=visit.delivery.get("recipient"), phone=visit.delivery.get("phone"),
            address=visit.delivery.get("address"),
        ),
        next_steps=next_steps.strip(),
        language=visit.language,
    )


def jpeg_pages_to_pdf(pages: list[bytes]) -> bytes:
    """One PDF page per JPEG, each page sized to its image at 200 dpi. The JPEG bytes are
    embedded as they are (no re-encoding), so the PDF is as small as the captures."""
    import io

    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pageCompression=0)
    for jpeg in pages:
        image = ImageReader(io.BytesIO(jpeg))
        width_px, height_px = image.getSize()
        width_pt, height_pt = width_px * 72 / 200, height_px * 72 / 200
        pdf.setPageSize((width_pt, height_pt))
        pdf.drawImage(image, 0, 0, width=width_pt, height=height_pt)
        pdf.showPage()
    pdf.save()
    return out.getvalue()
