"""Broker credentials and ACLs for nodes and the gateway (see `stationkit provision`)."""
