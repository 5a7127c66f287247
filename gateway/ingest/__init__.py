"""MQTT ingest: decode, validate, store exactly once, acknowledge after commit."""
