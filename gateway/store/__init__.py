"""The gateway's SQLite store (WAL, named migrations in `gateway.store.schema`)."""
