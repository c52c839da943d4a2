import { Injectable } from '@nestjs/common';
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

  /** A user and their first API token in one transaction (`npm run user:create`). */
  async createUserWithToken(user: NewUser): Promise<ApiUser> {
    const created = await this.db.client.user.create({
      data: {
        username: user.username,
        role: user.role,
        apiTokens: { create: { tokenHash: user.tokenHash } },
      },
    });
    return { id: created.id, uuid: created.uuid, username: created.username, role: created.role as UserRole };
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
