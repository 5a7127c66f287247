"""The bureau's hub: stateless workers that consume the stations' uplink from one JetStream
durable consumer into PostgreSQL, the bureau's downlink, and the bureau's dashboard."""


class HubError(Exception):
    """Base of the hub's errors; the message says what to fix."""
