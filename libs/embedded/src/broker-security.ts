import type { AedesOptions, Client } from 'aedes';
import {
  type BrokerPolicy,
  type BrokerRole,
  authenticateClient,
  mayPublish,
  mayReceive,
  maySubscribe,
} from '#domain';

/** Why the embedded broker refused something; each counted (EmbeddedBroker.refusals()). */
export type BrokerRefusal =
  'bad_credentials' | 'reserved_client_id' | 'publish_denied' | 'subscribe_denied' | 'packet_too_large';

export class RefusalCounter {
  private readonly counts = new Map<BrokerRefusal, number>();

  constructor(private readonly log: (line: string) => void) {}

  /** Counts a refusal; logs the first of each kind and then every 1000th, so a flood cannot fill the log. */
  add(reason: BrokerRefusal, detail: string): void {
    const count = (this.counts.get(reason) ?? 0) + 1;
    this.counts.set(reason, count);
    if (count === 1 || count % 1000 === 0) this.log(`refused (${reason}, ${count} so far): ${detail}`);
  }

  snapshot(): Record<BrokerRefusal, number> {
    const get = (reason: BrokerRefusal) => this.counts.get(reason) ?? 0;
    return {
      bad_credentials: get('bad_credentials'),
      reserved_client_id: get('reserved_client_id'),
      publish_denied: get('publish_denied'),
      subscribe_denied: get('subscribe_denied'),
      packet_too_large: get('packet_too_large'),
    };
  }
}

const roles = new WeakMap<Client, BrokerRole>();

/**
 * aedes' authenticate / authorizePublish / authorizeSubscribe / authorizeForward hooks enforcing
 * the broker rules (libs/domain broker-rules.ts). `admit` is asked after the credentials check
 * (the start-up gate of EmbeddedBroker).
 */
export function securityHooks(
  policy: BrokerPolicy,
  refusals: RefusalCounter,
  admit: (client: Client, role: BrokerRole) => boolean,
): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  return {
    authenticate: (client, username, password, done) => {
      const verdict = authenticateClient(policy, { clientId: client.id, username, password });
      if (!verdict.allowed) {
        refusals.add(verdict.reason, `client ${client.id}`);
        // 4 = bad user name or password, 5 = not authorised (MQTT 3.1.1 CONNACK codes).
        const returnCode = verdict.reason === 'bad_credentials' ? 4 : 5;
        done(Object.assign(new Error(verdict.reason), { returnCode }), false);
        return;
      }
      if (!admit(client, verdict.role)) {
        done(
          Object.assign(new Error('the ingestor is not subscribed yet'), { returnCode: 3 as const }),
          false,
        );
        return;
      }
      roles.set(client, verdict.role);
      done(null, true);
    },
    authorizePublish: (client, packet, done) => {
      // A null client is the broker itself (will messages are checked with their client).
      if (!client) return done(null);
      const role = roles.get(client) ?? 'device';
      if (mayPublish(role, client.id, packet.topic)) return done(null);
      refusals.add('publish_denied', `client ${client.id} to ${packet.topic}`);
      done(new Error(`client ${client.id} may not publish to ${packet.topic}`));
    },
    authorizeSubscribe: (client, subscription, done) => {
      const role = roles.get(client) ?? 'device';
      if (maySubscribe(role, subscription.topic)) return done(null, subscription);
      refusals.add('subscribe_denied', `client ${client.id} to ${subscription.topic}`);
      // A null subscription is a SUBACK failure (0x80) for this filter; the connection stays.
      done(null, null);
    },
    authorizeForward: (client, packet) => {
      const role = roles.get(client) ?? 'device';
      return mayReceive(role, packet.topic) ? packet : null;
    },
  };
}
