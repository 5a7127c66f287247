"""The FastAPI application: REST under /api/v1, health, metrics, dashboard."""
