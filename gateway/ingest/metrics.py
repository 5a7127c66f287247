"""Prometheus metrics of the gateway (one registry per gateway instance)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.ingested = Counter(
            "stationkit_events_ingested", "events stored (first time seen)", ["kind"], registry=r
        )
        self.duplicates = Counter(
            "stationkit_events_duplicate", "events received again and ignored", registry=r
        )
        self.deadletters = Counter(
            "stationkit_deadletters",
            "messages rejected to the dead-letter table",
            ["reason"],
            registry=r,
        )
        self.deadletters_dropped = Counter(
            "stationkit_deadletters_not_stored",
            "dead letters only counted: their node passed its daily dead-letter budget",
            ["reason"],
            registry=r,
        )
        self.clock_flagged = Counter(
            "stationkit_events_clock_flagged",
            "events stored with the gateway's time: the node's was too far ahead or too old",
            ["flag"],
            registry=r,
        )
        self.lag = Histogram(
            "stationkit_ingest_lag_seconds",
            "node event time to stored time",
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300, 3600),
        )
        self.queue = Gauge("stationkit_ingest_queue", "messages waiting to be stored", registry=r)
        self.batches = Counter("stationkit_ingest_batches", "database commits", registry=r)
        self.lost = Gauge(
            "stationkit_events_lost",
            "events missing by seq, per node",
            ["site", "node"],
            registry=r,
        )
        self.http_guard = Counter(
            "stationkit_http_connections_closed",
            "HTTP connections closed by the guard: header_timeout, body_timeout, "
            "evicted_idle (to make room under max_connections), refused_busy",
            ["reason"],
            registry=r,
        )
        self.nodes_online = Gauge("stationkit_nodes_online", "nodes online", registry=r)
