"""Named migrations: one module per step, applied in name order (see gateway/store/db.py)."""
