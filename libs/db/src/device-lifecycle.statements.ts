import { orphanHandshakeStatement } from './orphan-handshake.statement.js';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';

export interface HelloWrite {
  deviceId: number;
  at: Date;
}

export interface InfoWrite {
  deviceId: number;
  info: Record<string, unknown>;
  at: Date;
}

export interface InventoryWrite {
  topic: string;
  report: Record<string, unknown> | null;
  text: string | null;
  valid: boolean;
  at: Date;
}

export interface ParkedWrite {
  token: string;
  kind: 'hello' | 'info' | 'readings' | 'raw';
  topic: string;
  payload: Buffer;
  receivedAt: Date;
}

/** The device-lifecycle part of one ingest batch; written in the batch's own transaction. */
export interface LifecycleWrite {
  /** Parked rows replayed in this batch: deleted in the same transaction as their effects. */
  replayedParkedIds: string[];
  hellos: HelloWrite[];
  infos: InfoWrite[];
  inventory: InventoryWrite[];
  parked: ParkedWrite[];
  parkLimits: { perToken: number; total: number };
}

export function isEmptyLifecycle(write: LifecycleWrite): boolean {
  return (
    write.replayedParkedIds.length === 0 &&
    write.hellos.length === 0 &&
    write.infos.length === 0 &&
    write.inventory.length === 0 &&
    write.parked.length === 0
  );
}

const iso = (d: Date) => d.toISOString();

/**
 * The statements of a batch's lifecycle part, in an order that matters: replayed parked rows go
 * before new ones are parked (a re-parked message must not count against its own bound).
 */
export function lifecycleStatements(db: PrismaClient, write: LifecycleWrite): Prisma.PrismaPromise<number>[] {
  const statements: Prisma.PrismaPromise<number>[] = [];
  if (write.replayedParkedIds.length > 0) {
    statements.push(db.$executeRaw`
      DELETE FROM parked_messages WHERE id = ANY(${write.replayedParkedIds}::text[]::bigint[])`);
  }
  if (write.hellos.length > 0) {
    const rows = write.hellos.map((h) => ({ device_id: h.deviceId, at: iso(h.at) }));
    statements.push(db.$executeRaw`
      UPDATE devices AS d SET hello_at = h.at
        FROM (SELECT device_id, max(at) AS at
                FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(device_id int, at timestamptz)
               GROUP BY device_id) AS h
       WHERE d.id = h.device_id AND (d.hello_at IS NULL OR d.hello_at < h.at)`);
  }
  if (write.infos.length > 0) {
    // The newest info per device wins, also against one stored earlier (a replayed old info must
    // not overwrite a newer one). updated_at stays: clients read it as "the owner changed the
    // device", and every kit sends its info daily.
    const rows = write.infos.map((i, ord) => ({ device_id: i.deviceId, info: i.info, at: iso(i.at), ord }));
    statements.push(db.$executeRaw`
      UPDATE devices AS d SET hardware_info = i.info, hardware_info_at = i.at
        FROM (SELECT DISTINCT ON (device_id) device_id, info, at
                FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
                  AS x(device_id int, info jsonb, at timestamptz, ord int)
               ORDER BY device_id, at DESC, ord DESC) AS i
       WHERE d.id = i.device_id AND (d.hardware_info_at IS NULL OR d.hardware_info_at <= i.at)`);
  }
  if (write.inventory.length > 0) {
    const rows = write.inventory.map((r) => ({
      topic: r.topic,
      report: r.report,
      report_text: r.text,
      is_valid: r.valid,
      received_at: iso(r.at),
    }));
    statements.push(db.$executeRaw`
      INSERT INTO device_inventory (topic, report, report_text, is_valid, received_at)
      SELECT topic, report, report_text, is_valid, received_at
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS x(topic text, report jsonb, report_text text, is_valid boolean, received_at timestamptz)`);
  }
  if (write.parked.length > 0) {
    // Batches park concurrently; the lock makes the bounds exact. It is taken last in the
    // transaction (only the parking and the orphans' handshake follow, and batches take the
    // orphans' row locks one batch at a time under it), so it cannot deadlock with row locks.
    statements.push(db.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('parked_messages'))`);
    const rows = write.parked.map((p, ord) => ({
      ord,
      token: p.token,
      kind: p.kind,
      topic: p.topic,
      payload: p.payload.toString('base64'),
      received_at: iso(p.receivedAt),
    }));
    const { perToken, total } = write.parkLimits;
    // Over a bound, the new message is not parked but recorded (with its bytes) as
    // `parked_overflow`: the oldest parked messages are kept so a replay starts where the kit did.
    statements.push(db.$executeRaw`
      WITH input AS (
        SELECT ord, token, kind, topic, decode(payload, 'base64') AS payload, received_at,
               row_number() OVER (PARTITION BY token ORDER BY ord) AS n_token,
               row_number() OVER (ORDER BY ord) AS n_all
          FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
            AS x(ord int, token text, kind text, topic text, payload text, received_at timestamptz)
      ), decided AS (
        SELECT i.*,
               (SELECT count(*) FROM parked_messages p WHERE p.token = i.token) + i.n_token <= ${perToken}
               AND (SELECT count(*) FROM parked_messages) + i.n_all <= ${total} AS fits
          FROM input i
      ), parked AS (
        INSERT INTO parked_messages (token, kind, topic, payload, received_at)
        SELECT token, kind, topic, payload, received_at FROM decided WHERE fits ORDER BY ord
        RETURNING 1
      ), overflow AS (
        INSERT INTO ingest_errors (reason, message, token, topic, payload)
        SELECT 'parked_overflow',
               format('no active device has the token "%s" and its parked messages reached the limit (%s per token, %s in total)',
                      token, ${perToken}::int, ${total}::int),
               token, topic, payload
          FROM decided WHERE NOT fits
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM parked) + (SELECT count(*) FROM overflow)`);
    const heard = write.parked.map((p) => p.token);
    statements.push(orphanHandshakeStatement(db, heard));
  }
  return statements;
}
