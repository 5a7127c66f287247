"""The StationKit gateway: ingest, store, rules, alerts, notifications, API and dashboard."""
