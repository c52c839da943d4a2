/**
 * The live outbox step of the batch statement (ingest.repository.ts): one live_outbox row per
 * device with the readings this statement really inserted (`stored` is the INSERT's RETURNING,
 * so readings skipped by ON CONFLICT produce nothing), and a NOTIFY that Postgres delivers only
 * when the transaction commits, waking the relay and the API's streams.
 */
export const LIVE_OUTBOX_CHANNEL = 'sck_live_outbox';

export const LIVE_OUTBOX_STEP = `, live AS (
    INSERT INTO live_outbox (device_id, sensor_ids, recorded_ats, reading_values)
    SELECT device_id, array_agg(sensor_id), array_agg(recorded_at), array_agg(value)
      FROM stored
     GROUP BY device_id
    RETURNING 1
  ), live_notified AS (
    SELECT pg_notify('${LIVE_OUTBOX_CHANNEL}', '') FROM (SELECT 1 FROM live LIMIT 1) AS any_row
  )`;

/** Referenced from the statement's result: a plain SELECT step runs only when something reads it. */
export const LIVE_OUTBOX_RESULT = `, (SELECT count(*) FROM live_notified) AS live_notified`;
