import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { RejectReason } from '#domain';
import { PrismaService } from './prisma.service.js';
import { type LifecycleWrite, lifecycleStatements, type PgStatement } from './device-lifecycle.statements.js';
import { insertErrorsStatement } from './ingest-errors.statements.js';
import { KnownPairs } from './known-pairs.js';
import { LIVE_OUTBOX_RESULT, LIVE_OUTBOX_STEP } from './live-outbox.statements.js';
import { compactionGuard, MARKS_CTE, marksColumns, NOT_COMPACTED } from './storage-lifecycle.js';

export interface StoredReading {
  deviceId: number;
  sensorId: number;
  /** Epoch ms. */
  recordedAt: number;
  value: number;
}

export interface IngestErrorRecord {
  reason: RejectReason;
  message: string;
  deviceId: number | null;
  token: string | null;
  topic: string;
  item?: unknown;
  /** A prefix of the payload, kept for whole-message rejections so the bytes can be looked at. */
  payload?: Buffer;
  /** The size of the whole payload (defaults to the length of `payload`). */
  payloadBytes?: number;
}

export interface BatchWrite {
  readings: StoredReading[];
  errors: IngestErrorRecord[];
  /** Hello, info, inventory, parked and replayed messages of the batch (same transaction). */
  lifecycle?: LifecycleWrite;
}

export interface BatchOutcome {
  inserted: number;
}

const compareReadings = (a: StoredReading, b: StoredReading) =>
  a.deviceId - b.deviceId || a.sensorId - b.sensorId || a.recordedAt - b.recordedAt;

/**
 * The ingest hot path: one transaction per batch, one set-based statement per table
 * (ARCHITECTURE.md: unnest INSERT … ON CONFLICT DO NOTHING, never createMany).
 * Rows are sorted by key so that concurrent batches from several ingestors lock in the same order
 * and cannot deadlock each other.
 */
@Injectable()
export class IngestRepository {
  private readonly knownPairs = new KnownPairs();
  /** Readings older than this many ms take the compacted-day check; null while compaction is off. */
  private lateAfterMs: number | null = null;

  private readonly live: boolean;

  constructor(private readonly db: PrismaService) {
    this.live = db.options.liveOutbox ?? false;
  }

  /** Compaction moves days older than this out of `readings` (see compactionGuard). */
  useCompactionHorizon(compactAfterDays: number): void {
    this.lateAfterMs = compactAfterDays > 0 ? (compactAfterDays - 1) * 86_400_000 : null;
  }

  /** Active (not archived) devices for these tokens. On the pg pool, like the readings statement. */
  async findActiveDevicesByTokens(tokens: string[]): Promise<Map<string, number>> {
    if (tokens.length === 0) return new Map();
    const { rows } = await this.db.pool.query<{ id: number; token: string }>(
      'SELECT id, token FROM devices WHERE token = ANY($1::text[]) AND archived_at IS NULL',
      [tokens],
    );
    return new Map(rows.map((r) => [r.token, r.id]));
  }

  async storeBatch(batch: BatchWrite): Promise<BatchOutcome> {
    // Everything but the readings: lifecycle writes (hello, info, inventory, parking, replayed
    // parked rows) and rejections, committed together with the readings.
    const others: PgStatement[] = [
      ...(batch.lifecycle ? lifecycleStatements(batch.lifecycle) : []),
      ...(batch.errors.length > 0 ? [insertErrorsStatement(batch.errors)] : []),
    ];
    if (batch.readings.length === 0) {
      // Hellos and infos update devices rows: lock them in id order first, as a batch with
      // readings does (readingsStatement).
      const devices = lifecycleDevices(batch.lifecycle);
      if (devices.length > 0) others.unshift(lockDevicesStatement(devices));
      if (others.length > 0) await this.inTransaction(others);
      return { inserted: 0 };
    }
    const sorted = [...batch.readings].sort(compareReadings);
    const pairs = this.knownPairs.unknownIn(sorted);
    const { lateBefore, lock } = compactionGuard(sorted, this.lateAfterMs);
    const readings = readingsStatement(
      sorted,
      pairs,
      lifecycleDevices(batch.lifecycle),
      lateBefore,
      this.live,
    );
    // Straight on the pg pool behind Prisma: `$queryRaw` serializes every parameter to JSON and
    // parses it back, and these statements' parameters are the batch's columns and payloads.
    // One statement alone is one transaction: no BEGIN/COMMIT round trips.
    const result =
      others.length === 0 && lock.length === 0
        ? await this.db.pool.query<{ inserted: number }>(readings.text, readings.values)
        : (await this.inTransaction([...lock, readings, ...others]))[lock.length];
    this.knownPairs.remember(pairs);
    return { inserted: (result.rows[0] as { inserted: number }).inserted };
  }

  /** Records rejections outside any batch (used when a batch's own write failed for good). */
  async recordErrors(errors: IngestErrorRecord[]): Promise<void> {
    if (errors.length > 0) await this.inTransaction([insertErrorsStatement(errors)]);
  }

  /** Runs the statements in order in one transaction on one pooled connection. */
  private async inTransaction(statements: PgStatement[]): Promise<pg.QueryResult[]> {
    const client = await this.db.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const results: pg.QueryResult[] = [];
      for (const s of statements) results.push(await client.query(s.text, s.values));
      await client.query('COMMIT');
      return results;
    } catch (error) {
      // A connection that cannot even roll back is dropped from the pool rather than reused.
      await client.query('ROLLBACK').catch((e: unknown) => (broken = e as Error));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** Locks these devices rows, by id, for the rest of the transaction. */
function lockDevicesStatement(ids: number[]): PgStatement {
  return {
    text: `
      SELECT id FROM devices
       WHERE id = ANY(string_to_array($1::text, ',')::int[])
       ORDER BY id
         FOR NO KEY UPDATE`,
    values: [idsInOrder(ids)],
  };
}

/**
 * The batch statement of readingsStatement; $1–$10 are its comma-joined columns, $11–$13
 * marksColumns. `live`: also writes the batch's inserted readings to the live outbox
 * (live-outbox.statements.ts).
 */
const readingsStatementText = (live: boolean) => `
  WITH stored AS (
    INSERT INTO readings (device_id, sensor_id, recorded_at, value)
    SELECT r.device_id, r.sensor_id, to_timestamp(r.at), r.value
      FROM unnest(string_to_array($1::text, ',')::int[],
                  string_to_array($2::text, ',')::int[],
                  string_to_array($3::text, ',')::float8[],
                  string_to_array($4::text, ',')::float8[])
        AS r(device_id, sensor_id, at, value)
     WHERE ${NOT_COMPACTED}
    ON CONFLICT DO NOTHING
    RETURNING device_id, sensor_id, recorded_at, value
  ), inserted AS (
    SELECT count(*)::int AS n FROM stored
  ), ${MARKS_CTE}${live ? LIVE_OUTBOX_STEP : ''}, pairs AS (
    INSERT INTO device_sensors (device_id, sensor_id)
    SELECT * FROM unnest(string_to_array($5::text, ',')::int[],
                         string_to_array($6::text, ',')::int[])
     WHERE (SELECT n FROM inserted) >= 0
    ON CONFLICT DO NOTHING
    RETURNING 1
  ), locked AS (
    SELECT id FROM devices
     WHERE id = ANY(string_to_array($7::text, ',')::int[])
       AND (SELECT count(*) FROM pairs) >= 0
     ORDER BY id
       FOR NO KEY UPDATE
  ), seen AS (
    UPDATE devices AS d
       SET last_reading_at = GREATEST(d.last_reading_at, to_timestamp(s.last_at)),
           first_reading_at = LEAST(d.first_reading_at, to_timestamp(s.first_at))
      FROM unnest(string_to_array($8::text, ',')::int[],
                  string_to_array($9::text, ',')::float8[],
                  string_to_array($10::text, ',')::float8[])
        AS s(device_id, first_at, last_at)
     WHERE d.id = s.device_id
       AND (SELECT count(*) FROM locked) >= 0
       AND (d.last_reading_at IS NULL OR d.last_reading_at < to_timestamp(s.last_at)
            OR d.first_reading_at IS NULL OR d.first_reading_at > to_timestamp(s.first_at))
  )
  SELECT n AS inserted${live ? LIVE_OUTBOX_RESULT : ''} FROM inserted`;
const READINGS_STATEMENT = readingsStatementText(false);
const READINGS_STATEMENT_LIVE = readingsStatementText(true);

/**
 * Readings, new device × sensor pairs and device reading times in one statement (data-modifying
 * CTEs run to completion whether referenced or not, in one snapshot, atomically). Each column
 * travels as one comma-joined text parameter split in SQL, timestamps as epoch seconds: far
 * cheaper to build than pg's per-element array literals of numbers and ISO strings.
 *
 * Rollups are not written here (the batch's rollup_marks row names its device × hours for the
 * rollup job), nor latest values: the API reads them from `readings` (the newest row by its
 * primary key), so a batch writes no row version per reading beyond the reading itself.
 *
 * Lock order. Concurrent batches (two per ingestor, several ingestors) take their locks in one
 * order, so that none can wait for another that waits for it: reading keys (sorted), then new
 * pairs (sorted), then every devices row the transaction will change, by id, before any is
 * changed (`alsoChanged`: the batch's hellos and infos). The one-time filters on the previous
 * step's count make each step wait for the one before. Without the `locked` step the
 * reading-time UPDATE locks rows in whatever order its join produces them, and a hello or info
 * of the same transaction, run after it, locks still another devices row:
 * test/integration/ingest-repository.spec.ts saw 10 and 13 deadlocks in 40 such batches, each
 * costing a second (deadlock_timeout) and a retry.
 */
function readingsStatement(
  readings: StoredReading[],
  pairs: StoredReading[],
  alsoChanged: number[],
  lateBefore: number,
  live: boolean,
): { text: string; values: string[] } {
  const span = spanPerDevice(readings);
  const changedDevices = idsInOrder([...span.map((s) => s.deviceId), ...alsoChanged]);
  const column = <T>(rows: T[], pick: (row: T) => number) => rows.map(pick).join(',');
  return {
    text: live ? READINGS_STATEMENT_LIVE : READINGS_STATEMENT,
    values: [
      column(readings, (r) => r.deviceId),
      column(readings, (r) => r.sensorId),
      column(readings, (r) => r.recordedAt / 1000),
      column(readings, (r) => r.value),
      column(pairs, (r) => r.deviceId),
      column(pairs, (r) => r.sensorId),
      changedDevices,
      column(span, (s) => s.deviceId),
      column(span, (s) => s.first / 1000),
      column(span, (s) => s.last / 1000),
      ...marksColumns(readings, lateBefore),
    ],
  };
}

/** Distinct ids, ascending, comma-joined: the order every batch locks devices rows in. */
function idsInOrder(ids: number[]): string {
  return [...new Set(ids)].sort((a, b) => a - b).join(',');
}

/** Devices rows a batch's hellos and infos update. */
function lifecycleDevices(write: LifecycleWrite | undefined): number[] {
  if (!write) return [];
  return [...write.hellos.map((h) => h.deviceId), ...write.infos.map((i) => i.deviceId)];
}

function spanPerDevice(sorted: StoredReading[]): { deviceId: number; first: number; last: number }[] {
  const spans = new Map<number, { first: number; last: number }>();
  for (const r of sorted) {
    const s = spans.get(r.deviceId);
    if (!s) spans.set(r.deviceId, { first: r.recordedAt, last: r.recordedAt });
    else {
      if (r.recordedAt < s.first) s.first = r.recordedAt;
      if (r.recordedAt > s.last) s.last = r.recordedAt;
    }
  }
  return [...spans].map(([deviceId, s]) => ({ deviceId, first: s.first, last: s.last }));
}
