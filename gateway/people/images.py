"""Images of a person file (reference portrait, photos of marks and belongings), encrypted at
rest. Images of vulnerable people are sensitive personal information (PIPL Art. 28, 51).

Each image is one file `{root}/{image_id}.bin` = 12-byte nonce + AES-256-GCM ciphertext, with
the image id and the person id as associated data (a file copied onto another record does not
decrypt). The 32-byte key is a file outside the database (`people.key` beside it, mode 0600,
created on first use; `$STATIONKIT_PEOPLE_KEY` names another path): a copy of the database
alone does not reveal an image. Files are written to a temporary name and renamed.

Rows in `person_images` record what was stored, by whom, on which legal basis, and when it
was replaced or deleted (and why); a file's portrait history is its portrait rows. No image is
stored for a file without a legal basis."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from pydantic import BaseModel
from ulid import ULID

from gateway.auth.audit import audit
from gateway.keyfile import KeyFileError, read_key, seal, unseal
from gateway.people import Invalid, NotFound, PeopleError
from gateway.people.store import _row, one_row, person_rows
from gateway.store.times import iso

MAX_IMAGE_BYTES = 8 * 1024 * 1024
PURPOSES = ("portrait", "mark", "belonging")


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


class ImageInfo(BaseModel):
    id: str
    purpose: str
    content_type: str
    size: int
    legal_basis: str | None = None
    stored_at: str
    stored_by: str
    replaced_at: str | None = None
    deleted_at: str | None = None
    deleted_reason: str | None = None


class ImageVault:
    """Encrypted image files. `key_path` is created (0600) if missing."""

    def __init__(self, root: Path, key_path: Path) -> None:
        self.root = root
        self.key_path = key_path

    @classmethod
    def beside(cls, db_path: Path | str) -> ImageVault:
        base = Path(db_path).parent
        key = os.environ.get("STATIONKIT_PEOPLE_KEY")
        return cls(base / "people-images", Path(key) if key else base / "people.key")

    def _key(self) -> bytes:
        try:
            return read_key(self.key_path)
        except KeyFileError as exc:
            raise PeopleError(str(exc)) from None

    def put(self, image_id: str, person_id: str, data: bytes) -> None:
        blob = seal(self._key(), data, f"{image_id}/{person_id}".encode())
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{image_id}.tmp"
        tmp.write_bytes(blob)
        os.replace(tmp, self.root / f"{image_id}.bin")

    def get(self, image_id: str, person_id: str) -> bytes:
        path = self.root / f"{image_id}.bin"
        if not path.exists():
            raise NotFound(f"image {image_id} is not on disk (deleted by retention?)")
        return unseal(self._key(), path.read_bytes(), f"{image_id}/{person_id}".encode())

    def delete(self, image_id: str) -> bool:
        try:
            (self.root / f"{image_id}.bin").unlink()
            return True
        except FileNotFoundError:
            return False


def store_image(
    db: sqlite_utils.Database,
    vault: ImageVault,
    person_id: str,
    purpose: str,
    data: bytes,
    actor: str,
    *,
    ref: int | None = None,
    now: datetime | None = None,
) -> ImageInfo:
    """Store an image of the file. A portrait replaces the current one (kept in the history
    until retention deletes it); a mark photo goes on mark number `ref`, a belonging photo on
    belonging `ref`."""
    person = _row(db, person_id)
    if purpose not in PURPOSES:
        raise Invalid(f"purpose must be one of {', '.join(PURPOSES)}")
    if not person["legal_basis"]:
        raise Invalid("record the file's legal basis before storing an image of the person")
    if len(data) > MAX_IMAGE_BYTES:
        raise Invalid(f"image larger than {MAX_IMAGE_BYTES // 1024 // 1024} MB")
    content_type = sniff(data)
    if content_type is None:
        raise Invalid("not a JPEG or PNG image")
    marks = json.loads(person["marks"] or "[]")
    if purpose == "belonging" and (
        ref is None
        or not db.execute(
            "SELECT 1 FROM belongings WHERE id=? AND person_id=?", [ref, person_id]
        ).fetchone()
    ):
        raise NotFound(f"no belonging {ref} on this file")
    if purpose == "mark" and (ref is None or not 0 <= ref < len(marks)):
        raise NotFound(f"no mark number {ref} on this file")
    at = iso(now or datetime.now(UTC))
    image_id = str(ULID())
    vault.put(image_id, person_id, data)  # before the row: a row never points at no file
    digest = hashlib.sha256(data).hexdigest()
    with db.atomic():
        db.table("person_images").insert(
            {
                "id": image_id,
                "person_id": person_id,
                "purpose": purpose,
                "content_type": content_type,
                "size": len(data),
                "sha256": digest,
                "legal_basis": person["legal_basis"],
                "stored_at": at,
                "stored_by": actor,
            }
        )
        if purpose == "portrait":
            db.execute(
                "UPDATE person_images SET replaced_at=? WHERE person_id=? AND purpose='portrait' "
                "AND id<>? AND replaced_at IS NULL",
                [at, person_id, image_id],
            )
            db.table("people").update(person_id, {"portrait_id": image_id})
        elif purpose == "belonging":
            db.execute("UPDATE belongings SET image_id=? WHERE id=?", [image_id, ref])
        elif ref is not None:  # a mark (its number was checked above)
            marks[ref]["image_id"] = image_id
            db.table("people").update(person_id, {"marks": json.dumps(marks, ensure_ascii=False)})
        audit(
            db,
            actor,
            "person.image_store",
            person_id,
            {"image": image_id, "purpose": purpose, "ref": ref, "basis": person["legal_basis"]},
            at=now,
        )
    return image_info(db, person_id, image_id)


def image_info(db: sqlite_utils.Database, person_id: str, image_id: str) -> ImageInfo:
    sql = "SELECT * FROM person_images WHERE id=? AND person_id=?"
    missing = f"no image {image_id} on file {person_id}"
    return ImageInfo.model_validate(one_row(db, sql, [image_id, person_id], missing))


def images(db: sqlite_utils.Database, person_id: str) -> list[ImageInfo]:
    found = person_rows(db, "person_images", person_id, order="stored_at, id")
    return [ImageInfo.model_validate(r) for r in found]


def delete_image(
    db: sqlite_utils.Database,
    vault: ImageVault,
    person_id: str,
    image_id: str,
    reason: str,
    actor: str,
    *,
    now: datetime | None = None,
) -> None:
    """Delete the image's file; its row stays, with when and why (the history is the record)."""
    info = image_info(db, person_id, image_id)
    if info.deleted_at:
        return
    at = iso(now or datetime.now(UTC))
    vault.delete(image_id)
    with db.atomic():
        db.execute(
            "UPDATE person_images SET deleted_at=?, deleted_reason=? WHERE id=?",
            [at, reason, image_id],
        )
        db.execute(
            "UPDATE people SET portrait_id=NULL WHERE id=? AND portrait_id=?", [person_id, image_id]
        )
        audit(
            db,
            actor,
            "person.image_delete",
            person_id,
            {"image": image_id, "reason": reason},
            at=now,
        )
