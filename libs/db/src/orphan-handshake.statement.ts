import type { PgStatement } from './device-lifecycle.statements.js';

/** The PostgreSQL channel on which the ingestor announces that a kit in setup was heard. */
export const ORPHAN_HANDSHAKE_CHANNEL = 'orphan_handshake';

/** The NOTIFY payload on ORPHAN_HANDSHAKE_CHANNEL. */
export interface OrphanHandshakeNotice {
  onboarding_session: string;
  device_token: string;
}

/**
 * Marks the orphans holding any of `tokens` as heard, once each, and announces each one. Runs in
 * the batch's transaction, so the notice leaves only when the parked messages are committed.
 */
export function orphanHandshakeStatement(tokens: string[]): PgStatement {
  return {
    text: `
      WITH heard AS (
        UPDATE orphan_devices SET device_handshake = true, updated_at = now()
         WHERE device_token = ANY($1::text[]) AND NOT device_handshake
        RETURNING onboarding_session, device_token
      )
      SELECT count(pg_notify($2, json_build_object('onboarding_session', onboarding_session,
                                                   'device_token', device_token)::text))
        FROM heard`,
    values: [[...new Set(tokens)], ORPHAN_HANDSHAKE_CHANNEL],
  };
}
