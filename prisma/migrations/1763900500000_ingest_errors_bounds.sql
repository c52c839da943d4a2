-- Up Migration

-- Rejected payloads are kept as a short prefix; payload_bytes is the size of the whole payload.
ALTER TABLE ingest_errors ADD COLUMN payload_bytes integer;
UPDATE ingest_errors SET payload_bytes = octet_length(payload) WHERE payload IS NOT NULL;

-- Retention deletes by age (INGEST_ERRORS_RETENTION_HOURS).
CREATE INDEX ingest_errors_created_at_idx ON ingest_errors (created_at);

-- Down Migration

DROP INDEX ingest_errors_created_at_idx;
ALTER TABLE ingest_errors DROP COLUMN payload_bytes;
