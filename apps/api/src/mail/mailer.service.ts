import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { ApiConfig } from '#config';
import { API_CONFIG } from '../api.tokens.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends the API's mail through SMTP_HOST. Without one, a mail is written as a .eml file to
 * MAIL_OUTBOX_DIR and in full to the log (single-node mode, so a developer can follow its link);
 * with neither, it is dropped with a warning that names only what it was.
 */
@Injectable()
export class MailerService implements OnModuleDestroy {
  private readonly logger = new Logger('Mail');
  private readonly smtp: Transporter | null = null;
  private readonly outbox: Transporter | null = null;

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {
    const defaults = { from: config.MAIL_FROM };
    if (config.SMTP_HOST) {
      this.smtp = nodemailer.createTransport(
        {
          host: config.SMTP_HOST,
          port: config.SMTP_PORT,
          secure: config.SMTP_SECURE,
          requireTLS: config.SMTP_REQUIRE_TLS,
          auth: config.SMTP_USERNAME ? { user: config.SMTP_USERNAME, pass: config.SMTP_PASSWORD } : undefined,
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 30_000,
        },
        defaults,
      );
    } else if (config.MAIL_OUTBOX_DIR) {
      this.outbox = nodemailer.createTransport(
        { streamTransport: true, buffer: true, newline: 'unix' },
        defaults,
      );
    }
  }

  /** `what` names the mail in the log (never its content, unless it goes to the outbox). */
  async send(mail: OutgoingMail, what: string): Promise<void> {
    if (this.smtp) {
      await this.smtp.sendMail(mail);
      this.logger.log(`${what} sent`);
      return;
    }
    const dir = this.config.MAIL_OUTBOX_DIR;
    if (this.outbox && dir) {
      const { message } = (await this.outbox.sendMail(mail)) as { message: Buffer };
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = join(dir, `${stamp}-${randomBytes(3).toString('hex')}.eml`);
      await writeFile(file, message, { mode: 0o600 });
      this.logger.log(`no SMTP_HOST: ${what} written to ${file}\n${mail.text}`);
      return;
    }
    this.logger.warn(`no SMTP_HOST nor MAIL_OUTBOX_DIR: ${what} not sent`);
  }

  onModuleDestroy(): void {
    this.smtp?.close();
  }
}
