import { pgSafeText } from '#domain';
import { orphanHandshakeStatement } from './orphan-handshake.statement.js';

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
  /** Bytes of a payload kept when a message that cannot be parked is recorded instead. */
  payloadPrefixBytes: number;
}

/** One SQL statement with its parameters, run on the pg pool (see IngestRepository.storeBatch). */
export interface PgStatement {
  text: string;
  values: unknown[];
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

/** Longest topic kept in a row: a topic may be up to 64 KiB long, and nothing needs more of it. */
export const MAX_STORED_TOPIC = 512;

/** A received topic as it is stored: well-formed text, cut to MAX_STORED_TOPIC characters. */
export const storedTopic = (topic: string) => pgSafeText(topic.slice(0, MAX_STORED_TOPIC));

/**
 * Payloads travel as one binary (bytea) parameter holding them all back to back; each row names
 * its slice by offset and length. No base64, no JSON around the bytes, one copy.
 */
export function packPayloads(payloads: Buffer[]): { bytes: Buffer; slices: { off: number; len: number }[] } {
  let off = 0;
  const slices = payloads.map((p) => {
    const slice = { off, len: p.length };
    off += p.length;
    return slice;
  });
  return { bytes: Buffer.concat(payloads, off), slices };
}

/**
 * The statements of a batch's lifecycle part, in an order that matters: replayed parked rows go
 * before new ones are parked (a re-parked message must not count against its own bound).
 */
export function lifecycleStatements(write: LifecycleWrite): PgStatement[] {
  const statements: PgStatement[] = [];
  if (write.replayedParkedIds.length > 0) {
    statements.push({
      text: 'DELETE FROM parked_messages WHERE id = ANY($1::text[]::bigint[])',
      values: [write.replayedParkedIds],
    });
  }
  if (write.hellos.length > 0) {
    const rows = write.hellos.map((h) => ({ device_id: h.deviceId, at: iso(h.at) }));
    statements.push({
      text: `
      UPDATE devices AS d SET hello_at = h.at
        FROM (SELECT device_id, max(at) AS at
                FROM jsonb_to_recordset($1::jsonb) AS x(device_id int, at timestamptz)
               GROUP BY device_id) AS h
       WHERE d.id = h.device_id AND (d.hello_at IS NULL OR d.hello_at < h.at)`,
      values: [JSON.stringify(rows)],
    });
  }
  if (write.infos.length > 0) {
    // The newest info per device wins, also against one stored earlier (a replayed old info must
    // not overwrite a newer one). updated_at stays: clients read it as "the owner changed the
    // device", and every kit sends its info daily.
    const rows = write.infos.map((i, ord) => ({ device_id: i.deviceId, info: i.info, at: iso(i.at), ord }));
    statements.push({
      text: `
      UPDATE devices AS d SET hardware_info = i.info, hardware_info_at = i.at
        FROM (SELECT DISTINCT ON (device_id) device_id, info, at
                FROM jsonb_to_recordset($1::jsonb)
                  AS x(device_id int, info jsonb, at timestamptz, ord int)
               ORDER BY device_id, at DESC, ord DESC) AS i
       WHERE d.id = i.device_id AND (d.hardware_info_at IS NULL OR d.hardware_info_at <= i.at)`,
      values: [JSON.stringify(rows)],
    });
  }
  if (write.inventory.length > 0) {
    const rows = write.inventory.map((r) => ({
      topic: storedTopic(r.topic),
      report: r.report,
      report_text: r.text === null ? null : pgSafeText(r.text),
      is_valid: r.valid,
      received_at: iso(r.at),
    }));
    statements.push({
      text: `
      INSERT INTO device_inventory (topic, report, report_text, is_valid, received_at)
      SELECT topic, report, report_text, is_valid, received_at
        FROM jsonb_to_recordset($1::jsonb)
          AS x(topic text, report jsonb, report_text text, is_valid boolean, received_at timestamptz)`,
      values: [JSON.stringify(rows)],
    });
  }
  if (write.parked.length > 0) statements.push(...parkStatements(write));
  return statements;
}

function parkStatements(write: LifecycleWrite): PgStatement[] {
  // Batches park concurrently; the lock makes the bounds exact. It is taken last in the
  // transaction (only the parking and the orphans' handshake follow, and batches take the
  // orphans' row locks one batch at a time under it), so it cannot deadlock with row locks.
  const lock = { text: "SELECT pg_advisory_xact_lock(hashtext('parked_messages'))", values: [] };
  const { bytes, slices } = packPayloads(write.parked.map((p) => p.payload));
  const rows = write.parked.map((p, ord) => ({
    ord,
    token: p.token,
    kind: p.kind,
    topic: storedTopic(p.topic),
    ...slices[ord],
    received_at: iso(p.receivedAt),
  }));
  const { perToken, total } = write.parkLimits;
  // Over a bound, the new message is not parked but recorded (a prefix of its bytes and its size)
  // as `parked_overflow`: the oldest parked messages are kept so a replay starts where the kit did.
  const park = {
    text: `
      WITH input AS (
        SELECT ord, token, kind, topic, substring($2::bytea FROM off + 1 FOR len) AS payload,
               len, received_at,
               row_number() OVER (PARTITION BY token ORDER BY ord) AS n_token,
               row_number() OVER (ORDER BY ord) AS n_all
          FROM jsonb_to_recordset($1::jsonb)
            AS x(ord int, token text, kind text, topic text, off int, len int, received_at timestamptz)
      ), decided AS (
        SELECT i.*,
               (SELECT count(*) FROM parked_messages p WHERE p.token = i.token) + i.n_token <= $3::int
               AND (SELECT count(*) FROM parked_messages) + i.n_all <= $4::int AS fits
          FROM input i
      ), parked AS (
        INSERT INTO parked_messages (token, kind, topic, payload, received_at)
        SELECT token, kind, topic, payload, received_at FROM decided WHERE fits ORDER BY ord
        RETURNING 1
      ), overflow AS (
        INSERT INTO ingest_errors (reason, message, token, topic, payload, payload_bytes)
        SELECT 'parked_overflow',
               format('no active device has the token "%s" and its parked messages reached the limit (%s per token, %s in total)',
                      token, $3::int, $4::int),
               token, topic, substring(payload FROM 1 FOR $5::int), len
          FROM decided WHERE NOT fits
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM parked) + (SELECT count(*) FROM overflow)`,
    values: [JSON.stringify(rows), bytes, perToken, total, write.payloadPrefixBytes],
  };
  return [lock, park, orphanHandshakeStatement(write.parked.map((p) => p.token))];
}
