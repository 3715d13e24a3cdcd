"""Turn a finished visit into the application the outbox stores, and into the receipt
the printer prints. Pure functions: no I/O, no clock (times are passed in).

The signed application form (our convention on platform-api.yaml). The platform takes
catalog material codes plus "face" and "signature" (a strict platform answers 422 for
any other code), so the application form travels as the `signature` material: one
A4 PDF (application/pdf) with the form as filed — item, applicant, form values,
materials (submitted, to follow, not provided), delivery choice — then the commitment
text with its version and the time it was accepted, the resident's handwritten
signature image embedded under it, and the staff member when staff assisted (帮办).
`commitment.signature_material_id` points at it (the outbox fills that in). The PDF
has no receipt number: the outbox numbers the application after it is built. If the
PDF cannot be made (an image that does not decode, a font problem, a bug), the
signature goes as the PNG the resident drew, as before, so nothing they confirmed is
lost; the log says so without personal data.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

from drivers.id_reader.identity import Identity
from kiosk.catalog import CatalogItem, FieldType, FormField
from kiosk.receipt import DeliveryDetails, DeliveryMethod, ReceiptData
from kiosk.visit import Visit
from offline_queue.model import NewApplication, NewMaterial

log = logging.getLogger(__name__)

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
    hall_name: str = "", terminal_name: str = "",
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
        materials.append(signature_material(visit, item, hall_name=hall_name, terminal_name=terminal_name))
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


def signature_material(visit: Visit, item: CatalogItem, *, hall_name: str = "", terminal_name: str = "") -> NewMaterial:
    """The `signature` material: the signed application form as a PDF, or the bare PNG
    signature when the form cannot be made (see the module's docstring)."""
    try:
        pdf = signed_application_form(visit, item, hall_name=hall_name, terminal_name=terminal_name)
    except Exception as exc:
        # The type only: a message could quote the form's values.
        log.warning("signed application form not made (%s); sending the signature as PNG", type(exc).__name__)
        return NewMaterial("signature", "image/png", visit.signature_png)
    return NewMaterial("signature", "application/pdf", pdf, pages=pdf_page_count(pdf))


_ID_TYPE_NAMES = {
    "resident_id": "居民身份证",
    "hmt_residence": "港澳台居民居住证",
    "foreign_permanent": "外国人永久居留身份证",
}
_DELIVERY_NAMES = {
    "pickup": "窗口领取 Collect in person",
    "express": "免费邮寄 By post (free)",
    "electronic": "电子送达 Electronic",
}


def signed_application_form(visit: Visit, item: CatalogItem, *, hall_name: str = "", terminal_name: str = "") -> bytes:
    """The application form as filed, with the commitment and the handwritten signature
    (kiosk.documents). Deterministic: the same visit gives the same bytes. Raises when
    the visit has no signature or its image does not decode."""
    from kiosk.documents import application_form_pdf

    identity = visit.identity
    if identity is None or not visit.signature_png:
        raise ValueError("the visit has no identity or no signature")
    applicant = [
        ("姓名 Name", identity.name),
        ("证件类型 ID type", _ID_TYPE_NAMES.get(identity.id_type.value, identity.id_type.value)),
        ("证件号码 ID number", identity.id_number),
    ]
    phone = visit.form_values.get("phone") or visit.delivery.get("phone")
    if phone:
        applicant.append(("联系电话 Phone", phone))
    form_values = [(f.label.zh, _form_text(f, visit.form_values.get(f.key, ""))) for f in item.form]
    materials: list[dict[str, Any]] = []
    for material in item.materials:
        captured = visit.materials.get(material.code)
        if captured is not None and captured.pages:
            materials.append({"name": material.name.zh, "status": "provided", "pages": len(captured.pages)})
        elif material.code in visit.deferred:
            materials.append({"name": material.name.zh, "status": "deferred"})
        else:
            materials.append({"name": material.name.zh, "status": "missing" if material.required else "not_provided"})
    if visit.face_jpeg:
        materials.append({"name": "现场人脸照片 Live face photo", "status": "provided", "pages": 1})
    method = visit.delivery.get("method", "pickup")
    delivery = [("送达方式 Method", _DELIVERY_NAMES.get(method, method))]
    if method == "express":
        for key, label in (("recipient", "收件人 Recipient"), ("phone", "电话 Phone"), ("address", "地址 Address")):
            if visit.delivery.get(key):
                delivery.append((label, visit.delivery[key]))
    text = item.commitment.text.zh
    if visit.language == "en" and item.commitment.text.en:
        text += "\n\n" + item.commitment.text.en  # what the resident read, after the Chinese of record
    staff = visit.assisted_by or {}
    assisted = [(label, staff[key]) for key, label in (("name", "工作人员 Staff"), ("staff_id", "工号 Staff ID"))
                if staff.get(key)]
    return application_form_pdf(
        item_name=item.name.zh, item_code=item.code, department=item.department.zh,
        applicant=applicant, form_values=form_values, materials=materials, delivery=delivery,
        commitment_version=visit.commitment_version or "", commitment_accepted_at=visit.commitment_accepted_at,
        commitment_text=text, hall_name=hall_name, terminal_name=terminal_name,
        signature_png=visit.signature_png, assisted_by=assisted,
    )


def _form_text(f: FormField, raw: str) -> str:
    """A form value as the resident chose it: option labels, not their codes."""
    if f.type is FieldType.CHECKBOX:
        return "是 Yes" if raw == "true" else "否 No"
    if raw == "":
        return "（未填）"
    if f.type is FieldType.SELECT:
        option = f.option(raw)
        return option.label.zh if option is not None else raw
    return raw


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF reportlab wrote (its page objects are uncompressed dictionaries)."""
    return max(1, len(re.findall(rb"/Type /Page\b", pdf)))


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
