import { Injectable } from '@nestjs/common';
import type { PrismaClient } from './client.js';
import { PrismaService } from './prisma.service.js';

/** A member is live while its last heartbeat is younger than this many of its intervals. */
export const LIVE_HEARTBEATS = 3;

export interface IngestorInstance {
  clientId: string;
  /** The shared subscription (`$share/<group>`, `$queue`) or `none`: the group it is a member of. */
  subscription: string;
  host: string;
  pid: number;
  heartbeatMs: number;
}

export interface GroupMember extends IngestorInstance {
  state: 'running' | 'stopped' | 'decommissioning';
  startedAt: Date;
  lastSeenAt: Date;
  decommissionRequested: boolean;
  /** Running, heartbeat recent, and not asked to decommission. */
  live: boolean;
}

export type DecommissionRequest =
  | { outcome: 'requested'; remaining: GroupMember[] }
  | { outcome: 'last-live-member'; member: GroupMember }
  | { outcome: 'not-live'; member: GroupMember }
  | { outcome: 'unknown' };

type Db = Pick<PrismaClient, '$queryRaw' | '$executeRaw'>;

const selectMembers = (db: Db, subscription: string) =>
  db.$queryRaw<
    (Omit<GroupMember, 'decommissionRequested' | 'live'> & {
      decommission_requested: boolean;
      live: boolean;
    })[]
  >`
    SELECT client_id AS "clientId", subscription, host, pid, heartbeat_ms AS "heartbeatMs", state,
           started_at AS "startedAt", last_seen_at AS "lastSeenAt",
           decommission_requested_at IS NOT NULL AS decommission_requested,
           (state = 'running' AND decommission_requested_at IS NULL
            AND last_seen_at > now() - make_interval(secs => heartbeat_ms * ${LIVE_HEARTBEATS} / 1000.0)) AS live
      FROM ingestor_instances WHERE subscription = ${subscription} ORDER BY client_id`;

/** Members of one group, live or not. */
async function listGroupMembers(db: Db, subscription: string): Promise<GroupMember[]> {
  const rows = await selectMembers(db, subscription);
  return rows.map(({ decommission_requested, ...row }) => ({
    ...row,
    decommissionRequested: decommission_requested,
  }));
}

/**
 * The heartbeat rows of ingestors; the only code that writes `ingestor_instances`. The ingestors
 * write their own rows; `npm run ingestor:decommission` asks one of them to leave.
 */
@Injectable()
export class IngestorInstancesRepository {
  constructor(private readonly db: PrismaService) {}

  /** Registers this ingestor as running (a restart with the same client id takes its row over). */
  async register(instance: IngestorInstance): Promise<void> {
    const { clientId, subscription, host, pid, heartbeatMs } = instance;
    await this.db.client.$executeRaw`
      INSERT INTO ingestor_instances
             (client_id, subscription, host, pid, heartbeat_ms, state, started_at, last_seen_at)
      VALUES (${clientId}, ${subscription}, ${host}, ${pid}, ${heartbeatMs}, 'running', now(), now())
      ON CONFLICT (client_id) DO UPDATE
         SET subscription = EXCLUDED.subscription, host = EXCLUDED.host, pid = EXCLUDED.pid,
             heartbeat_ms = EXCLUDED.heartbeat_ms, state = 'running', started_at = now(),
             last_seen_at = now(), decommission_requested_at = NULL`;
  }

  /**
   * Refreshes the heartbeat. Returns whether a decommission was requested, or null when the row is
   * gone (the caller registers again).
   */
  async beat(clientId: string): Promise<{ decommissionRequested: boolean } | null> {
    const rows = await this.db.client.$queryRaw<{ requested: boolean }[]>`
      UPDATE ingestor_instances SET last_seen_at = now() WHERE client_id = ${clientId}
      RETURNING decommission_requested_at IS NOT NULL AS requested`;
    return rows.length === 0 ? null : { decommissionRequested: rows[0].requested };
  }

  members(subscription: string): Promise<GroupMember[]> {
    return listGroupMembers(this.db.client, subscription);
  }

  async setState(clientId: string, state: GroupMember['state']): Promise<void> {
    await this.db.client.$executeRaw`
      UPDATE ingestor_instances SET state = ${state}, last_seen_at = now() WHERE client_id = ${clientId}`;
  }

  /** A decommissioned ingestor leaves its group for good. */
  async remove(clientId: string): Promise<void> {
    await this.db.client.$executeRaw`DELETE FROM ingestor_instances WHERE client_id = ${clientId}`;
  }

  /**
   * Asks the live ingestor `clientId` to decommission, unless it is the last live member of its
   * group (then only with `force`). The group's rows are locked, so two requests at once cannot each
   * leave the other as the last member.
   */
  requestDecommission(clientId: string, force: boolean): Promise<DecommissionRequest> {
    return this.db.client.$transaction(async (tx) => {
      const [target] = await tx.$queryRaw<{ subscription: string }[]>`
        SELECT subscription FROM ingestor_instances WHERE client_id = ${clientId}`;
      if (!target) return { outcome: 'unknown' as const };
      await tx.$queryRaw`SELECT 1 FROM ingestor_instances WHERE subscription = ${target.subscription} FOR UPDATE`;
      const members = await listGroupMembers(tx, target.subscription);
      const member = members.find((m) => m.clientId === clientId)!;
      if (!member.live) return { outcome: 'not-live' as const, member };
      const remaining = members.filter((m) => m.live && m.clientId !== clientId);
      if (remaining.length === 0 && !force) return { outcome: 'last-live-member' as const, member };
      await tx.$executeRaw`
        UPDATE ingestor_instances SET decommission_requested_at = now() WHERE client_id = ${clientId}`;
      return { outcome: 'requested' as const, remaining };
    });
  }

  /** The state of one ingestor's row, or null once it has left its group. */
  async findInstanceState(clientId: string): Promise<GroupMember['state'] | null> {
    const row = await this.db.client.ingestorInstance.findUnique({
      where: { clientId },
      select: { state: true },
    });
    return row ? (row.state as GroupMember['state']) : null;
  }
}
