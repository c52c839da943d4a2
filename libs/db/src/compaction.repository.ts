import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { inJobTransaction, LATE_READINGS_LOCK } from './storage-lifecycle.js';

const DAY_MS = 86_400_000;

export interface CompactionStep {
  /** Readings moved out of `readings`. */
  readings: number;
  /** readings_compact rows written (new or merged). */
  rows: number;
  /** How long the chunk held the compaction lock (late readings wait for it), in ms. */
  lockedMs: number;
}

export interface ReadingsPartition {
  name: string;
  from: Date;
  to: Date;
}

/** Moves closed days of `readings` into readings_compact (docs/storage.md). */
@Injectable()
export class CompactionRepository {
  constructor(private readonly db: PrismaService) {}

  /** The monthly partitions of `readings` that start before `before`, oldest first. */
  async partitionsBefore(before: Date): Promise<ReadingsPartition[]> {
    const { rows } = await this.db.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'readings'::regclass`,
    );
    const parts: ReadingsPartition[] = [];
    for (const { name } of rows) {
      // Monthly partitions are named by ensure_readings_partition. The default partition is left
      // alone: partition upkeep moves its months into their own partitions first.
      const match = /^readings_(\d{4})_(\d{2})$/.exec(name);
      if (!match) continue;
      const [year, month] = [Number(match[1]), Number(match[2]) - 1];
      const part = {
        name,
        from: new Date(Date.UTC(year, month, 1)),
        to: new Date(Date.UTC(year, month + 1, 1)),
      };
      if (part.from < before) parts.push(part);
    }
    return parts.sort((a, b) => a.from.getTime() - b.from.getTime());
  }

  async isEmpty(partition: string): Promise<boolean> {
    const { rows } = await this.db.pool.query(`SELECT 1 FROM ${ident(partition)} LIMIT 1`);
    return rows.length === 0;
  }

  /** Devices that stored readings on the UTC day starting at `day`, ascending. */
  async devicesOfDay(day: Date): Promise<number[]> {
    const { rows } = await this.db.pool.query<{ id: number }>(
      `SELECT id FROM devices
        WHERE first_reading_at < $1::timestamptz + interval '1 day' AND last_reading_at >= $1::timestamptz
        ORDER BY id`,
      [day],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Moves one UTC day of these devices' readings into readings_compact, merging into rows already
   * there, in one transaction: a crash leaves the chunk either wholly moved or untouched.
   */
  async compactChunk(day: Date, deviceIds: number[]): Promise<CompactionStep> {
    return inJobTransaction(this.db.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [LATE_READINGS_LOCK]);
      const locked = Date.now();
      const { rows } = await client.query<{ readings: number; rows: number }>(
        `WITH moved AS (
           DELETE FROM readings r USING device_sensors ds
            WHERE ds.device_id = ANY($2::int[])
              AND r.device_id = ds.device_id AND r.sensor_id = ds.sensor_id
              AND r.recorded_at >= $1::timestamptz AND r.recorded_at < $1::timestamptz + interval '1 day'
           RETURNING r.device_id, r.sensor_id, r.recorded_at, r.value
         ), packed AS (
           SELECT device_id, sensor_id, array_agg(us ORDER BY us) AS offsets_us, array_agg(value ORDER BY us) AS vals
             FROM (SELECT device_id, sensor_id, value,
                          (extract(epoch FROM recorded_at - $1::timestamptz) * 1000000)::bigint AS us
                     FROM moved) m
            GROUP BY device_id, sensor_id
         ), merged AS (
           INSERT INTO readings_compact AS c (device_id, sensor_id, day_start, offsets_us, vals)
           SELECT device_id, sensor_id, $1::timestamptz, offsets_us, vals FROM packed
           ON CONFLICT (device_id, sensor_id, day_start) DO UPDATE
              SET (offsets_us, vals) = (
                SELECT array_agg(x.us ORDER BY x.us), array_agg(x.v ORDER BY x.us)
                  FROM (SELECT DISTINCT ON (u.us) u.us, u.v
                          FROM unnest(c.offsets_us || EXCLUDED.offsets_us, c.vals || EXCLUDED.vals)
                               WITH ORDINALITY AS u(us, v, n)
                         ORDER BY u.us, u.n) x)
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM moved)::int AS readings, (SELECT count(*) FROM merged)::int AS rows`,
        [day, deviceIds],
      );
      return { ...rows[0], lockedMs: Date.now() - locked };
    });
  }

  /**
   * Gives an emptied partition's disk back at once (deleted rows otherwise wait for VACUUM). Waits
   * at most `lockTimeoutMs` for its lock, so that ingest never queues behind it for longer; false
   * when it did not get the lock or the partition is not empty.
   */
  async truncateIfEmpty(partition: string, lockTimeoutMs = 200): Promise<boolean> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = ${Math.floor(lockTimeoutMs)}`);
      await client.query(`LOCK TABLE ${ident(partition)} IN ACCESS EXCLUSIVE MODE`);
      const { rows } = await client.query(`SELECT 1 FROM ${ident(partition)} LIMIT 1`);
      if (rows.length === 0) await client.query(`TRUNCATE ${ident(partition)}`);
      await client.query('COMMIT');
      return rows.length === 0;
    } catch {
      await client.query('ROLLBACK').catch(() => undefined);
      return false;
    } finally {
      client.release();
    }
  }

  /**
   * Retention: drops the monthly partitions that end on or before `before` and the compacted days
   * before it. Rollups stay. Returns the dropped partitions' names.
   */
  async dropBefore(before: Date, lockTimeoutMs = 2000): Promise<string[]> {
    const dropped: string[] = [];
    for (const part of await this.partitionsBefore(before)) {
      if (part.to > before) continue;
      // Dropping a partition locks `readings` itself: bounded, and tried again on the next run.
      const client = await this.db.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = ${Math.floor(lockTimeoutMs)}`);
        await client.query(`DROP TABLE ${ident(part.name)}`);
        await client.query('COMMIT');
        dropped.push(part.name);
      } catch {
        await client.query('ROLLBACK').catch(() => undefined);
      } finally {
        client.release();
      }
    }
    await this.db.pool.query('DELETE FROM readings_compact WHERE day_start < $1', [before]);
    return dropped;
  }
}

/** The UTC days of [from, to). */
export function daysBetween(from: Date, to: Date): Date[] {
  const days: Date[] = [];
  for (let t = Math.ceil(from.getTime() / DAY_MS) * DAY_MS; t < to.getTime(); t += DAY_MS) {
    days.push(new Date(t));
  }
  return days;
}

/** Partition names come from pg_class, but are quoted anyway. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
