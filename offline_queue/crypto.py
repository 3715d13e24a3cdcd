"""Encryption at rest: a random AES-256-GCM key per application (and per evaluation),
wrapped by a terminal key that is kept outside the database.

This is offline-sync.md §6's fallback design (the kiosk must read its own queue to
reprint a receipt and to answer the progress query before delivery): a local
key-encryption key (KEK) wraps per-record data keys (DEKs). Purge destroys the
wrapped DEK together with the ciphertext (crypto-shredding), which also covers what
flash wear-levelling keeps of overwritten blocks.

* The KEK is 32 random bytes in `<storage_dir>/terminal.key`, mode 0600, created on
  first use (O_EXCL, fsynced). On a hardened terminal the same file can come from
  systemd `LoadCredentialEncrypted=` (TPM-sealed); this module only needs a path.
* Every ciphertext is bound to its record by AES-GCM associated data
  (`kind|record id|part`), so a file or a payload cannot be swapped between records.
* Nonces are random 96-bit values; a DEK encrypts a handful of messages, far below
  the birthday bound.

Nothing here logs or reprs key material.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from offline_queue.errors import KeyMismatch
from offline_queue.files import atomic_write, fsync_dir

_VERSION = b"\x01"
_NONCE = 12
KEY_FILE = "terminal.key"


class DecryptionFailed(Exception):
    """Ciphertext damaged, swapped, or under another key (carries no data)."""


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < 1 + _NONCE + 16 or blob[:1] != _VERSION:
        raise DecryptionFailed("not our ciphertext")
    try:
        return AESGCM(key).decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], aad)
    except InvalidTag:
        raise DecryptionFailed("authentication failed") from None


class TerminalKey:
    """The key-encryption key of this terminal."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("terminal key must be 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return f"TerminalKey(fingerprint={self.fingerprint})"

    @property
    def fingerprint(self) -> str:
        """Identifies the key without revealing it (stored in the database to notice a swap)."""
        return hmac.new(self._key, b"kiosk terminal key id", hashlib.sha256).hexdigest()[:16]

    @classmethod
    def load(cls, path: Path) -> TerminalKey | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if len(data) != 32:
            raise KeyMismatch(str(path))
        return cls(data)

    @classmethod
    def create(cls, path: Path) -> TerminalKey:
        key = os.urandom(32)
        if path.exists():
            raise FileExistsError(str(path))
        atomic_write(path, key, mode=0o600)
        fsync_dir(path.parent)
        os.chmod(path, 0o600)
        return cls(key)

    def wrap(self, dek: bytes, owner: str) -> bytes:
        return _seal(self._key, dek, b"dek|" + owner.encode())

    def unwrap(self, wrapped: bytes, owner: str) -> RecordCipher:
        return RecordCipher(_open(self._key, wrapped, b"dek|" + owner.encode()))


class RecordCipher:
    """The data key of one application or evaluation."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "RecordCipher(<key>)"

    @classmethod
    def new(cls) -> RecordCipher:
        return cls(AESGCM.generate_key(bit_length=256))

    def wrapped_by(self, kek: TerminalKey, owner: str) -> bytes:
        return kek.wrap(self._key, owner)

    def encrypt(self, plaintext: bytes, aad: str) -> bytes:
        return _seal(self._key, plaintext, aad.encode())

    def decrypt(self, blob: bytes, aad: str) -> bytes:
        return _open(self._key, blob, aad.encode())
