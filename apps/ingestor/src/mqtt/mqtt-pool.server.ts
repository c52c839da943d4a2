import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { isObservable, lastValueFrom } from 'rxjs';
import {
  literalQueueFilters,
  redactTopic,
  routeTopic,
  subscriptionFilters,
} from '../../../../libs/domain/src/index.js';
import { ACK_DEFERRED, AckWindow } from './ack-window.js';
import { ByteBudget, receivedCost } from './byte-budget.js';
import { MqttContext, type MqttMessage, UNROUTABLE } from './mqtt-message.js';

export interface MqttPoolOptions {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** Member i connects as `${clientId}-${i}`; stable ids let a restarted ingestor resume its sessions. */
  clientId: string;
  connections: number;
  /**
   * Unacknowledged QoS 1 messages each connection may hold (its MQTT 5 Receive Maximum, and
   * enforced locally for MQTT 3.1.1 brokers). Default 1.
   */
  receiveMaximum?: number;
  /**
   * Bytes the pool may hold in messages not yet stored (payload, topic and a fixed overhead each,
   * or what the handler reports it keeps once decoded): above it, no member reads its next message
   * until some are. Bounds memory when large messages fill the windows. Default 8 MiB.
   */
  maxInFlightBytes?: number;
  keepaliveSeconds: number;
  sessionExpirySeconds: number;
  /** `$queue`, `$share/<group>`, or null to subscribe without a share (a broker with no shares). */
  sharedSubscription: string | null;
  topicPrefixes: string[];
  /** 5 (default) or 4 for brokers that speak only MQTT 3.1.1. */
  protocolVersion?: 4 | 5;
  /** Longest a graceful close() waits for delivered messages to be stored and acked. */
  drainTimeoutMs?: number;
  /** QoS 0 messages are acked at once; at most this many may be in processing at the same time. */
  maxQos0InFlight?: number;
}

/**
 * First reconnect attempt after a drop, then doubling up to MAX_RECONNECT_MS. Short on purpose:
 * after a broker restart Mosquitto does not restore shared subscriptions from persistence, so a
 * message published before a member has re-subscribed reaches no one.
 */
const FIRST_RECONNECT_MS = 500;
const MAX_RECONNECT_MS = 30_000;
/** During shutdown, how long no message may arrive before the pool disconnects. */
const QUIET_MS = 200;
const DEFAULT_MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface MessageGroup {
  messages: MqttMessage[];
  outcomes: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * A custom Nest transport that owns a pool of MQTT.js connections, all members of one shared
 * subscription. Unlike Nest's built-in MQTT transport it hands the raw payload to the handler and
 * sends PUBACK only once the handler's promise has settled, i.e. after the batch holding the message
 * committed (ARCHITECTURE.md "Ack after commit"). Each member holds up to `receiveMaximum`
 * unacknowledged messages; its AckWindow sends their PUBACKs in order once they are stored.
 */
export class MqttPoolServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('MqttPool');
  private readonly clients: MqttClient[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private qos0InFlight = 0;
  private readonly budget: ByteBudget;
  private readonly qos0Waiters: (() => void)[] = [];
  private closing = false;
  private received = 0;
  /**
   * Handlers by pattern. Nest's lookup JSON.parses the pattern (throwing for a plain string) on
   * every call; handlers are all registered before listen(), so one lookup per pattern suffices.
   */
  private readonly handlers = new Map<string, MessageHandler | null>();
  /** Messages received in this turn of the event loop, by pattern, waiting for their handler. */
  private readonly groups = new Map<string, MessageGroup>();
  private deliveryScheduled = false;

  constructor(private readonly options: MqttPoolOptions) {
    super();
    this.budget = new ByteBudget(options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES);
    // Without a shared subscription the broker gives every member its own copy of every message,
    // so each reading would be processed K times. Such brokers (aedes in single-node mode, any
    // broker with MQTT_SHARED_SUBSCRIPTION=none) get one connection: the config defaults and
    // enforces MQTT_CONNECTIONS=1 for them, and this refuses anything else outright.
    if (options.sharedSubscription === null && options.connections !== 1) {
      throw new Error(
        `without a shared subscription the pool must have 1 connection, not ${options.connections}`,
      );
    }
  }

  get filters(): string[] {
    return subscriptionFilters(this.options.sharedSubscription, this.options.topicPrefixes);
  }

  /** Member 0 of each ingestor also takes the literal `$queue/…` topics (see literalQueueFilters). */
  private filtersFor(member: number): string[] {
    return member === 0
      ? [...this.filters, ...literalQueueFilters(this.options.sharedSubscription)]
      : this.filters;
  }

  /** For health and metrics. */
  stats() {
    return {
      members: this.clients.length,
      connected: this.clients.filter((c) => c.connected).length,
      received: this.received,
      inFlight: this.inFlight.size,
      inFlightBytes: this.budget.bytes,
    };
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    const { connections } = this.options;
    let subscribed = 0;
    for (let member = 0; member < connections; member++) {
      const client = this.connectMember(member, () => {
        subscribed++;
        if (subscribed === connections) {
          this.logger.log(
            `${connections} connections to ${this.url()} subscribed at QoS 1 to ${this.filters.join(', ')}`,
          );
          callback();
        }
      });
      this.clients.push(client);
    }
  }

  /**
   * Graceful stop, the decommission step of a rolling deploy: unsubscribe (the broker sends new
   * messages to the other members), keep handling and acknowledging what was already delivered
   * until nothing has arrived for a moment, then disconnect. Nothing is left in the session unless
   * the database is down, in which case the held messages stay unacknowledged for redelivery.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled(
      this.clients
        .map((c, member) => ({ c, member }))
        .filter(({ c }) => c.connected)
        .map(({ c, member }) => c.unsubscribeAsync(this.filtersFor(member))),
    );
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
    let quietSince = Date.now();
    let lastReceived = this.received;
    while (Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inFlight]), sleep(50)]);
      if (this.received !== lastReceived || this.inFlight.size > 0) {
        lastReceived = this.received;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= QUIET_MS) {
        break;
      }
    }
    if (this.inFlight.size > 0) {
      this.logger.warn(
        `${this.inFlight.size} messages still unacknowledged at shutdown; the broker keeps them`,
      );
    }
    await Promise.all(this.clients.map((c) => c.endAsync().catch(() => undefined)));
    this.clients.length = 0;
  }

  on(): never {
    throw new Error('MqttPoolServer does not support event listeners; use stats()');
  }

  unwrap<T>(): T {
    return this.clients as T;
  }

  private url(): string {
    return `${this.options.tls ? 'mqtts' : 'mqtt'}://${this.options.host}:${this.options.port}`;
  }

  private connectMember(member: number, onFirstSubscribe: () => void): MqttClient {
    const { options } = this;
    const clientId = `${options.clientId}-${member}`;
    const protocolVersion = options.protocolVersion ?? 5;
    const v5 = protocolVersion === 5;
    const receiveMaximum = options.receiveMaximum ?? 1;
    const acks = new AckWindow(receiveMaximum, protocolVersion);
    const client = mqtt.connect(this.url(), {
      clientId,
      username: options.username,
      password: options.password,
      protocolVersion,
      clean: false,
      keepalive: options.keepaliveSeconds,
      reconnectPeriod: FIRST_RECONNECT_MS,
      connectTimeout: 10_000,
      resubscribe: false,
      ...(v5 ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds, receiveMaximum } } : {}),
    });
    let firstSubscribe = true;
    let failures = 0;

    client.handleMessage = (packet, done) => {
      this.received++;
      const topic = packet.topic;
      const held = this.budget.hold(receivedCost(packet.payload.length, topic.length));
      const work = this.dispatch(member, packet, held.retain);
      this.track(work);
      work.then(held.release, held.release);
      if (packet.qos === 0) {
        // Nothing to acknowledge; take the next one at once, but bound the work in progress.
        const next = () => this.budget.whenRoom(() => done());
        this.acquireQos0Slot(work).then(next, next);
        return;
      }
      const stream = client.stream;
      const slot = acks.take(stream, packet.messageId!);
      work.then(
        () => acks.stored(slot),
        (error: unknown) => {
          // Not stored and not safely recorded: leave it unacknowledged and drop the connection, so
          // the broker redelivers it (and whatever else the window held) to the resumed session.
          this.logger.warn(
            `member ${member}: message on ${redactTopic(topic)} not acknowledged: ${String(error)}`,
          );
          stream.destroy();
        },
      );
      // Take the next packet without MQTT.js's own PUBACK, as long as the window and the pool's
      // byte budget have room.
      acks.whenRoom(() => this.budget.whenRoom(() => done(ACK_DEFERRED)));
    };

    client.on('connect', (connack) => {
      failures = 0;
      client.options.reconnectPeriod = FIRST_RECONNECT_MS;
      client.subscribe(this.filtersFor(member), { qos: 1 }, (error, granted) => {
        if (error) {
          this.logger.error(`member ${member}: subscribe failed: ${error.message}`);
          return;
        }
        const refused = (granted ?? []).filter((g) => g.qos === 128);
        if (refused.length > 0) {
          this.logger.error(`member ${member}: broker refused ${refused.map((g) => g.topic).join(', ')}`);
        }
        if (firstSubscribe) {
          firstSubscribe = false;
          onFirstSubscribe();
        } else {
          this.logger.log(
            `member ${member} (${clientId}) reconnected, session present: ${connack.sessionPresent}`,
          );
        }
      });
    });
    client.on('offline', () => {
      failures++;
      // Exponential backoff between reconnect attempts, capped; logged so an outage is visible.
      client.options.reconnectPeriod = Math.min(
        FIRST_RECONNECT_MS * 2 ** Math.min(failures - 1, 6),
        MAX_RECONNECT_MS,
      );
      if (!this.closing) {
        this.logger.warn(
          `member ${member} (${clientId}) offline; retrying in ${client.options.reconnectPeriod} ms`,
        );
      }
    });
    client.on('error', (error) => {
      if (!this.closing) this.logger.warn(`member ${member} (${clientId}): ${error.message}`);
    });
    return client;
  }

  /**
   * Queues the message for its handler and returns a promise that settles with the message's own
   * outcome. Handlers take the messages of one turn of the event loop together (all members, one
   * call per pattern): Nest's per-call dispatch (context, pipes, guards, interceptors, exception
   * zone) is then paid once per group, not once per message.
   */
  private dispatch(
    member: number,
    packet: IPublishPacket,
    retain: (bytes: number) => void = () => undefined,
  ): Promise<void> {
    const route = routeTopic(packet.topic, this.options.topicPrefixes);
    const message: MqttMessage = {
      topic: packet.topic,
      route,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      qos: packet.qos,
      dup: packet.dup,
      receivedAt: new Date(),
      member,
      retain,
    };
    const pattern = route ? route.kind : UNROUTABLE;
    return new Promise<void>((resolve, reject) => {
      let group = this.groups.get(pattern);
      if (!group) {
        group = { messages: [], outcomes: [] };
        this.groups.set(pattern, group);
      }
      group.messages.push(message);
      group.outcomes.push({ resolve, reject });
      if (!this.deliveryScheduled) {
        this.deliveryScheduled = true;
        setImmediate(() => this.deliverGroups());
      }
    });
  }

  private deliverGroups(): void {
    this.deliveryScheduled = false;
    const groups = [...this.groups];
    this.groups.clear();
    for (const [pattern, group] of groups) void this.deliver(pattern, group);
  }

  /** Hands one pattern's messages to its handler; settles each message with its own outcome. */
  private async deliver(pattern: string, { messages, outcomes }: MessageGroup): Promise<void> {
    let handler = this.handlers.get(pattern);
    if (handler === undefined) {
      handler = this.getHandlerByPattern(pattern);
      this.handlers.set(pattern, handler);
    }
    if (!handler) {
      this.logger.error(`no handler for "${pattern}"; ${messages.length} message(s) acknowledged unhandled`);
      for (const outcome of outcomes) outcome.resolve();
      return;
    }
    try {
      let result: unknown = await handler(messages, new MqttContext([pattern]));
      if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
      if (!Array.isArray(result) || result.length !== messages.length) {
        throw new Error(`the handler of "${pattern}" must return one outcome per message`);
      }
      result.forEach((r, i) => {
        Promise.resolve(r).then(() => outcomes[i].resolve(), outcomes[i].reject);
      });
    } catch (error) {
      for (const outcome of outcomes) outcome.reject(error);
    }
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
  }

  private async acquireQos0Slot(work: Promise<unknown>): Promise<void> {
    const max = this.options.maxQos0InFlight ?? 1000;
    this.qos0InFlight++;
    const release = () => {
      this.qos0InFlight--;
      this.qos0Waiters.shift()?.();
    };
    work.then(release, release);
    if (this.qos0InFlight > max) await new Promise<void>((resolve) => this.qos0Waiters.push(resolve));
  }
}
