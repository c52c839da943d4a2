import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { literalQueueFilters, logSafeTopic, subscriptionFilters } from '#domain';
import { ACK_DEFERRED, AckWindow } from './ack-window.js';
import { receivedCost } from './byte-budget.js';
import { FlowControl } from './flow-control.js';
import { MessageDispatcher } from './message-dispatcher.js';
import {
  FIRST_RECONNECT_MS,
  MAX_RECONNECT_MS,
  type MqttPoolOptions,
  memberConnectOptions,
  QUIET_MS,
  type StopMode,
} from './mqtt-pool.options.js';

export type { MqttPoolOptions, StopMode };

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
  private readonly flow: FlowControl;
  private readonly dispatcher: MessageDispatcher;
  private stopping: Promise<{ sessionsEnded: boolean }> | undefined;
  /** Set by a restart: QoS 1 messages that arrive from now on are left for the resumed session. */
  private holdingBack = false;
  private received = 0;
  /** Receives each PUBACK's delay after its message was stored, in seconds (for metrics). */
  observeAckLatency: (seconds: number) => void = () => undefined;

  constructor(private readonly options: MqttPoolOptions) {
    super();
    this.flow = new FlowControl(options.maxInFlightBytes, options.maxQos0InFlight);
    this.dispatcher = new MessageDispatcher(
      options.topicPrefixes,
      (pattern) => this.getHandlerByPattern(pattern),
      this.logger,
    );
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
      inFlight: this.flow.inFlight.size,
      inFlightBytes: this.flow.bytes,
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

  /** What Nest (and SIGTERM) calls: a restart, which keeps the sessions. */
  async close(): Promise<void> {
    await this.stop('restart');
  }

  /** Stops once, in the given mode; later calls wait for the first one. */
  stop(mode: StopMode): Promise<{ sessionsEnded: boolean }> {
    this.stopping ??= mode === 'restart' ? this.restart() : this.decommission();
    return this.stopping;
  }

  private async restart(): Promise<{ sessionsEnded: boolean }> {
    this.holdingBack = true;
    await this.drain(() => this.flow.inFlight.size === 0);
    this.warnUnacknowledged();
    await Promise.all(this.clients.map((c) => c.endAsync().catch(() => undefined)));
    this.clients.length = 0;
    return { sessionsEnded: false };
  }

  private async decommission(): Promise<{ sessionsEnded: boolean }> {
    await Promise.allSettled(
      this.clients
        .map((c, member) => ({ c, member }))
        .filter(({ c }) => c.connected)
        .map(({ c, member }) => c.unsubscribeAsync(this.filtersFor(member))),
    );
    let quietSince = Date.now();
    let lastReceived = this.received;
    await this.drain(() => {
      if (this.received !== lastReceived || this.flow.inFlight.size > 0) {
        lastReceived = this.received;
        quietSince = Date.now();
        return false;
      }
      return Date.now() - quietSince >= QUIET_MS;
    });
    // Unacknowledged messages live only in the session: ending it would lose them.
    const endSession = this.flow.inFlight.size === 0;
    if (!endSession) this.warnUnacknowledged();
    const v5 = (this.options.protocolVersion ?? 5) === 5;
    await Promise.all(
      this.clients.map((c) =>
        (endSession && v5
          ? c.endAsync(false, { properties: { sessionExpiryInterval: 0 } })
          : c.endAsync()
        ).catch(() => undefined),
      ),
    );
    this.clients.length = 0;
    // MQTT 3.1.1 has no session expiry on DISCONNECT: a clean connect discards the session.
    if (endSession && !v5) {
      await Promise.all(
        Array.from({ length: this.options.connections }, (_, member) =>
          mqtt
            .connectAsync(this.url(), {
              ...memberConnectOptions(this.options, member),
              clean: true,
              reconnectPeriod: 0,
            })
            .then((c) => c.endAsync())
            .catch((error: unknown) =>
              this.logger.warn(`member ${member}: session not ended: ${String(error)}`),
            ),
        ),
      );
    }
    this.logger.log(endSession ? 'decommissioned: sessions ended' : 'decommission incomplete: sessions kept');
    return { sessionsEnded: endSession };
  }

  /** Waits until `done()` holds or the drain timeout passes, re-checking as work settles. */
  private async drain(done: () => boolean): Promise<void> {
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
    while (Date.now() < deadline && !done()) {
      await Promise.race([Promise.allSettled([...this.flow.inFlight]), sleep(50)]);
    }
  }

  private warnUnacknowledged(): void {
    if (this.flow.inFlight.size > 0) {
      this.logger.warn(
        `${this.flow.inFlight.size} messages still unacknowledged at shutdown; the broker keeps them`,
      );
    }
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
    const connectOptions = memberConnectOptions(this.options, member);
    const clientId = connectOptions.clientId!;
    const acks = new AckWindow(
      this.options.receiveMaximum ?? 1,
      connectOptions.protocolVersion as 4 | 5,
      (s) => this.observeAckLatency(s),
    );
    const client = mqtt.connect(this.url(), connectOptions);
    let firstSubscribe = true;
    let failures = 0;

    client.handleMessage = (packet, done) => {
      // Restarting: leave it unacknowledged and read no further; the broker redelivers it to the
      // resumed session. A QoS 0 message has already been handed over, so it is still processed.
      if (this.holdingBack && packet.qos > 0) return;
      this.received++;
      const held = this.flow.holdBytes(receivedCost(packet.payload.length, packet.topic.length));
      const work = this.dispatch(member, packet, held.retain);
      this.flow.track(work, held);
      if (packet.qos === 0) {
        // Nothing to acknowledge; take the next one at once, but bound the work in progress.
        const next = () => this.flow.whenBytesAllow(() => done());
        this.flow.acquireQos0Slot(work).then(next, next);
        return;
      }
      this.acknowledgeWhenSettled(member, acks, work, client.stream, packet.messageId!, packet.topic);
      // The next packet, without MQTT.js's own PUBACK, once the window and the byte budget have room.
      acks.whenRoom(() => this.flow.whenBytesAllow(() => done(ACK_DEFERRED)));
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
      if (!this.stopping) {
        this.logger.warn(
          `member ${member} (${clientId}) offline; retrying in ${client.options.reconnectPeriod} ms`,
        );
      }
    });
    client.on('error', (error) => {
      if (!this.stopping) this.logger.warn(`member ${member} (${clientId}): ${error.message}`);
    });
    return client;
  }

  /**
   * The PUBACK once the work settles. Not closures in handleMessage: they would keep the packet (and
   * MQTT.js's callback holding it), so a payload would outlive the prefix the byte budget counts.
   */
  private acknowledgeWhenSettled(
    member: number,
    acks: AckWindow,
    work: Promise<void>,
    stream: MqttClient['stream'],
    messageId: number,
    topic: string,
  ): void {
    const slot = acks.take(stream, messageId);
    work.then(
      () => acks.stored(slot),
      (error: unknown) => {
        // Not stored nor safely recorded: unacknowledged, and the connection dropped so that the
        // broker redelivers it (and whatever else the window held) to the resumed session.
        this.logger.warn(
          `member ${member}: message on ${logSafeTopic(topic)} not acknowledged: ${String(error)}`,
        );
        stream.destroy();
      },
    );
  }

  /** The per-message entry point: queued for its handler, settling with the message's outcome. */
  private dispatch(member: number, packet: IPublishPacket, retain: (bytes: number) => void): Promise<void> {
    return this.dispatcher.dispatch(member, packet, retain);
  }
}
