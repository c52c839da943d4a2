import { createHash } from 'node:crypto';

/**
 * A stand-in for a device token in logs: `token#` and the first 8 hex digits of its SHA-256, so
 * lines about one device can be matched up without the log ever holding the token.
 */
export function tokenRef(token: string): string {
  return `token#${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
}

const MAX_LOGGED_TOPIC = 200;

/**
 * A topic as logged: the device token segment (`…/sck/<token>/…`) replaced by its tokenRef, and
 * cut to 200 characters (a hostile topic may be as long as the broker allows).
 */
export function logSafeTopic(topic: string): string {
  const safe = topic.replace(
    /(^|\/)sck\/([^/]+)/,
    (_match, before: string, token: string) => `${before}sck/${tokenRef(token)}`,
  );
  return safe.length > MAX_LOGGED_TOPIC ? `${safe.slice(0, MAX_LOGGED_TOPIC)}…` : safe;
}
