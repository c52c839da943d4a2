import { pgSafeJson, pgSafeText, TOKEN_PATTERN } from '#domain';
import { packPayloads, type PgStatement, storedTopic } from './device-lifecycle.statements.js';
import type { IngestErrorRecord } from './ingest.repository.js';

/**
 * Rejections: the text columns in one jsonb parameter, made storable first (a topic or a parser's
 * message can hold a NUL or a lone surrogate, and a token too long for the index is not a token),
 * and the payload prefixes in one binary parameter.
 */
export function insertErrorsStatement(errors: IngestErrorRecord[]): PgStatement {
  const { bytes, slices } = packPayloads(errors.map((e) => e.payload ?? EMPTY));
  const rows = errors.map((e, i) => ({
    reason: e.reason,
    message: pgSafeText(e.message.slice(0, MAX_MESSAGE)),
    device_id: e.deviceId,
    token: e.token !== null && TOKEN_PATTERN.test(e.token) ? e.token : null,
    topic: storedTopic(e.topic),
    item: e.item === undefined ? null : storableItem(e.item),
    ...(e.payload ? { ...slices[i], size: e.payloadBytes ?? e.payload.length } : {}),
  }));
  return {
    text: `
      INSERT INTO ingest_errors (reason, message, device_id, token, topic, item, payload, payload_bytes)
      SELECT reason, message, device_id, token, topic, item,
             CASE WHEN off IS NULL THEN NULL ELSE substring($2::bytea FROM off + 1 FOR len) END, size
        FROM jsonb_to_recordset($1::jsonb)
          AS e(reason text, message text, device_id int, token text, topic text, item jsonb,
               off int, len int, size int)`,
    values: [JSON.stringify(rows), bytes],
  };
}

const EMPTY = Buffer.alloc(0);
const MAX_MESSAGE = 2000;

/** An offending item as jsonb takes it: strings made storable, too deep a value summarised. */
function storableItem(value: unknown): unknown {
  const safe = pgSafeJson(value);
  return safe.ok ? safe.value : '(nested too deep to keep)';
}
