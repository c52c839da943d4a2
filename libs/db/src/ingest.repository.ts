import { Injectable } from '@nestjs/common';
import type { RejectReason } from '../../domain/src/index.js';
import { Prisma } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';
import { type LifecycleWrite, lifecycleStatements } from './device-lifecycle.statements.js';

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
  /** Kept for whole-message rejections, so the bytes can be looked at later. */
  payload?: Buffer;
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
  constructor(private readonly db: PrismaService) {}

  /** Active (not archived) devices for these tokens. */
  async findActiveDevicesByTokens(tokens: string[]): Promise<Map<string, number>> {
    if (tokens.length === 0) return new Map();
    const rows = await this.db.client.$queryRaw<{ id: number; token: string }[]>`
      SELECT id, token FROM devices WHERE token = ANY(${tokens}::text[]) AND archived_at IS NULL`;
    return new Map(rows.map((r) => [r.token, r.id]));
  }

  async storeBatch(batch: BatchWrite): Promise<BatchOutcome> {
    const readings = [...batch.readings].sort(compareReadings);
    const statements: Prisma.PrismaPromise<number>[] = [];
    if (readings.length > 0) {
      const isoTimes = readings.map((r) => new Date(r.recordedAt).toISOString());
      statements.push(this.db.client.$executeRaw`
        INSERT INTO readings (device_id, sensor_id, recorded_at, value)
        SELECT * FROM unnest(${readings.map((r) => r.deviceId)}::int[], ${readings.map((r) => r.sensorId)}::int[],
                             ${isoTimes}::timestamptz[], ${readings.map((r) => r.value)}::float8[])
        ON CONFLICT DO NOTHING`);
      const latest = latestPerSensor(readings);
      statements.push(this.db.client.$executeRaw`
        INSERT INTO device_sensors AS ds (device_id, sensor_id, recorded_at, value)
        SELECT * FROM unnest(${latest.map((r) => r.deviceId)}::int[], ${latest.map((r) => r.sensorId)}::int[],
                             ${latest.map((r) => new Date(r.recordedAt).toISOString())}::timestamptz[],
                             ${latest.map((r) => r.value)}::float8[])
        ON CONFLICT (device_id, sensor_id) DO UPDATE
          SET recorded_at = EXCLUDED.recorded_at, value = EXCLUDED.value
          WHERE ds.recorded_at < EXCLUDED.recorded_at`);
      const span = spanPerDevice(readings);
      statements.push(this.db.client.$executeRaw`
        UPDATE devices AS d
           SET last_reading_at = GREATEST(d.last_reading_at, s.last_at),
               first_reading_at = LEAST(d.first_reading_at, s.first_at)
          FROM unnest(${span.map((s) => s.deviceId)}::int[], ${span.map((s) => s.first)}::timestamptz[],
                      ${span.map((s) => s.last)}::timestamptz[]) AS s(device_id, first_at, last_at)
         WHERE d.id = s.device_id
           AND (d.last_reading_at IS NULL OR d.last_reading_at < s.last_at
                OR d.first_reading_at IS NULL OR d.first_reading_at > s.first_at)`);
    }
    if (batch.lifecycle) statements.push(...lifecycleStatements(this.db.client, batch.lifecycle));
    if (batch.errors.length > 0) {
      statements.push(this.insertErrors(batch.errors));
    }
    if (statements.length === 0) return { inserted: 0 };
    const results = await this.db.client.$transaction(statements);
    return { inserted: readings.length > 0 ? results[0] : 0 };
  }

  /** Records rejections outside any batch (used when a batch's own write failed for good). */
  async recordErrors(errors: IngestErrorRecord[]): Promise<void> {
    if (errors.length > 0) await this.insertErrors(errors);
  }

  private insertErrors(errors: IngestErrorRecord[]): Prisma.PrismaPromise<number> {
    // One jsonb parameter instead of seven arrays: rare, small, and bytea arrays travel badly.
    const rows = errors.map((e) => ({
      reason: e.reason,
      message: e.message,
      device_id: e.deviceId,
      token: e.token,
      topic: e.topic,
      item: e.item === undefined ? null : toJsonSafe(e.item),
      payload: e.payload ? e.payload.toString('base64') : null,
    }));
    return this.db.client.$executeRaw`
      INSERT INTO ingest_errors (reason, message, device_id, token, topic, item, payload)
      SELECT reason, message, device_id, token, topic, item, decode(payload, 'base64')
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS e(reason text, message text, device_id int, token text, topic text, item jsonb, payload text)`;
  }
}

/**
 * Newest reading per (device, sensor). On equal instants the first in the batch wins, as it does
 * in `readings` (ON CONFLICT DO NOTHING), so the latest value always equals a stored row.
 */
function latestPerSensor(sorted: StoredReading[]): StoredReading[] {
  const latest: StoredReading[] = [];
  for (const r of sorted) {
    const last = latest[latest.length - 1];
    if (!last || last.deviceId !== r.deviceId || last.sensorId !== r.sensorId) latest.push(r);
    else if (r.recordedAt > last.recordedAt) latest[latest.length - 1] = r;
  }
  return latest;
}

function spanPerDevice(sorted: StoredReading[]): { deviceId: number; first: string; last: string }[] {
  const spans = new Map<number, { first: number; last: number }>();
  for (const r of sorted) {
    const s = spans.get(r.deviceId);
    if (!s) spans.set(r.deviceId, { first: r.recordedAt, last: r.recordedAt });
    else {
      if (r.recordedAt < s.first) s.first = r.recordedAt;
      if (r.recordedAt > s.last) s.last = r.recordedAt;
    }
  }
  return [...spans].map(([deviceId, s]) => ({
    deviceId,
    first: new Date(s.first).toISOString(),
    last: new Date(s.last).toISOString(),
  }));
}

/** jsonb cannot hold NUL characters or lone surrogates; escape them rather than lose the item. */
function toJsonSafe(value: unknown): unknown {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'string' ? v.replaceAll(String.fromCharCode(0), '\\u0000').toWellFormed() : v,
  );
  return text === undefined ? null : (JSON.parse(text) as unknown);
}
