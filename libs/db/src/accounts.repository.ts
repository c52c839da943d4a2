import { Injectable } from '@nestjs/common';
import { Prisma } from './generated/prisma/client.js';
import { ProfileTakenError } from './people.repository.js';
import { PrismaService } from './prisma.service.js';
import type { ApiUser, UserRole } from './users.repository.js';

/** What login needs of a user: who they are and their password hash (null: no password set). */
export interface LoginCandidate extends ApiUser {
  passwordHash: string | null;
}

/** Sign-up, login and the session tokens login hands out. */
@Injectable()
export class AccountsRepository {
  constructor(private readonly db: PrismaService) {}

  /**
   * A citizen with an email and a password hash. The email is compared without case: one account
   * per address however it is typed. @throws ProfileTakenError
   */
  async createUser(user: { email: string; username: string; passwordHash: string }): Promise<ApiUser> {
    const taken = await this.takenField(user);
    if (taken) throw new ProfileTakenError(taken);
    try {
      const created = await this.db.client.user.create({
        data: { email: user.email, username: user.username, passwordHash: user.passwordHash },
      });
      return {
        id: created.id,
        uuid: created.uuid,
        username: created.username,
        role: created.role as UserRole,
      };
    } catch (error) {
      // A concurrent sign-up took the name or the address between the check and the insert.
      if ((error as { code?: string }).code === 'P2002') {
        throw new ProfileTakenError((await this.takenField(user)) ?? 'username');
      }
      throw error;
    }
  }

  private async takenField(user: { email: string; username: string }): Promise<'username' | 'email' | null> {
    const rows = await this.db.client.$queryRaw<{ username: boolean; email: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM users WHERE username = ${user.username}) AS username,
             EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(${user.email})) AS email`;
    if (rows[0].username) return 'username';
    if (rows[0].email) return 'email';
    return null;
  }

  /** The user whose email (case-insensitive) or username is `login`. */
  async findLoginCandidate(login: { email: string } | { username: string }): Promise<LoginCandidate | null> {
    const where =
      'email' in login
        ? Prisma.sql`lower(email) = lower(${login.email})`
        : Prisma.sql`username = ${login.username}`;
    const rows = await this.db.client.$queryRaw<LoginCandidate[]>`
      SELECT id, uuid::text AS uuid, username, role, password_hash AS "passwordHash"
        FROM users WHERE ${where} ORDER BY id LIMIT 1`;
    return rows[0] ?? null;
  }

  async findUsernameByEmail(email: string): Promise<string | null> {
    const rows = await this.db.client.$queryRaw<{ username: string }[]>`
      SELECT username FROM users WHERE lower(email) = lower(${email}) ORDER BY id LIMIT 1`;
    return rows[0]?.username ?? null;
  }

  /** Stores a session token (its SHA-256 only) that stops working at `expiresAt`. */
  async createSessionToken(userId: number, tokenHash: string, expiresAt: Date): Promise<void> {
    await this.db.client.apiToken.create({ data: { userId, tokenHash, expiresAt } });
  }

  /**
   * The user a password reset is asked for: `login` is their username or email (both without
   * case). Null when nobody matches or the user has no email to send the link to.
   */
  async findResetRecipient(login: string): Promise<{ id: number; username: string; email: string } | null> {
    const rows = await this.db.client.$queryRaw<{ id: number; username: string; email: string }[]>`
      SELECT id, username, email FROM users
       WHERE (lower(username) = lower(${login}) OR lower(email) = lower(${login})) AND email IS NOT NULL
       ORDER BY id LIMIT 1`;
    return rows[0] ?? null;
  }

  /**
   * Makes `tokenHash` the user's one pending reset link, until `expiresAt` (an older link stops
   * working), unless the pending link expires after `pendingBefore`: made too recently to replace.
   * Whether it was set.
   */
  async setPasswordReset(
    userId: number,
    tokenHash: string,
    expiresAt: Date,
    pendingBefore: Date,
  ): Promise<boolean> {
    const changed = await this.db.client.$executeRaw`
      UPDATE users SET password_reset_hash = ${tokenHash}, password_reset_expires_at = ${expiresAt}
       WHERE id = ${userId}
         AND (password_reset_expires_at IS NULL OR password_reset_expires_at <= ${pendingBefore})`;
    return changed > 0;
  }

  /** The id of the user whose pending, unexpired reset link has this hash. */
  async findPasswordReset(tokenHash: string): Promise<number | null> {
    const rows = await this.db.client.$queryRaw<{ id: number }[]>`
      SELECT id FROM users WHERE password_reset_hash = ${tokenHash} AND password_reset_expires_at > now()`;
    return rows[0]?.id ?? null;
  }

  /**
   * Sets the password of the user whose pending, unexpired reset link has this hash, uses the link
   * up and ends the user's login sessions, in one transaction. Null when no such link is pending
   * (unknown, used or expired): of two concurrent uses, one wins.
   */
  async resetPassword(tokenHash: string, passwordHash: string): Promise<number | null> {
    return this.db.client.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ id: number }[]>`
        UPDATE users SET password_hash = ${passwordHash}, password_reset_hash = NULL,
                         password_reset_expires_at = NULL, updated_at = now()
         WHERE password_reset_hash = ${tokenHash} AND password_reset_expires_at > now()
        RETURNING id`;
      const id = rows[0]?.id;
      if (id === undefined) return null;
      // Login tokens made with the old password stop working; personal API tokens stay.
      await tx.$executeRaw`DELETE FROM api_tokens WHERE user_id = ${id} AND expires_at IS NOT NULL`;
      return id;
    });
  }
}
