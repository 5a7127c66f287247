"""People: one file per person taken in (受助人员档案), its status history, the checks linked to
it, the belongings ledger, foster-home placements and the (encrypted) images of the file.

Tables and columns (gateway/people/store.py is the API over them; names are stable):

- `people`: id (ULID, PK), site (station), came_by (police/outreach/self/hospital/transfer),
  came_at, found_place, found_at, names (JSON list of names/aliases as given; [] = unknown),
  sex (male/female/unknown), age_min, age_max (estimated years), accent, height_cm, build, hair,
  clothing, marks (JSON list of {kind, location, description, image_id}), cond_physical,
  cond_mental, cond_intellectual, cond_communication, medication, clues, legal_basis
  (statutory_duty/guardian_consent/subject_consent/vital_interest), legal_basis_by,
  legal_basis_at, status, status_since, portrait_id (current `person_images` id or NULL),
  search_text (lower-case names, aliases and description fields, for search), created_at,
  created_by, updated_at, updated_by, archived_at (retention: closed file archived).
- `person_status`: id (PK), person_id, status, previous, reason, check_id, at, by.
- `person_checks`: check_id (PK: a check belongs to at most one person), person_id, how
  (opened: file opened from this check / linked: check linked to an existing file), at, by.
- `belongings`: id (PK), person_id, check_id, item, description, quantity, storage_place,
  image_id, received_by, received_at, released_at, released_by, released_to, release_note.
- `placements`: id (PK), person_id, site (the foster home), from_date (YYYY-MM-DD), until_date
  (NULL while current), placed_by, placed_at, ended_by, ended_at, note.
- `person_images`: id (ULID, PK), person_id, purpose (portrait/mark/belonging), content_type,
  size, sha256 (of the plain image), legal_basis (for portraits), stored_at, stored_by,
  replaced_at, deleted_at, deleted_reason. The bytes are files encrypted with AES-GCM
  (gateway/people/images.py), never in the database.

Times are the store's spelling (gateway/store/times.py). Existing checks and events are not
touched: a check made before this migration is simply not in `person_checks` yet.
"""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    create_table(
        db,
        "people",
        {
            "id": str,
            "site": str,
            "came_by": str,
            "came_at": str,
            "found_place": str,
            "found_at": str,
            "names": str,
            "sex": str,
            "age_min": int,
            "age_max": int,
            "accent": str,
            "height_cm": int,
            "build": str,
            "hair": str,
            "clothing": str,
            "marks": str,
            "cond_physical": str,
            "cond_mental": str,
            "cond_intellectual": str,
            "cond_communication": str,
            "medication": str,
            "clues": str,
            "legal_basis": str,
            "legal_basis_by": str,
            "legal_basis_at": str,
            "status": str,
            "status_since": str,
            "portrait_id": str,
            "search_text": str,
            "created_at": str,
            "created_by": str,
            "updated_at": str,
            "updated_by": str,
            "archived_at": str,
        },
        pk="id",
        not_null={"site", "came_by", "came_at", "names", "sex", "status", "status_since"},
        defaults={"names": "[]", "marks": "[]", "sex": "unknown"},
        indexes=[["site", "id"], ["status", "id"], ["came_at"]],
    )
    create_table(
        db,
        "person_status",
        {
            "id": int,
            "person_id": str,
            "status": str,
            "previous": str,
            "reason": str,
            "check_id": str,
            "at": str,
            "by": str,
        },
        pk="id",
        not_null={"person_id", "status", "at", "by"},
        indexes=[["person_id", "at"]],
    )
    create_table(
        db,
        "person_checks",
        {"check_id": str, "person_id": str, "how": str, "at": str, "by": str},
        pk="check_id",
        not_null={"person_id", "how", "at", "by"},
        indexes=[["person_id"]],
    )
    create_table(
        db,
        "belongings",
        {
            "id": int,
            "person_id": str,
            "check_id": str,
            "item": str,
            "description": str,
            "quantity": int,
            "storage_place": str,
            "image_id": str,
            "received_by": str,
            "received_at": str,
            "released_at": str,
            "released_by": str,
            "released_to": str,
            "release_note": str,
        },
        pk="id",
        not_null={"person_id", "item", "quantity", "received_by", "received_at"},
        defaults={"quantity": 1},
        indexes=[["person_id"], ["released_at"]],
    )
    create_table(
        db,
        "placements",
        {
            "id": int,
            "person_id": str,
            "site": str,
            "from_date": str,
            "until_date": str,
            "placed_by": str,
            "placed_at": str,
            "ended_by": str,
            "ended_at": str,
            "note": str,
        },
        pk="id",
        not_null={"person_id", "site", "from_date", "placed_by", "placed_at"},
        indexes=[["person_id"], ["site", "until_date"]],
    )
    create_table(
        db,
        "person_images",
        {
            "id": str,
            "person_id": str,
            "purpose": str,
            "content_type": str,
            "size": int,
            "sha256": str,
            "legal_basis": str,
            "stored_at": str,
            "stored_by": str,
            "replaced_at": str,
            "deleted_at": str,
            "deleted_reason": str,
        },
        pk="id",
        not_null={"person_id", "purpose", "content_type", "size", "stored_at", "stored_by"},
        indexes=[["person_id", "purpose"]],
    )
