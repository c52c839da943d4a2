import { Injectable } from '@nestjs/common';
import type { PrismaClient } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

export const USER_ROLES = ['admin', 'researcher', 'citizen'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface ApiUser {
  id: number;
  uuid: string;
  username: string;
  role: UserRole;
}

export interface NewUser {
  username: string;
  role: UserRole;
  /** SHA-256 hex of the user's first API token. */
  tokenHash: string;
}

@Injectable()
export class UsersRepository {
  constructor(private readonly db: PrismaService) {}

  createUserWithToken(user: NewUser): Promise<ApiUser> {
    return createUserWithToken(this.db.client, user);
  }

  /** The owner of an API token that has not expired, noting that the token was used. */
  async findUserByTokenHash(tokenHash: string): Promise<ApiUser | null> {
    const rows = await this.db.client.$queryRaw<ApiUser[]>`
      WITH used AS (
        UPDATE api_tokens SET last_used_at = now()
         WHERE token_hash = ${tokenHash} AND (expires_at IS NULL OR expires_at > now())
        RETURNING user_id
      )
      SELECT u.id, u.uuid::text AS uuid, u.username, u.role FROM users u JOIN used ON used.user_id = u.id`;
    return rows[0] ?? null;
  }
}

/** Roles that may forward their devices' readings and set enable_forwarding. */
export const FORWARDING_ROLES: readonly UserRole[] = ['researcher', 'admin'];

/** A user and their first token in one transaction. Also used by `npm run user:create`. */
export async function createUserWithToken(prisma: PrismaClient, user: NewUser): Promise<ApiUser> {
  const created = await prisma.user.create({
    data: { username: user.username, role: user.role, apiTokens: { create: { tokenHash: user.tokenHash } } },
  });
  return { id: created.id, uuid: created.uuid, username: created.username, role: created.role as UserRole };
}
