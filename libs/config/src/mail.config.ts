import { z } from 'zod';
import { bool, unsetIfEmpty } from './env.js';

/**
 * Mail the API sends (password reset links), docs/onboarding.md. With SMTP_HOST unset nothing goes
 * out: the mail is written to MAIL_OUTBOX_DIR and to the log when that is set (single-node mode sets
 * it to `<EMBEDDED_DATA_DIR>/mail`), otherwise only its recipient's username is logged.
 */
export const mailSchema = z.object({
  SMTP_HOST: unsetIfEmpty(z.string().min(1)),
  /** 587 (submission, STARTTLS when the server offers it), or 465 with SMTP_SECURE=true. */
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); false upgrades with STARTTLS when the server offers it. */
  SMTP_SECURE: bool.default(false),
  /** Refuse to send unless the connection is encrypted (STARTTLS required). */
  SMTP_REQUIRE_TLS: bool.default(false),
  SMTP_USERNAME: unsetIfEmpty(z.string().min(1)),
  SMTP_PASSWORD: unsetIfEmpty(z.string().min(1)),
  /** The From of every mail. */
  MAIL_FROM: z.string().min(3).default('Smart Citizen <no-reply@localhost>'),
  /** Without SMTP_HOST: each mail as a .eml file in this directory, and in full in the log. */
  MAIL_OUTBOX_DIR: unsetIfEmpty(z.string().min(1)),
  /**
   * The link a password reset mail carries; `{token}` is replaced by the reset token. Unset:
   * `<PUBLIC_URL or http://localhost:PORT>/v0/password_resets/{token}` (the API's own endpoint).
   */
  PASSWORD_RESET_URL: unsetIfEmpty(
    z
      .string()
      .regex(/^https?:\/\/\S+$/)
      .refine((u) => u.includes('{token}'), 'must contain {token}'),
  ),
  /** How long a reset link works; it works once. */
  PASSWORD_RESET_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(60),
});
