import { timingSafeEqual } from 'node:crypto';

/**
 * Who may do what on the MQTT broker (docs/security.md). One set of rules for every broker we
 * ship: the embedded broker's hooks and the EMQX HTTP authn/authz endpoints call these functions,
 * and deploy/mosquitto.acl writes the same rules in Mosquitto's ACL language.
 *
 * - A device (anonymous, as the firmware connects: client id = its token) publishes only to its
 *   own topics and to `device/inventory`, and subscribes only to the public tree.
 * - The ingestor (its username and password) may subscribe and publish anywhere; nobody else may
 *   use a client id starting with its prefix, so nobody can take over its sessions.
 */

/** The read-only tree public subscribers may read; only the ingestor publishes there. */
export const PUBLIC_TREE = 'sck/v1/';

export interface BrokerPolicy {
  ingestor: {
    username: string;
    password: string;
    /** Client ids starting with this are the ingestor's (its pool connects as `<prefix>-<n>`). */
    clientIdPrefix: string;
  };
}

export type BrokerRole = 'ingestor' | 'device';

export type ConnectRefusal = 'bad_credentials' | 'reserved_client_id';

export type ConnectVerdict = { allowed: true; role: BrokerRole } | { allowed: false; reason: ConnectRefusal };

export interface ConnectAttempt {
  clientId: string;
  username?: string | null;
  password?: string | Buffer | null;
}

/** A token as a topic level: non-empty and free of separators and wildcards. */
const TOKEN_LEVEL = /^[^/+#]+$/;
const QUEUE = '$queue/';
/** What the firmware publishes under `device/sck/<token>/` (PROTOCOL.md "Topics"). */
const DEVICE_SUFFIXES = new Set(['readings', 'readings/raw', 'hello', 'info']);

function samePassword(given: string | Buffer | null | undefined, expected: string): boolean {
  // An unset password never matches, not even an empty one.
  if (given === undefined || given === null || expected === '') return false;
  const a = Buffer.isBuffer(given) ? given : Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isReservedClientId(policy: BrokerPolicy, clientId: string): boolean {
  return clientId.startsWith(policy.ingestor.clientIdPrefix);
}

/**
 * CONNECT: a username must be the ingestor's with its password; without a username the client is
 * a device, unless it claims one of the ingestor's client ids.
 */
export function authenticateClient(policy: BrokerPolicy, attempt: ConnectAttempt): ConnectVerdict {
  const { username, password, clientId } = attempt;
  if (username !== undefined && username !== null && username !== '') {
    return username === policy.ingestor.username && samePassword(password, policy.ingestor.password)
      ? { allowed: true, role: 'ingestor' }
      : { allowed: false, reason: 'bad_credentials' };
  }
  if (isReservedClientId(policy, clientId)) return { allowed: false, reason: 'reserved_client_id' };
  return { allowed: true, role: 'device' };
}

/**
 * PUBLISH: a device writes the firmware's topics under `device/sck/<its client id>/` and
 * `device/inventory`, also under a literal `$queue/` (the Mosquitto developer workflow publishes
 * there). The topics are exact, as in deploy/mosquitto.acl.
 */
export function mayPublish(role: BrokerRole, clientId: string, topic: string): boolean {
  if (role === 'ingestor') return true;
  const plain = topic.startsWith(QUEUE) ? topic.slice(QUEUE.length) : topic;
  if (plain === 'device/inventory') return true;
  if (!TOKEN_LEVEL.test(clientId)) return false;
  const own = `device/sck/${clientId}/`;
  return plain.startsWith(own) && DEVICE_SUFFIXES.has(plain.slice(own.length));
}

/** SUBSCRIBE: a device (or any anonymous client) reads only the public tree, never a share. */
export function maySubscribe(role: BrokerRole, filter: string): boolean {
  if (role === 'ingestor') return true;
  return filter.startsWith(PUBLIC_TREE);
}

/** Delivery: what an anonymous client may receive, whatever it managed to subscribe to. */
export function mayReceive(role: BrokerRole, topic: string): boolean {
  return role === 'ingestor' || topic.startsWith(PUBLIC_TREE);
}
