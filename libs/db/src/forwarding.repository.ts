import { Injectable } from '@nestjs/common';
import type { ApiUser } from './users.repository.js';
import { PrismaService } from './prisma.service.js';

/** Where a device's batches are forwarded, and as whom its owner sees the device. */
export interface ForwardingTarget {
  owner: ApiUser;
  forwardingToken: string;
}

/** Forwarding to owners (Smart Citizen compatible): who forwards where, and who may read it. */
@Injectable()
export class ForwardingRepository {
  constructor(private readonly db: PrismaService) {}

  /** The owner and forward token of a device that forwards now; null when it does not (any more). */
  async findForwardingTarget(deviceId: number): Promise<ForwardingTarget | null> {
    const rows = await this.db.client.$queryRaw<(ApiUser & { forwardingToken: string })[]>`
      SELECT u.id, u.uuid::text AS uuid, u.username, u.role, u.forwarding_token AS "forwardingToken"
        FROM devices d JOIN users u ON u.id = d.owner_id
       WHERE d.id = ${deviceId} AND d.enable_forwarding AND d.archived_at IS NULL
         AND u.forwarding_token IS NOT NULL`;
    if (rows.length === 0) return null;
    const { forwardingToken, ...owner } = rows[0];
    return { owner, forwardingToken };
  }

  /** Whether a user has this forwarding token and this forwarding username. */
  async forwardingUserExists(forwardingToken: string, forwardingUsername: string): Promise<boolean> {
    const rows = await this.db.client.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM users
       WHERE forwarding_token = ${forwardingToken} AND forwarding_username = ${forwardingUsername}`;
    return rows[0].n > 0;
  }
}
