"""Export bundles: moving undelivered applications off a broken terminal.

Choice: the bundle is ENCRYPTED and authenticated, not just checksummed. It carries
personal data (ID numbers, scanned pages) on a USB stick through a hall, so a
checksum alone would put plaintext on removable media. The key comes from a
passphrase (scrypt, n=2^15, r=8, p=1, random salt) that the technician carries
separately from the stick; the receiving terminal re-encrypts everything under its own
terminal key on import.

Layout::

    KIOSK-OUTBOX-BUNDLE/1\\n
    {"kdf": "scrypt", "salt": …, "n": …, "r": …, "p": …, "nonce_prefix": …, "created_at": …}\\n
    frame*   each: 4-byte big-endian length, then AES-256-GCM ciphertext

Frame i is sealed with nonce = prefix(4) ‖ i (8 bytes, big-endian) and associated data
= the header line ‖ final-flag, so frames cannot be reordered, dropped, spliced from
another bundle, or the bundle truncated: the last frame is the only one with the flag
set and carries the item count. Import verifies every frame before it stores anything.

Frame plaintext: 4-byte length of a JSON record, the record, then raw bytes (material
frames only). Records: {"type": "application", "row", "manifest"}, then one
{"type": "material", "submission_id", "material_id"} frame per material file;
{"type": "evaluation", "row", "body"}; and the final {"type": "end", "count"}.

Imported items keep their ids, receipt numbers and terminal id (the platform dedupes
by id and compares content, so a repeat of something the broken terminal already
delivered costs nothing) and start as `pending`.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from offline_queue.clock import rfc3339
from offline_queue.crypto import DecryptionFailed
from offline_queue.errors import BadBundle, StorageFailure
from offline_queue.files import fsync_dir
from offline_queue.model import Kind

if TYPE_CHECKING:
    from offline_queue.outbox import Outbox

MAGIC = b"KIOSK-OUTBOX-BUNDLE/1\n"
_MAX_FRAME = 80 * 1024 * 1024
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not passphrase:
        raise BadBundle("empty passphrase")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _frame_plain(record: dict[str, Any], data: bytes = b"") -> bytes:
    meta = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    return struct.pack(">I", len(meta)) + meta + data


class _Writer:
    def __init__(self, out: BinaryIO, passphrase: str, created_at: str) -> None:
        salt = os.urandom(16)
        self._prefix = os.urandom(4)
        header = {"kdf": "scrypt", "salt": base64.b64encode(salt).decode(), **_SCRYPT,
                  "nonce_prefix": base64.b64encode(self._prefix).decode(), "created_at": created_at}
        self._header = json.dumps(header, separators=(",", ":")).encode()
        self._aead = AESGCM(_key(passphrase, salt, **_SCRYPT))
        self._out = out
        self._index = 0
        out.write(MAGIC + self._header + b"\n")

    def frame(self, plaintext: bytes, final: bool = False) -> None:
        nonce = self._prefix + struct.pack(">Q", self._index)
        sealed = self._aead.encrypt(nonce, plaintext, self._header + (b"\x01" if final else b"\x00"))
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1


def export_outbox(outbox: Outbox, path: Path, passphrase: str) -> int:
    """Write every undelivered item to `path` (atomically); returns how many."""
    rows = outbox.db.query(
        "SELECT id, receipt_no, terminal_id, item_code, catalog_version, delivery_method, created_at, created_ts"
        " FROM submissions WHERE state IN ('pending','delivering','quarantined') ORDER BY seq")
    evals = outbox.db.query(
        "SELECT id, submission_id, created_at, created_ts FROM evaluations"
        " WHERE state IN ('pending','delivering','quarantined') ORDER BY seq")
    path = Path(path)
    temp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")
    count = 0
    try:
        with open(temp, "xb") as out:
            os.chmod(temp, 0o600)
            writer = _Writer(out, passphrase, rfc3339(outbox.clock.now()))
            for r in rows:
                keys = ("id", "receipt_no", "terminal_id", "item_code", "catalog_version", "delivery_method",
                        "created_at", "created_ts")
                row = dict(zip(keys, r, strict=True))
                try:
                    manifest = outbox.payload(Kind.APPLICATION, row["id"])
                except (DecryptionFailed, ValueError):
                    continue  # unreadable here, unreadable anywhere: it stays quarantined on this terminal
                writer.frame(_frame_plain({"type": "application", "row": row, "manifest": manifest}))
                for entry in manifest.get("materials", []):
                    mid = str(entry["material_id"])
                    try:
                        data = outbox.material_bytes(row["id"], mid)
                    except DecryptionFailed:
                        data = None
                    if data is not None:
                        writer.frame(_frame_plain({"type": "material", "submission_id": row["id"],
                                                   "material_id": mid}, data))
                count += 1
            for r in evals:
                row = dict(zip(("id", "submission_id", "created_at", "created_ts"), r, strict=True))
                try:
                    body = outbox.payload(Kind.EVALUATION, row["id"])
                except (DecryptionFailed, ValueError):
                    continue
                writer.frame(_frame_plain({"type": "evaluation", "row": row, "body": body}))
                count += 1
            writer.frame(_frame_plain({"type": "end", "count": count}), final=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StorageFailure("export", type(exc).__name__) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


def _frames(path: Path, passphrase: str, keys: dict[tuple[bytes, int, int, int], bytes]
            ) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Every record of a bundle, authenticated; BadBundle on any damage. `keys` caches
    the derived key between the verifying and the importing pass (scrypt is slow on purpose)."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed in the finally below, around a generator
    except OSError as exc:
        raise BadBundle(f"cannot read ({exc.strerror})") from None
    try:
        if f.read(len(MAGIC)) != MAGIC:
            raise BadBundle("not an outbox bundle")
        header_line = f.readline(4096)
        if not header_line.endswith(b"\n"):
            raise BadBundle("damaged header")
        header_bytes = header_line[:-1]
        try:
            header = json.loads(header_bytes)
            salt = base64.b64decode(header["salt"])
            prefix = base64.b64decode(header["nonce_prefix"])
            n, r, p = int(header["n"]), int(header["r"]), int(header["p"])
        except (ValueError, KeyError, TypeError):
            raise BadBundle("damaged header") from None
        if len(prefix) != 4 or not (2**10 <= n <= 2**20 and 1 <= r <= 16 and 1 <= p <= 4):
            raise BadBundle("damaged header")
        cache_key = (salt, n, r, p)
        if cache_key not in keys:
            keys[cache_key] = _key(passphrase, salt, n, r, p)
        aead = AESGCM(keys[cache_key])
        index = 0
        while True:
            size_bytes = f.read(4)
            if len(size_bytes) < 4:
                raise BadBundle("truncated (no end record)")
            (size,) = struct.unpack(">I", size_bytes)
            if size > _MAX_FRAME:
                raise BadBundle("damaged frame")
            sealed = f.read(size)
            if len(sealed) < size:
                raise BadBundle("truncated")
            nonce = prefix + struct.pack(">Q", index)
            final = False
            try:
                plain = aead.decrypt(nonce, sealed, header_bytes + b"\x00")
            except InvalidTag:
                try:
                    plain = aead.decrypt(nonce, sealed, header_bytes + b"\x01")
                    final = True
                except InvalidTag:
                    raise BadBundle("wrong passphrase or damaged data" if index == 0 else "damaged data") from None
            index += 1
            (meta_len,) = struct.unpack(">I", plain[:4])
            try:
                record = json.loads(plain[4 : 4 + meta_len])
            except ValueError:
                raise BadBundle("damaged record") from None
            if not isinstance(record, dict):
                raise BadBundle("damaged record")
            yield record, plain[4 + meta_len :]
            if final:
                if record.get("type") != "end" or f.read(1):
                    raise BadBundle("data after the end record")
                return
    finally:
        f.close()


def import_into(outbox: Outbox, path: Path, passphrase: str) -> tuple[int, int]:
    """Verify the whole bundle, then queue its items; returns (imported, already here)."""
    items = 0
    declared = -1
    keys: dict[tuple[bytes, int, int, int], bytes] = {}
    for record, _data in _frames(path, passphrase, keys):
        if record.get("type") in ("application", "evaluation"):
            items += 1
        elif record.get("type") == "end":
            declared = int(record.get("count", -1))
    if declared != items:
        raise BadBundle("item count does not match")

    imported = skipped = 0
    pending: tuple[dict[str, Any], dict[str, Any], list[tuple[str, bytes]]] | None = None

    def flush() -> None:
        nonlocal pending, imported, skipped
        if pending is not None:
            row, manifest, files = pending
            if outbox.restore_application(row, manifest, files):
                imported += 1
            else:
                skipped += 1
            pending = None

    for record, data in _frames(path, passphrase, keys):
        kind = record.get("type")
        if kind == "material" and pending is not None and record.get("submission_id") == pending[0]["id"]:
            pending[2].append((str(record["material_id"]), data))
            continue
        flush()
        if kind == "application":
            pending = (dict(record["row"]), dict(record["manifest"]), [])
        elif kind == "evaluation":
            if outbox.restore_evaluation(dict(record["row"]), dict(record["body"])):
                imported += 1
            else:
                skipped += 1
    flush()
    if imported:
        outbox.notify()
    return imported, skipped
