"""The hub's PostgreSQL schema as named migrations, applied in order, each once, each in its
own transaction (the gateway's migration pattern, for PostgreSQL). Never edit an applied
migration: add the next one."""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_uplink",
        """
        CREATE TABLE stations (
            station text PRIMARY KEY,
            kind text NOT NULL DEFAULT 'station',      -- station / foster_home
            name text,
            district text,                             -- what a district officer's scope names
            first_seen timestamptz NOT NULL DEFAULT now(),
            last_message_at timestamptz
        );
        CREATE TABLE alerts (
            station text NOT NULL, id text NOT NULL, version bigint NOT NULL,
            rule text NOT NULL, severity text NOT NULL, state text NOT NULL,
            node text, subject text, first_at timestamptz NOT NULL, last_at timestamptz NOT NULL,
            changed_at timestamptz, changed_by text, assignee text, incident_id text,
            doc jsonb NOT NULL, sent_at timestamptz NOT NULL,
            stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (station, id)
        );
        CREATE INDEX alerts_state ON alerts (state, severity);
        CREATE TABLE incidents (
            station text NOT NULL, id text NOT NULL, version bigint NOT NULL,
            alert_id text NOT NULL, category text NOT NULL, node text,
            opened_at timestamptz NOT NULL, phone_due timestamptz NOT NULL,
            written_due timestamptz NOT NULL, phone_reported_at timestamptz,
            written_reported_at timestamptz, closed_at timestamptz,
            doc jsonb NOT NULL, sent_at timestamptz NOT NULL,
            stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            first_stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (station, id)
        );
        CREATE INDEX incidents_open ON incidents (closed_at, phone_due);
        CREATE TABLE daily_returns (
            station text NOT NULL, day date NOT NULL, version bigint NOT NULL,
            doc jsonb NOT NULL, sent_at timestamptz NOT NULL,
            stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (station, day)
        );
        CREATE TABLE health (
            station text PRIMARY KEY, version bigint NOT NULL,
            nodes_online int NOT NULL, nodes_total int NOT NULL,
            cameras_ok int NOT NULL, cameras_total int NOT NULL, last_data_at timestamptz,
            doc jsonb NOT NULL, sent_at timestamptz NOT NULL,
            stored_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE TABLE deadletters (
            id bigserial PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now(),
            subject text NOT NULL, reason text NOT NULL, detail text, payload bytea
        );
        """,
    ),
    (
        "0002_bureau",
        """
        CREATE TABLE downlink (
            id text PRIMARY KEY, station text NOT NULL, alert_id text NOT NULL,
            kind text NOT NULL, by_user text NOT NULL, text text,
            created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz,
            attempts int NOT NULL DEFAULT 0, last_error text
        );
        CREATE INDEX downlink_pending ON downlink (created_at) WHERE published_at IS NULL;
        CREATE TABLE users (
            username text PRIMARY KEY,
            role text NOT NULL,                  -- officer / supervisor / admin
            password_hash text NOT NULL,
            districts jsonb,                     -- NULL: every district
            stations jsonb,                      -- NULL: every station of those districts
            lang text NOT NULL DEFAULT 'zh-CN',
            disabled boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE sessions (
            id_hash text PRIMARY KEY, username text NOT NULL REFERENCES users,
            csrf_token text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL, ended_at timestamptz
        );
        CREATE TABLE audit (
            id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL, action text NOT NULL, target text, detail text
        );
        CREATE INDEX audit_at ON audit (at);
        """,
    ),
    (
        "0003_incident_people",
        """
        -- Who is missing in an open missing-person incident (the station sends them only while
        -- it is open); the rows go when a snapshot says the incident closed (gateway/hub/store.py).
        CREATE TABLE incident_people (
            station text NOT NULL, incident_id text NOT NULL, person_id text NOT NULL,
            version bigint NOT NULL,
            doc jsonb NOT NULL,                 -- the description, without the portrait
            portrait bytea,                     -- AES-256-GCM: nonce + ciphertext (portrait key)
            portrait_type text,
            stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (station, incident_id, person_id)
        );
        """,
    ),
]
