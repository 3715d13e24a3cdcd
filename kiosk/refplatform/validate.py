"""Request bodies checked against the spec's schemas and the catalog.

Each check yields `FieldError`s (`{field, code, message}` in a 422's `errors`), never
raises, and never puts a field's value into a message: values are personal data.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from drivers.id_reader.idnumber import age_on, is_valid_id_number
from kiosk.refplatform.catalog import Catalog
from kiosk.refplatform.clock import parse_rfc3339

MAX_MATERIAL_BYTES: Final = 64 * 1024 * 1024
ID_TYPES: Final = ("resident_id", "foreign_permanent", "hmt_residence")
DELIVERY_METHODS: Final = ("pickup", "express", "electronic")
CONTENT_TYPES: Final = ("application/pdf", "image/jpeg", "image/png")
DEVICE_KINDS: Final = ("id_reader", "camera", "printer", "scanner")
DEVICE_STATES: Final = ("ok", "degraded", "offline", "error")
EXTRA_MATERIAL_CODES: Final = ("face", "signature")  # Submission.materials[].code
MATERIAL_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TERMINAL_ID: Final = re.compile(r"^[A-Z0-9-]{4,32}$")
SHA256_HEX: Final = re.compile(r"^[0-9a-f]{64}$")
_PHONE: Final = re.compile(r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")
_NUMBER_TEXT: Final = re.compile(r"^-?\d+(?:\.\d+)?$")
_OTHER_ID: Final = re.compile(r"^[A-Z0-9]{6,20}$")


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


# -- small typed readers ----------------------------------------------------------------


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return (isinstance(value, int | float)) and not isinstance(value, bool)


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _string(body: Mapping[str, Any], key: str, path: str, *, required: bool, max_length: int | None = None,
            min_length: int = 0) -> Iterator[FieldError]:
    if key not in body or body[key] is None:
        if required:
            yield FieldError(path, "required", f"{path} is required / 必填")
        return
    value = body[key]
    if not isinstance(value, str):
        yield FieldError(path, "type", f"{path} must be a string / 须为文本")
    elif required and not value.strip():
        yield FieldError(path, "required", f"{path} must not be empty / 不能为空")
    elif len(value) < min_length:
        yield FieldError(path, "too_short", f"{path} must have at least {min_length} characters")
    elif max_length is not None and len(value) > max_length:
        yield FieldError(path, "too_long", f"{path} must have at most {max_length} characters / 过长")


def _datetime(body: Mapping[str, Any], key: str, path: str, *, required: bool) -> Iterator[FieldError]:
    if key not in body:
        if required:
            yield FieldError(path, "required", f"{path} is required / 必填")
        return
    if parse_rfc3339(body[key]) is None:
        yield FieldError(path, "format", f"{path} must be an RFC 3339 date-time with an offset")


def _enum(body: Mapping[str, Any], key: str, path: str, allowed: tuple[str, ...], *,
          required: bool) -> Iterator[FieldError]:
    if key not in body:
        if required:
            yield FieldError(path, "required", f"{path} is required / 必填")
        return
    if body[key] not in allowed:
        yield FieldError(path, "enum", f"{path} must be one of {', '.join(allowed)}")


def _object(body: Mapping[str, Any], key: str, path: str, *, required: bool) -> Iterator[FieldError]:
    if key not in body:
        if required:
            yield FieldError(path, "required", f"{path} is required / 必填")
        return
    if not isinstance(body[key], dict):
        yield FieldError(path, "type", f"{path} must be an object")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- enrollment -------------------------------------------------------------------------


def enrollment_errors(body: Mapping[str, Any]) -> list[FieldError]:
    errors = [
        *_string(body, "enrollment_code", "enrollment_code", required=True, min_length=6, max_length=64),
        *_string(body, "hall_code", "hall_code", required=True, max_length=100),
        *_string(body, "terminal_name", "terminal_name", required=True, max_length=80),
        *_string(body, "terminal_id", "terminal_id", required=False),
    ]
    terminal_id = body.get("terminal_id")
    if isinstance(terminal_id, str) and not TERMINAL_ID.match(terminal_id):
        errors.append(FieldError("terminal_id", "pattern", "terminal_id must match ^[A-Z0-9-]{4,32}$"))
    if "hardware" in body and not isinstance(body["hardware"], dict):
        errors.append(FieldError("hardware", "type", "hardware must be an object"))
    return errors


# -- submissions ------------------------------------------------------------------------


def submission_shape_errors(body: Mapping[str, Any]) -> list[FieldError]:
    """The spec's Submission schema (types, required keys, formats)."""
    errors: list[FieldError] = [
        *_string(body, "terminal_id", "terminal_id", required=True),
        *_string(body, "receipt_no", "receipt_no", required=True, max_length=64),
        *_string(body, "item_code", "item_code", required=True),
        *_string(body, "catalog_version", "catalog_version", required=False),
        *_datetime(body, "created_at", "created_at", required=True),
        *_object(body, "applicant", "applicant", required=True),
        *_object(body, "form", "form", required=True),
        *_object(body, "commitment", "commitment", required=True),
        *_object(body, "delivery", "delivery", required=True),
    ]
    terminal_id, receipt_no = body.get("terminal_id"), body.get("receipt_no")
    if isinstance(terminal_id, str) and isinstance(receipt_no, str) and terminal_id \
            and not receipt_no.startswith(terminal_id):
        errors.append(FieldError("receipt_no", "prefix", "receipt_no must begin with the terminal_id"))
    applicant = _dict(body.get("applicant"))
    if isinstance(body.get("applicant"), dict):
        errors += [
            *_enum(applicant, "id_type", "applicant.id_type", ID_TYPES, required=True),
            *_string(applicant, "id_number", "applicant.id_number", required=True, max_length=64),
            *_string(applicant, "name", "applicant.name", required=True, max_length=100),
            *_enum(applicant, "gender", "applicant.gender", ("male", "female"), required=False),
            *_string(applicant, "nation", "applicant.nation", required=False),
            *_string(applicant, "address", "applicant.address", required=False),
            *_string(applicant, "card_valid_until", "applicant.card_valid_until", required=False),
            *_string(applicant, "phone", "applicant.phone", required=False),
            *_string(applicant, "face_material_id", "applicant.face_material_id", required=False),
        ]
        if "birth_date" in applicant and not _is_date(applicant["birth_date"]):
            errors.append(FieldError("applicant.birth_date", "format", "applicant.birth_date must be YYYY-MM-DD"))
        wlt = applicant.get("card_photo_wlt")
        if wlt is not None:
            try:
                base64.b64decode(wlt if isinstance(wlt, str) else b"!", validate=True)
            except (binascii.Error, ValueError):
                errors.append(FieldError("applicant.card_photo_wlt", "format", "card_photo_wlt must be base64"))
    assisted = body.get("assisted_by")
    if assisted is not None and not isinstance(assisted, dict):
        errors.append(FieldError("assisted_by", "type", "assisted_by must be an object or null"))
    commitment = body.get("commitment")
    if isinstance(commitment, dict):
        errors += [
            *_string(commitment, "version", "commitment.version", required=True),
            *_datetime(commitment, "accepted_at", "commitment.accepted_at", required=True),
            *_string(commitment, "signature_material_id", "commitment.signature_material_id", required=False),
        ]
    delivery = body.get("delivery")
    if isinstance(delivery, dict):
        errors += [
            *_enum(delivery, "method", "delivery.method", DELIVERY_METHODS, required=True),
            *_string(delivery, "recipient", "delivery.recipient", required=False, max_length=100),
            *_string(delivery, "phone", "delivery.phone", required=False, max_length=32),
            *_string(delivery, "address", "delivery.address", required=False, max_length=200),
        ]
    errors += _materials_shape_errors(body)
    deferred = body.get("deferred_materials")
    if deferred is not None and not (isinstance(deferred, list) and all(isinstance(c, str) for c in deferred)):
        errors.append(FieldError("deferred_materials", "type", "deferred_materials must be a list of codes"))
    return errors


def _materials_shape_errors(body: Mapping[str, Any]) -> list[FieldError]:
    materials = body.get("materials")
    if "materials" not in body:
        return [FieldError("materials", "required", "materials is required / 必填")]
    if not isinstance(materials, list):
        return [FieldError("materials", "type", "materials must be a list")]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, material in enumerate(materials):
        path = f"materials[{index}]"
        if not isinstance(material, dict):
            errors.append(FieldError(path, "type", f"{path} must be an object"))
            continue
        errors += _string(material, "material_id", f"{path}.material_id", required=True)
        errors += _string(material, "code", f"{path}.code", required=True)
        errors += _enum(material, "content_type", f"{path}.content_type", CONTENT_TYPES, required=True)
        material_id = material.get("material_id")
        if isinstance(material_id, str):
            if not MATERIAL_ID.match(material_id):
                errors.append(FieldError(f"{path}.material_id", "pattern",
                                         "material_id must match ^[A-Za-z0-9_-]{1,64}$"))
            elif material_id in seen:
                errors.append(FieldError(f"{path}.material_id", "duplicate", "material_id used twice"))
            seen.add(material_id)
        size = material.get("size")
        if not _is_int(size) or size < 1:
            errors.append(FieldError(f"{path}.size", "type", f"{path}.size must be an integer of at least 1"))
        sha = material.get("sha256")
        if not isinstance(sha, str) or not SHA256_HEX.match(sha):
            errors.append(FieldError(f"{path}.sha256", "pattern", "sha256 must be 64 lower-case hex digits"))
        if "pages" in material and not _is_int(material["pages"]):
            errors.append(FieldError(f"{path}.pages", "type", f"{path}.pages must be an integer"))
    return errors


def oversized_materials(body: Mapping[str, Any]) -> list[str]:
    """Material ids declared larger than the platform takes (413 at PUT)."""
    materials = body.get("materials")
    if not isinstance(materials, list):
        return []
    return [str(m.get("material_id")) for m in materials
            if isinstance(m, dict) and _is_int(m.get("size")) and m["size"] > MAX_MATERIAL_BYTES]


def submission_catalog_errors(body: Mapping[str, Any], catalog: Catalog) -> list[FieldError]:
    """Does a shape-valid Submission fit its catalog item?"""
    item = catalog.item(str(body.get("item_code")))
    if item is None:
        return [FieldError("item_code", "unknown_item", "no such item in the catalog / 目录中无此事项")]
    if item.get("auth") == "counter_only":
        return [FieldError("item_code", "counter_only", "this item cannot be done at a terminal / 该事项须到窗口办理")]
    errors: list[FieldError] = []
    applicant = _dict(body.get("applicant"))
    errors += _eligibility_errors(item, applicant, body)
    materials = [m for m in body.get("materials", []) if isinstance(m, dict)]
    manifest_ids = {str(m.get("material_id")) for m in materials}
    catalog_materials = {str(m["code"]): m for m in item.get("materials", [])}
    supplied = {str(m.get("code")) for m in materials}
    for index, material in enumerate(materials):
        code = material.get("code")
        if code not in catalog_materials and code not in EXTRA_MATERIAL_CODES:
            errors.append(FieldError(f"materials[{index}].code", "unknown_material",
                                     "not a material of this item / 非本事项材料"))
    deferred = [c for c in body.get("deferred_materials") or [] if isinstance(c, str)]
    for index, code in enumerate(deferred):
        if code not in catalog_materials:
            errors.append(FieldError(f"deferred_materials[{index}]", "unknown_material",
                                     "not a material of this item / 非本事项材料"))
        elif catalog_materials[code].get("deferrable") is not True:
            errors.append(FieldError(f"deferred_materials[{index}]", "not_deferrable",
                                     f"material {code} cannot be supplied later / 该材料不可容缺"))
    for code, spec in catalog_materials.items():
        if spec.get("required") is True and code not in supplied and code not in deferred:
            errors.append(FieldError("materials", "required_material_missing",
                                     f"required material {code} is missing and not deferred / 缺少必要材料"))
    face_id = applicant.get("face_material_id")
    if item.get("auth") == "id_card_and_face":
        face_ids = {str(m.get("material_id")) for m in materials if m.get("code") == "face"}
        if not isinstance(face_id, str) or face_id not in face_ids:
            errors.append(FieldError("applicant.face_material_id", "face_required",
                                     "this item needs a live face photo (a material with code face) / 需人脸照片"))
    elif isinstance(face_id, str) and face_id not in manifest_ids:
        errors.append(FieldError("applicant.face_material_id", "unknown_material_id", "not in materials"))
    signature_id = _dict(body.get("commitment")).get("signature_material_id")
    if isinstance(signature_id, str) and signature_id not in manifest_ids:
        errors.append(FieldError("commitment.signature_material_id", "unknown_material_id", "not in materials"))
    errors += _delivery_errors(item, _dict(body.get("delivery")))
    errors += form_errors(item.get("form", []), _dict(body.get("form")))
    return errors


def _eligibility_errors(item: Mapping[str, Any], applicant: Mapping[str, Any],
                        body: Mapping[str, Any]) -> list[FieldError]:
    eligibility = _dict(item.get("eligibility"))
    errors: list[FieldError] = []
    id_types = eligibility.get("id_types")
    if isinstance(id_types, list) and applicant.get("id_type") not in id_types:
        errors.append(FieldError("applicant.id_type", "not_eligible",
                                 "this item is not open to this kind of ID card / 该证件类型不可办理"))
    birth, created = applicant.get("birth_date"), parse_rfc3339(str(body.get("created_at")))
    if isinstance(birth, str) and _is_date(birth) and created is not None:
        age = age_on(dt.date.fromisoformat(birth), created.date())
        low, high = eligibility.get("min_age"), eligibility.get("max_age")
        if (_is_int(low) and age < low) or (_is_int(high) and age > high):
            errors.append(FieldError("applicant.birth_date", "not_eligible",
                                     "the applicant's age is outside this item's range / 年龄不符合条件"))
    return errors


def _delivery_errors(item: Mapping[str, Any], delivery: Mapping[str, Any]) -> list[FieldError]:
    offered = item.get("delivery") or ["pickup"]
    method = delivery.get("method")
    if method not in offered:
        return [FieldError("delivery.method", "delivery_not_offered",
                           f"this item offers {', '.join(offered)} / 该事项不支持此送达方式")]
    errors: list[FieldError] = []
    if method == "express":
        for key in ("recipient", "phone", "address"):
            value = delivery.get(key)
            if not isinstance(value, str) or not value.strip():
                errors.append(FieldError(f"delivery.{key}", "required", f"express delivery needs {key} / 邮寄须填写"))
        phone = delivery.get("phone")
        if isinstance(phone, str) and phone.strip() and not _PHONE.match(phone.strip()):
            errors.append(FieldError("delivery.phone", "format", "not a phone number / 电话号码格式不正确"))
    return errors


def form_errors(fields: list[dict[str, Any]], form: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for spec in fields:
        key = str(spec.get("key"))
        path = f"form.{key}"
        kind = spec.get("type")
        value = form.get(key)
        empty = value is None or value == "" or value == [] or (kind == "checkbox" and value is False)
        if empty:
            if spec.get("required") is True:
                errors.append(FieldError(path, "required", f"{path} is required / 必填"))
            continue
        error = _field_value_error(spec, value)
        if error:
            code, message = error
            errors.append(FieldError(path, code, f"{path}: {message}"))
    return errors


def _field_value_error(spec: Mapping[str, Any], value: Any) -> tuple[str, str] | None:
    kind = spec.get("type")
    options = [str(o.get("value")) for o in spec.get("options") or [] if isinstance(o, dict)]
    if kind == "checkbox":
        if isinstance(value, bool):
            return None
        if options and isinstance(value, list) and all(v in options for v in value):
            return None
        return ("type", "must be true/false or a list of the field's options / 选项无效")
    if kind == "number":
        if not (_is_number(value) or (isinstance(value, str) and _NUMBER_TEXT.match(value.strip()))):
            return ("type", "must be a number / 须为数字")
        text = str(value)
    elif not isinstance(value, str):
        return ("type", "must be text / 须为文本")
    else:
        text = value
    if kind == "select" and options and text not in options:
        return ("option", "not one of the field's options / 选项无效")
    if kind == "date" and not _is_date(text):
        return ("format", "must be a date YYYY-MM-DD / 日期格式不正确")
    if kind == "phone" and not _PHONE.match(text.strip()):
        return ("format", "not a phone number / 电话号码格式不正确")
    if kind == "id_number":
        upper = text.strip().upper()
        valid = is_valid_id_number(upper) if re.fullmatch(r"\d{17}[\dX]", upper) else bool(_OTHER_ID.match(upper))
        if not valid:
            return ("format", "not a valid ID number / 证件号码不正确")
    max_length = spec.get("max_length")
    if _is_int(max_length) and len(text) > max_length:
        return ("too_long", f"at most {max_length} characters / 超出长度")
    pattern = spec.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = re.fullmatch(pattern, text) is not None
        except re.error:
            matched = True  # a pattern Python cannot read is the catalog's bug, not the resident's
        if not matched:
            return ("pattern", "does not have the required format / 格式不正确")
    return None


def search_errors(body: Mapping[str, Any]) -> list[FieldError]:
    return [*_enum(body, "id_type", "id_type", ID_TYPES, required=True),
            *_string(body, "id_number", "id_number", required=True, max_length=64)]


# -- evaluations and heartbeats ---------------------------------------------------------


def evaluation_errors(body: Mapping[str, Any]) -> list[FieldError]:
    errors = [
        *_string(body, "terminal_id", "terminal_id", required=True),
        *_string(body, "case_no", "case_no", required=False),
        *_string(body, "submission_id", "submission_id", required=False),
        *_string(body, "comment", "comment", required=False, max_length=500),
        *_datetime(body, "created_at", "created_at", required=True),
    ]
    rating = body.get("rating")
    if "rating" not in body:
        errors.append(FieldError("rating", "required", "rating is required / 必填"))
    elif not _is_int(rating) or not 1 <= rating <= 5:
        errors.append(FieldError("rating", "range", "rating must be an integer from 1 to 5 / 评分须为 1 至 5"))
    reasons = body.get("reasons")
    if reasons is not None and not (isinstance(reasons, list) and all(isinstance(r, str) for r in reasons)):
        errors.append(FieldError("reasons", "type", "reasons must be a list of strings"))
    return errors


def terminal_status_errors(body: Mapping[str, Any]) -> list[FieldError]:
    errors = [
        *_datetime(body, "at", "at", required=True),
        *_string(body, "app_version", "app_version", required=True),
        *_string(body, "catalog_etag", "catalog_etag", required=False),
        *_object(body, "queue", "queue", required=True),
    ]
    for key in ("uptime_s", "disk_free_bytes"):
        if key in body and not _is_int(body[key]):
            errors.append(FieldError(key, "type", f"{key} must be an integer"))
    devices = body.get("devices")
    if "devices" not in body:
        errors.append(FieldError("devices", "required", "devices is required / 必填"))
    elif not isinstance(devices, list):
        errors.append(FieldError("devices", "type", "devices must be a list"))
    else:
        for index, device in enumerate(devices):
            path = f"devices[{index}]"
            if not isinstance(device, dict):
                errors.append(FieldError(path, "type", f"{path} must be an object"))
                continue
            errors += _enum(device, "kind", f"{path}.kind", DEVICE_KINDS, required=True)
            errors += _enum(device, "state", f"{path}.state", DEVICE_STATES, required=True)
            errors += _string(device, "model", f"{path}.model", required=False)
            errors += _string(device, "detail", f"{path}.detail", required=False)
    queue = _dict(body.get("queue"))
    for key in ("pending", "failed", "oldest_pending_age_s"):
        if key in queue and not _is_int(queue[key]):
            errors.append(FieldError(f"queue.{key}", "type", f"queue.{key} must be an integer"))
    return errors
