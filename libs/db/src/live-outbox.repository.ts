import { Injectable } from '@nestjs/common';
import { liveHorizon, PASSABLE_TRANSACTIONS } from './live-outbox.statements.js';
import { PrismaService } from './prisma.service.js';

/**
 * A place in live_outbox: the batch (tx_id, device_id) read last. Batches are read in that order,
 * and only below the live horizon (the oldest transaction id still running that may write
 * live_outbox, see liveHorizon): every batch found later has a greater tx_id than any horizon
 * seen before, so it lies after every position handed out, and a reader resuming from a position
 * misses nothing.
 */
export interface LivePosition {
  txId: bigint;
  deviceId: number;
}

export interface LiveReading {
  sensorId: number;
  recordedAt: Date;
  value: number;
}

/** One device's readings of one stored batch, with what the outputs need to know of the device. */
export interface LiveBatch extends LivePosition {
  readings: LiveReading[];
  storedAt: Date;
  isPrivate: boolean;
  /** The device forwards (enable_forwarding) and its owner has a forwarding token. */
  forwarded: boolean;
}

/** Which batches a read returns: all, those of public devices, or those to forward. */
export type LiveSelection = 'all' | 'public' | 'forwarded';

export interface LiveRead {
  /** The batches of the page that match the read's selection. */
  batches: LiveBatch[];
  /**
   * The last position the page covered, matching or not (null for an empty page): where a reader
   * with a selection resumes, so batches it skipped are not read again.
   */
  through: LivePosition | null;
  /** True when the page limit cut the read short: more readable batches follow. */
  more: boolean;
  /**
   * True when committed batches exist that are not readable yet because an older transaction is
   * still running: read again soon (it is usually another batch about to commit).
   */
  pending: boolean;
}

export const comparePositions = (a: LivePosition, b: LivePosition): number =>
  a.txId < b.txId ? -1 : a.txId > b.txId ? 1 : a.deviceId - b.deviceId;

/**
 * A batch as read: the readings' columns as comma-joined text (null when the batch is outside the
 * read's selection), timestamps as epoch milliseconds. Splitting three strings costs a fraction of
 * what pg's parsing of array literals and of one timestamp string per reading costs.
 */
interface BatchRow {
  tx_id: string;
  device_id: number;
  sensor_ids: string | null;
  recorded_ms: string | null;
  reading_values: string | null;
  stored_at: Date;
  is_private: boolean | null;
  forwarded: boolean | null;
}

/** A batch's device forwards now (`d` its device, `u` the owner): the 'forwarded' selection. */
const FORWARDS_NOW = 'd.enable_forwarding AND u.forwarding_token IS NOT NULL';

/** Reads, positions and retention of live_outbox (written by the ingest batch statement). */
@Injectable()
export class LiveOutboxRepository {
  constructor(private readonly db: PrismaService) {}

  /**
   * Batches after `after` (and at most up to `upTo`), below the live horizon, in position
   * order. `deviceId` narrows the read to one device.
   */
  async readAfter(
    after: LivePosition,
    options: { limit: number; upTo?: LivePosition; deviceId?: number; only?: LiveSelection },
  ): Promise<LiveRead> {
    const upTo = options.upTo ?? { txId: BigInt('9223372036854775807'), deviceId: 2147483647 };
    const passable = await this.passable();
    // One statement, one snapshot: the horizon, the page below it, and whether committed batches
    // wait above it (read again soon) all agree.
    // Named: each connection plans it once, not on every read (a few ms each, and a relay that
    // keeps up reads often).
    const { rows } = await this.db.pool.query<BatchRow & { pending: boolean }>({
      name: 'live-outbox-read-after',
      text: `WITH h AS (${liveHorizon('$8')})
       SELECT EXISTS (SELECT 1 FROM live_outbox WHERE tx_id >= (SELECT x FROM h)) AS pending, b.*
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (
           SELECT o.tx_id::text AS tx_id, o.device_id, o.stored_at, d.is_private,
                  (${FORWARDS_NOW}) AS forwarded,
                  CASE WHEN s.wanted THEN array_to_string(o.sensor_ids, ',') END AS sensor_ids,
                  CASE WHEN s.wanted THEN array_to_string(ARRAY(
                    SELECT (extract(epoch FROM t.at) * 1000)::bigint
                      FROM unnest(o.recorded_ats) WITH ORDINALITY AS t(at, n) ORDER BY t.n), ',') END
                    AS recorded_ms,
                  CASE WHEN s.wanted THEN array_to_string(o.reading_values, ',') END AS reading_values
             FROM live_outbox o
             LEFT JOIN devices d ON d.id = o.device_id
             LEFT JOIN users u ON u.id = d.owner_id
            CROSS JOIN LATERAL (
              SELECT CASE $7::text
                       WHEN 'public' THEN d.is_private IS FALSE
                       WHEN 'forwarded' THEN coalesce(${FORWARDS_NOW}, false)
                       ELSE true
                     END AS wanted) AS s
            WHERE (o.tx_id, o.device_id) > ($1::bigint, $2::int)
              AND (o.tx_id, o.device_id) <= ($3::bigint, $4::int)
              AND o.tx_id < (SELECT x FROM h)
              AND ($5::int IS NULL OR o.device_id = $5::int)
            ORDER BY o.tx_id, o.device_id
            LIMIT $6
         ) AS b ON true`,
      values: [
        after.txId.toString(),
        after.deviceId,
        upTo.txId.toString(),
        upTo.deviceId,
        options.deviceId ?? null,
        options.limit + 1,
        options.only ?? 'all',
        passable,
      ],
    });
    const found = rows.filter((r) => r.tx_id !== null);
    const more = found.length > options.limit;
    const page = found.slice(0, options.limit);
    const last = page.at(-1);
    return {
      batches: page.filter((r) => r.sensor_ids !== null).map(toBatch),
      through: last ? { txId: BigInt(last.tx_id), deviceId: last.device_id } : null,
      more,
      pending: !more && rows[0].pending,
    };
  }

  /** A position before every batch not yet readable: where a reader that wants only new batches starts. */
  async horizon(): Promise<LivePosition> {
    const passable = await this.passable();
    const { rows } = await this.db.pool.query<{ x: string }>(liveHorizon('$1'), [passable]);
    return { txId: BigInt(rows[0].x), deviceId: 0 };
  }

  /** Whether any device forwards now: whether the 'forwarded' selection could match a batch. */
  async anyDeviceForwards(): Promise<boolean> {
    const { rows } = await this.db.pool.query<{ any: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM devices d JOIN users u ON u.id = d.owner_id WHERE ${FORWARDS_NOW}) AS any`,
    );
    return rows[0].any;
  }

  /** PASSABLE_TRANSACTIONS, read before the statement that takes the snapshot. */
  private async passable(): Promise<string[]> {
    const { rows } = await this.db.pool.query<{ xids: string[] }>({
      name: 'live-outbox-passable',
      text: PASSABLE_TRANSACTIONS,
    });
    return rows[0].xids;
  }

  async position(name: string): Promise<LivePosition | null> {
    const { rows } = await this.db.pool.query<{ tx_id: string; device_id: number }>(
      'SELECT tx_id::text AS tx_id, device_id FROM live_positions WHERE name = $1',
      [name],
    );
    return rows.length === 0 ? null : { txId: BigInt(rows[0].tx_id), deviceId: rows[0].device_id };
  }

  /** Moves a named position forward (never back). */
  async savePosition(name: string, position: LivePosition): Promise<void> {
    await this.db.pool.query({
      name: 'live-outbox-save-position',
      text: `INSERT INTO live_positions (name, tx_id, device_id) VALUES ($1, $2::bigint, $3)
       ON CONFLICT (name) DO UPDATE
          SET tx_id = EXCLUDED.tx_id, device_id = EXCLUDED.device_id, updated_at = now()
        WHERE (live_positions.tx_id, live_positions.device_id) < (EXCLUDED.tx_id, EXCLUDED.device_id)`,
      values: [name, position.txId.toString(), position.deviceId],
    });
  }

  /**
   * Deletes batches stored more than `retentionMs` ago and records the greatest deleted position
   * as `pruned`, so that a resume from before it is known to have a gap. Returns the rows deleted.
   */
  async prune(retentionMs: number): Promise<number> {
    const { rows } = await this.db.pool.query<{ deleted: number }>(
      `WITH gone AS (
         DELETE FROM live_outbox
          WHERE stored_at < now() - make_interval(secs => $1::float8 / 1000)
         RETURNING tx_id, device_id
       ), last AS (
         SELECT tx_id, device_id FROM gone ORDER BY tx_id DESC, device_id DESC LIMIT 1
       ), saved AS (
         INSERT INTO live_positions (name, tx_id, device_id)
         SELECT '${PRUNED}', tx_id, device_id FROM last
         ON CONFLICT (name) DO UPDATE
            SET tx_id = EXCLUDED.tx_id, device_id = EXCLUDED.device_id, updated_at = now()
          WHERE (live_positions.tx_id, live_positions.device_id) < (EXCLUDED.tx_id, EXCLUDED.device_id)
       )
       SELECT count(*)::int AS deleted FROM gone`,
      [retentionMs],
    );
    return rows[0].deleted;
  }

  /** Up to where retention has deleted batches; null while nothing was deleted. */
  prunedThrough(): Promise<LivePosition | null> {
    return this.position(PRUNED);
  }
}

const PRUNED = 'pruned';

function toBatch(row: BatchRow): LiveBatch {
  const sensorIds = splitNumbers(row.sensor_ids);
  const recordedMs = splitNumbers(row.recorded_ms);
  const values = splitNumbers(row.reading_values);
  return {
    txId: BigInt(row.tx_id),
    deviceId: row.device_id,
    readings: sensorIds.map((sensorId, i) => ({
      sensorId,
      recordedAt: new Date(recordedMs[i]),
      value: values[i],
    })),
    storedAt: row.stored_at,
    // A batch whose device is gone is treated as private: nothing public about it.
    isPrivate: row.is_private ?? true,
    forwarded: row.forwarded ?? false,
  };
}

/** A comma-joined column as numbers ('' is an empty array; float8 text reads back exactly). */
function splitNumbers(text: string | null): number[] {
  return text ? text.split(',').map(Number) : [];
}
