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

/**
 * The application_name a transaction declares (SET LOCAL, before its first write) when it never
 * writes live_outbox: the storage jobs' long transactions. The live horizon does not wait for it.
 */
export const NOT_A_LIVE_WRITER = 'sck-storage-job';

/**
 * The transactions running now that the live horizon may pass over (as xid text): those of other
 * databases and those declared NOT_A_LIVE_WRITER. Read in a statement of its own, before the
 * statement whose snapshot liveHorizon uses (see there).
 */
export const PASSABLE_TRANSACTIONS = `SELECT coalesce(array_agg(a.backend_xid::text), '{}') AS xids
    FROM pg_stat_activity a
   WHERE a.backend_xid IS NOT NULL
     AND (a.datname IS DISTINCT FROM current_database() OR a.application_name = '${NOT_A_LIVE_WRITER}')`;

/**
 * The live horizon of the statement's snapshot (`x`, as bigint), given `$passable` (the xids
 * PASSABLE_TRANSACTIONS returned just before): the oldest transaction id still running that may
 * write live_outbox, or the snapshot's xmax when none is. Every batch committed later has an id at
 * or above it. A running transaction is passed over only when it was seen running, before the
 * snapshot was taken, in another database or declared NOT_A_LIVE_WRITER; one that began after
 * that read counts. So the horizon never passes a batch the snapshot cannot see, and never moves
 * back: a transaction passed over by one read was already running, and passable, before the next
 * read's list was taken.
 */
export function liveHorizon(passable: string): string {
  return `SELECT least(pg_snapshot_xmax(s.snap), (
           SELECT min(x) FROM pg_snapshot_xip(s.snap) AS x WHERE x::xid <> ALL(${passable}::xid[])
         ))::text::bigint AS x
    FROM (SELECT pg_current_snapshot() AS snap) AS s`;
}
