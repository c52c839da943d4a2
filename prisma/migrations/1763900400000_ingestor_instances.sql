-- Up Migration

-- One row per running ingestor (its MQTT_CLIENT_ID), refreshed every heartbeat: which members of
-- a shared subscription are live, and the decommission request an operator leaves for one of them.
CREATE TABLE ingestor_instances (
  client_id                 text PRIMARY KEY,
  subscription              text        NOT NULL,
  host                      text        NOT NULL,
  pid                       integer     NOT NULL,
  heartbeat_ms              integer     NOT NULL,
  state                     text        NOT NULL CHECK (state IN ('running', 'stopped', 'decommissioning')),
  started_at                timestamptz NOT NULL,
  last_seen_at              timestamptz NOT NULL,
  decommission_requested_at timestamptz
);
CREATE INDEX ingestor_instances_subscription_idx ON ingestor_instances (subscription);

-- Down Migration

DROP TABLE ingestor_instances;
