"""AES-256-GCM with a key file outside the database: person images, face templates and the
bureau's portraits each have their own key file, made on first use (0600, never overwritten)
and refused when it is not 32 bytes. The blob is a 12-byte nonce and the ciphertext; the
associated data binds it to the record it belongs to, so a blob moved to another record does
not open."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class KeyFileError(Exception):
    """The key file is missing (and may not be made) or is not a 32-byte key."""


def read_key(path: Path, *, create: bool = True) -> bytes:
    if not path.exists():
        if not create:
            raise KeyFileError(f"{path}: the key file is missing")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(AESGCM.generate_key(bit_length=256))
    key = path.read_bytes()
    if len(key) != 32:
        raise KeyFileError(f"{path}: not a 32-byte key; restore it from the backup")
    return key


def seal(key: bytes, data: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, data, aad)


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Raises cryptography's InvalidTag for a wrong key, a wrong record or a damaged blob."""
    return AESGCM(key).decrypt(blob[:12], blob[12:], aad)
