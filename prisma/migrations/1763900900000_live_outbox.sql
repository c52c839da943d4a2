-- Up Migration

-- Live readings (docs/live.md): one row per device per stored batch, written by the batch's own
-- transaction with only the readings it really inserted. tx_id is the writing transaction's id:
-- readers take rows whose tx_id is below the oldest transaction still running
-- (pg_snapshot_xmin), so a batch that commits late is never skipped by a cursor that has moved on.
CREATE TABLE live_outbox (
  tx_id           bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
  device_id       integer NOT NULL,
  sensor_ids      integer[] NOT NULL,
  recorded_ats    timestamptz[] NOT NULL,
  reading_values  double precision[] NOT NULL,
  stored_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tx_id, device_id)
);
-- Retention deletes by age; rows arrive in stored_at order, which BRIN serves at almost no cost.
CREATE INDEX live_outbox_stored_at_idx ON live_outbox USING brin (stored_at);

-- Named positions in live_outbox: how far each relay has published, and up to where retention
-- has deleted (a resume from before it would have a gap).
CREATE TABLE live_positions (
  name        text PRIMARY KEY,
  tx_id       bigint NOT NULL,
  device_id   integer NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE live_positions;
DROP TABLE live_outbox;
