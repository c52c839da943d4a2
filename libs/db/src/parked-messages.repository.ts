import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

export interface ParkedMessage {
  /** bigint as a string, so it survives JSON (job data). */
  id: string;
  token: string;
  kind: 'hello' | 'info' | 'readings' | 'raw';
  topic: string;
  payload: Buffer;
  receivedAt: Date;
}

/** Position of a replay in a token's parked messages: arrival order, ties broken by id. */
export interface ParkedCursor {
  receivedAt: Date;
  id: string;
}

@Injectable()
export class ParkedMessagesRepository {
  constructor(private readonly db: PrismaService) {}

  /** The next `limit` parked messages of `token` after `after`, in arrival order. */
  async listForReplay(token: string, after: ParkedCursor | null, limit: number): Promise<ParkedMessage[]> {
    const afterAt = after ? after.receivedAt.toISOString() : null;
    const afterId = after ? after.id : '0';
    const rows = await this.db.client.$queryRaw<
      {
        id: bigint;
        token: string;
        kind: ParkedMessage['kind'];
        topic: string;
        payload: Uint8Array;
        received_at: Date;
      }[]
    >`
      SELECT id, token, kind, topic, payload, received_at FROM parked_messages
       WHERE token = ${token}
         AND (${afterAt}::timestamptz IS NULL OR (received_at, id) > (${afterAt}::timestamptz, ${afterId}::bigint))
       ORDER BY received_at, id
       LIMIT ${limit}`;
    return rows.map((r) => ({
      id: r.id.toString(),
      token: r.token,
      kind: r.kind,
      topic: r.topic,
      payload: Buffer.from(r.payload),
      receivedAt: r.received_at,
    }));
  }

  /** Tokens that have parked messages and now match an active device. */
  /** Whether messages of `token` wait for a device (whoever registers it receives them). */
  async hasParkedMessages(token: string): Promise<boolean> {
    const rows = await this.db.client.$queryRaw<{ parked: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM parked_messages WHERE token = ${token}) AS parked`;
    return rows[0].parked;
  }

  async tokensWithActiveDevice(): Promise<string[]> {
    const rows = await this.db.client.$queryRaw<{ token: string }[]>`
      SELECT DISTINCT p.token FROM parked_messages p
        JOIN devices d ON d.token = p.token AND d.archived_at IS NULL`;
    return rows.map((r) => r.token);
  }

  /**
   * Deletes parked messages received before `cutoff`, recording each one (the first
   * `payloadPrefixBytes` of its bytes and its size) as `parked_expired` in the same statement.
   * Returns how many expired.
   */
  async expire(cutoff: Date, payloadPrefixBytes: number): Promise<number> {
    const rows = await this.db.client.$queryRaw<{ n: number }[]>`
      WITH gone AS (
        DELETE FROM parked_messages WHERE received_at < ${cutoff.toISOString()}::timestamptz
        RETURNING token, kind, topic, payload, received_at
      ), recorded AS (
        INSERT INTO ingest_errors (reason, message, token, topic, payload, payload_bytes)
        SELECT 'parked_expired',
               format('parked %s message received at %s expired: no active device with the token "%s" appeared in time',
                      kind, received_at, token),
               token, topic, substring(payload FROM 1 FOR ${payloadPrefixBytes}::int), octet_length(payload)
          FROM gone
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM recorded`;
    return rows[0]?.n ?? 0;
  }
}
