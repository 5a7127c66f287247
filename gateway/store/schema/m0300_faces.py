"""Face matching for family search (gateway/faces, docs/faces.md).

- `face_templates`: id (PK), kind (person / report_photo), subject (person id or photo id),
  person_id, report_id, model_id (templates of different models are never compared),
  photo_year, blob (12-byte nonce + AES-256-GCM of the 128 float32 values; key file outside
  the database), created_at, created_by. Only the matcher reads `blob`; no API returns it.
- `face_state`: a version bumped by every template change (the matcher's in-memory gallery).
- `family_reports`: missing-person reports from families (走失人员家属信息): reporter name,
  relation, contact, ID checked by, the missing person's names, date of birth, home address,
  last seen when and where, description, conditions, consent for the photos and for the
  reporter's data, status open/closed, who and when.
- `family_report_photos`: id, report_id, year_taken, content_type, stored_at/by, deleted_at.
- `face_searches`: every search: who, why (case), the query, the candidates shown.
- `face_reviews`: each reviewer's decision on a candidate (rejected / needs_info / probable /
  confirmed with the other evidence).
"""

from __future__ import annotations

import sqlite_utils

from gateway.store.schema import create_table


def migrate(db: sqlite_utils.Database) -> None:
    create_table(
        db,
        "face_templates",
        {
            "id": str,
            "kind": str,
            "subject": str,
            "person_id": str,
            "report_id": str,
            "model_id": str,
            "photo_year": int,
            "blob": bytes,
            "created_at": str,
            "created_by": str,
        },
        pk="id",
        not_null={"kind", "subject", "model_id", "blob", "created_at", "created_by"},
        indexes=[["person_id"], ["report_id"]],
    )
    db.table("face_state").create({"k": str, "v": int}, pk="k")
    db.execute("INSERT INTO face_state (k, v) VALUES ('gallery', 0)")
    create_table(
        db,
        "family_reports",
        {
            "id": str,
            "site": str,
            "reporter_name": str,
            "reporter_relation": str,
            "reporter_contact": str,
            "id_checked_by": str,
            "names": str,  # JSON list
            "sex": str,
            "birth_date": str,
            "home_address": str,
            "last_seen_at": str,
            "last_seen_where": str,
            "description": str,
            "conditions": str,
            "consent_photos": int,
            "consent_contact": int,
            "status": str,
            "created_at": str,
            "created_by": str,
            "closed_at": str,
            "closed_by": str,
            "closed_reason": str,
        },
        pk="id",
        not_null={"site", "names", "status", "created_at", "created_by"},
    )
    create_table(
        db,
        "family_report_photos",
        {
            "id": str,
            "report_id": str,
            "year_taken": int,
            "content_type": str,
            "stored_at": str,
            "stored_by": str,
            "deleted_at": str,
            "deleted_reason": str,
        },
        pk="id",
        not_null={"report_id", "stored_at", "stored_by"},
    )
    create_table(
        db,
        "face_searches",
        {
            "id": str,
            "at": str,
            "actor": str,
            "reason": str,
            "query": str,  # JSON: {"kind": person|report|upload, "id": …}
            "model_id": str,
            "candidates": str,  # JSON list as shown
        },
        pk="id",
        not_null={"at", "actor", "reason", "query", "candidates"},
    )
    create_table(
        db,
        "face_reviews",
        {
            "id": int,
            "search_id": str,
            "candidate": str,  # "person:<id>" or "report:<id>"
            "decision": str,
            "evidence": str,
            "note": str,
            "by": str,
            "at": str,
        },
        pk="id",
        not_null={"search_id", "candidate", "decision", "by", "at"},
        indexes=[["search_id", "candidate"]],
    )
