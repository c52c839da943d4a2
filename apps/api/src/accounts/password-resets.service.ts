import { Inject, Injectable, Logger } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import type { ApiConfig } from '#config';
import { AccountsRepository, generateApiToken, hashApiToken } from '#db';
import { API_CONFIG } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';
import { MailerService } from '../mail/mailer.service.js';
import { UsersService } from '../users/users.service.js';
import { BCRYPT_COST } from './accounts.service.js';

/** A new link (and mail) for the same user at most this often. */
const RESEND_AFTER_MS = 60_000;
const INVALID_LINK = 'This password reset link is unknown, used or expired: ask for a new one';

/**
 * Password reset by email: a request mails a link holding a random token (kept only as its
 * SHA-256) that works once, until PASSWORD_RESET_TTL_MINUTES after the request.
 */
@Injectable()
export class PasswordResetsService {
  private readonly logger = new Logger('PasswordResets');

  constructor(
    private readonly accounts: AccountsRepository,
    private readonly users: UsersService,
    private readonly mailer: MailerService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Answers the same whether or not `login` names a user. */
  async request(login: string): Promise<void> {
    const user = await this.accounts.findResetRecipient(login);
    if (!user) return;
    const token = generateApiToken();
    const ttlMinutes = this.config.PASSWORD_RESET_TTL_MINUTES;
    const expiresAt = new Date(Date.now() + ttlMinutes * 60_000);
    // One mail a minute at most per user, however often someone asks for them.
    const pendingBefore = new Date(expiresAt.getTime() - RESEND_AFTER_MS);
    if (!(await this.accounts.setPasswordReset(user.id, hashApiToken(token), expiresAt, pendingBefore))) {
      this.logger.log(`password reset for user ${user.id} asked again within a minute: no new mail`);
      return;
    }
    const mail = {
      to: user.email,
      subject: 'Password Reset Instructions',
      text: [
        `Hi ${user.username},`,
        '',
        `to choose a new password, follow this link within ${ttlMinutes} minutes (it works once):`,
        '',
        this.link(token),
        '',
        'If you did not ask for a new password, ignore this mail: your password stays as it is.',
        '',
      ].join('\n'),
    };
    // Sent after the answer, so how long a request takes does not tell whether the user exists.
    this.mailer
      .send(mail, `password reset mail for user ${user.id}`)
      .catch((error: unknown) =>
        this.logger.error(`password reset mail for user ${user.id} not sent: ${(error as Error).message}`),
      );
  }

  /** The user the link is for (public profile): the link is valid. */
  async show(token: string) {
    const id = await this.accounts.findPasswordReset(hashApiToken(token));
    if (id === null) throw ApiError.notFound(INVALID_LINK);
    return this.users.get(String(id), null);
  }

  /** Sets the new password and uses the link up; the user's login sessions end. */
  async reset(token: string, password: string) {
    const passwordHash = await bcrypt.hash(password, BCRYPT_COST);
    const id = await this.accounts.resetPassword(hashApiToken(token), passwordHash);
    if (id === null) throw ApiError.notFound(INVALID_LINK);
    this.logger.log(`password of user ${id} reset by link`);
    return this.users.get(String(id), null);
  }

  private link(token: string): string {
    const base = this.config.PUBLIC_URL ?? `http://localhost:${this.config.PORT}`;
    const template = this.config.PASSWORD_RESET_URL ?? `${base}/v0/password_resets/{token}`;
    return template.replaceAll('{token}', token);
  }
}
