/**
 * Topic normalisation and routing (PROTOCOL.md "Topics"). Routing is by path segments, never by
 * substring, so a token such as `rawinfo` cannot be misrouted.
 */
export type DeviceMessageKind = 'hello' | 'info' | 'readings' | 'raw';
export type MessageKind = DeviceMessageKind | 'inventory';

export type RoutedTopic = { kind: DeviceMessageKind; token: string } | { kind: 'inventory'; token: null };

export const DEVICE_TOPIC_FILTERS = [
  'device/sck/+/readings',
  'device/sck/+/readings/raw',
  'device/sck/+/hello',
  'device/sck/+/info',
  'device/inventory',
] as const;

/** The filters to subscribe to: every device filter under every prefix, under the share prefix. */
export function subscriptionFilters(shared: string | null, prefixes: readonly string[]): string[] {
  const share = shared ? `${shared}/` : '';
  const list = prefixes.length > 0 ? prefixes : [''];
  return list.flatMap((prefix) => DEVICE_TOPIC_FILTERS.map((f) => `${share}${prefix}${f}`));
}

/**
 * Literal `$queue/device/…` filters, subscribed without a share by one member of each ingestor.
 * On brokers without `$queue` support (Mosquitto) the Smart Citizen developer workflow publishes to
 * these topics literally; a `device/…` filter never matches a topic that starts with `$`, and
 * Mosquitto 2.0 does not deliver `$` topics through `$share`. Under `$queue` (EMQX) they are the
 * shared subscription itself, so none are needed.
 */
export function literalQueueFilters(shared: string | null): string[] {
  return shared === '$queue' ? [] : DEVICE_TOPIC_FILTERS.map((f) => `$queue/${f}`);
}

const SHARE_PREFIX = /^\$share\/[^/]+\//;
const QUEUE_PREFIX = '$queue/';

/** Strips a literal `$queue/` or `$share/<group>/` and then at most one configured prefix. */
export function normaliseTopic(topic: string, prefixes: readonly string[]): string {
  let rest = topic.startsWith(QUEUE_PREFIX)
    ? topic.slice(QUEUE_PREFIX.length)
    : topic.replace(SHARE_PREFIX, '');
  // Longest prefix first, so `bridge/eu/` wins over `bridge/`.
  const byLength = [...prefixes].filter((p) => p !== '').sort((a, b) => b.length - a.length);
  for (const prefix of byLength) {
    if (rest.startsWith(prefix) && rest.slice(prefix.length).startsWith('device/')) {
      rest = rest.slice(prefix.length);
      break;
    }
  }
  return rest;
}

/** PROTOCOL.md "Topics": anything else is `unknown_topic`, never parked or stored under a token. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Routes a received topic, or returns null for a shape that is not part of the protocol. */
export function routeTopic(topic: string, prefixes: readonly string[] = []): RoutedTopic | null {
  const segments = normaliseTopic(topic, prefixes).split('/');
  if (segments[0] !== 'device') return null;
  if (segments.length === 2 && segments[1] === 'inventory') return { kind: 'inventory', token: null };
  if (segments[1] !== 'sck' || segments.length < 4 || segments.length > 5) return null;
  const token = segments[2];
  if (!TOKEN_PATTERN.test(token)) return null;
  const tail = segments.slice(3).join('/');
  switch (tail) {
    case 'hello':
    case 'info':
    case 'readings':
      return { kind: tail, token };
    case 'readings/raw':
      return { kind: 'raw', token };
    default:
      return null;
  }
}
