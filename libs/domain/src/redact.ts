/**
 * A device token is the device's only secret: logs show its first two characters and its length,
 * never the whole token.
 */
export function redactToken(token: string | null | undefined): string {
  if (!token) return '-';
  return `${token.slice(0, 2)}…(${token.length})`;
}

const MAX_LOGGED_TOPIC = 200;

/** A received topic fit for a log line: the segment after `sck` redacted, cut to 200 characters. */
export function redactTopic(topic: string): string {
  const segments = topic.split('/');
  const sck = segments.indexOf('sck');
  if (sck >= 0 && sck + 1 < segments.length) segments[sck + 1] = redactToken(segments[sck + 1]);
  const safe = segments.join('/');
  return safe.length > MAX_LOGGED_TOPIC ? `${safe.slice(0, MAX_LOGGED_TOPIC)}…` : safe;
}
