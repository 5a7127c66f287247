"""Portraits of missing people at the hub, encrypted at rest.

A portrait reaches the hub only inside the snapshot of an open missing-person incident
(docs/hub.md) and is deleted with the incident's closing snapshot. While kept it is AES-256-GCM
ciphertext in PostgreSQL (`incident_people.portrait` = 12-byte nonce + ciphertext, the station,
incident and person as associated data, so a value copied onto another row does not decrypt).
The 32-byte key is a file outside the database (`portrait_key_file` in hub.toml, mode 0600,
created on first use; every hub machine needs the same file). Without a key file configured the
hub keeps the description and no portrait, and says so on the page.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.hub import HubError


class PortraitKey:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None

    def _load(self) -> bytes:
        if self._key is None:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(AESGCM.generate_key(bit_length=256))
            key = self.path.read_bytes()
            if len(key) != 32:
                raise HubError(f"{self.path}: not a 32-byte portrait key")
            self._key = key
        return self._key

    @staticmethod
    def _aad(station: str, incident_id: str, person_id: str) -> bytes:
        return f"{station}/{incident_id}/{person_id}".encode()

    def seal(self, station: str, incident_id: str, person_id: str, data: bytes) -> bytes:
        nonce = os.urandom(12)
        aad = self._aad(station, incident_id, person_id)
        return nonce + AESGCM(self._load()).encrypt(nonce, data, aad)

    def open(self, station: str, incident_id: str, person_id: str, blob: bytes) -> bytes:
        aad = self._aad(station, incident_id, person_id)
        return AESGCM(self._load()).decrypt(blob[:12], blob[12:], aad)
