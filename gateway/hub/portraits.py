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

from pathlib import Path

from gateway.hub import HubError
from gateway.keyfile import KeyFileError, read_key, seal, unseal


class PortraitKey:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None

    def _load(self) -> bytes:
        if self._key is None:
            try:
                self._key = read_key(self.path)
            except KeyFileError as exc:
                raise HubError(f"portrait key: {exc}") from None
        return self._key

    @staticmethod
    def _aad(station: str, incident_id: str, person_id: str) -> bytes:
        return f"{station}/{incident_id}/{person_id}".encode()

    def seal(self, station: str, incident_id: str, person_id: str, data: bytes) -> bytes:
        return seal(self._load(), data, self._aad(station, incident_id, person_id))

    def open(self, station: str, incident_id: str, person_id: str, blob: bytes) -> bytes:
        return unseal(self._load(), blob, self._aad(station, incident_id, person_id))
