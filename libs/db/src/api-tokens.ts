import { createHash, randomBytes } from 'node:crypto';

/** A personal API token: 32 random bytes, base64url. Shown once, stored only as its SHA-256. */
export function generateApiToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
