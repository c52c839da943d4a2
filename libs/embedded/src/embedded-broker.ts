import { type Server, createServer } from 'node:net';
import { Aedes } from 'aedes';
import type { BrokerPolicy } from '#domain';
import { type BrokerRefusal, RefusalCounter, securityHooks } from './broker-security.js';
import { capPacketSize } from './packet-size-guard.js';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /**
   * Until acceptDevices() is called only the ingestor (its credentials, a client id starting with
   * this) may connect: a message published before the ingestor has subscribed would reach nobody, and
   * this broker keeps no session across restarts. Others get CONNACK "server unavailable" and
   * retry, as kits do.
   */
  firstClientIdPrefix: string;
  /** Who may connect, publish and subscribe (docs/security.md). */
  policy: BrokerPolicy;
  /** Largest MQTT packet (remaining length, bytes) accepted; larger ones close the connection. */
  maxPacketBytes: number;
  log: (line: string) => void;
}

/**
 * QoS of kits: the firmware publishes at QoS 0, and aedes delivers a message at the lower of its
 * own QoS and the subscription's (it has no option like Mosquitto's `upgrade_outgoing_qos` or
 * EMQX's `upgrade_qos`). Publishing a client's QoS 0 message onwards as QoS 1 gives the same
 * outcome: the ingestor's QoS 1 subscription receives it at QoS 1 (acknowledged after commit,
 * redelivered if the connection drops first), the ingestor's persistent session queues it while
 * that connection is away, and QoS 0 subscribers still get QoS 0. The kit itself gets no PUBACK:
 * aedes has already decided the reply from the packet as received.
 */
export function upgradeQos0FromClients(broker: Aedes): void {
  const publish = broker.publish.bind(broker) as (
    packet: Parameters<Aedes['publish']>[0],
    client: unknown,
    done: (error?: Error) => void,
  ) => void;
  (broker as unknown as { publish: typeof publish }).publish = (packet, client, done) =>
    publish(
      typeof client === 'object' && client !== null && packet.qos === 0 ? { ...packet, qos: 1 } : packet,
      client,
      done,
    );
}

/**
 * An MQTT 3.1.1 broker in this process (aedes), for single-node deployments: devices connect to
 * it as they would to Mosquitto or EMQX. Sessions and queued messages live in memory (aedes'
 * default persistence), so persistent sessions work while the process runs; the ingestor drains
 * what it was delivered before the broker closes. It has no shared subscriptions, so the ingestor
 * subscribes with one plain connection. Kits connect anonymously and may only publish as
 * themselves; only the ingestor reads device topics (securityHooks, docs/security.md).
 */
export class EmbeddedBroker {
  private constructor(
    private readonly gate: { open: boolean },
    private readonly refusalCounter: RefusalCounter,
    private readonly broker: Aedes,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
    const gate = { open: false };
    const refusals = new RefusalCounter(options.log);
    const broker = await Aedes.createBroker({
      ...securityHooks(
        options.policy,
        refusals,
        (client, role) =>
          gate.open || (role === 'ingestor' && client.id.startsWith(options.firstClientIdPrefix)),
      ),
    });
    upgradeQos0FromClients(broker);
    broker.on('clientError', (client, error) => options.log(`client ${client.id}: ${error.message}`));
    const server = createServer((socket) => {
      const peer = `${socket.remoteAddress}:${socket.remotePort}`;
      broker.handle(
        capPacketSize(socket, options.maxPacketBytes, () =>
          refusals.add('packet_too_large', `a packet over ${options.maxPacketBytes} bytes from ${peer}`),
        ),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        broker.close();
        reject(
          error.code === 'EADDRINUSE'
            ? Object.assign(
                new Error(
                  `port ${options.port} is taken (another MQTT broker?): set EMBEDDED_MQTT_PORT to a free port, or MQTT_HOST to use that broker`,
                ),
                { code: 'EADDRINUSE' },
              )
            : error,
        );
      });
      server.listen(options.port, options.host, () => resolve());
    });
    const { port } = server.address() as { port: number };
    return new EmbeddedBroker(gate, refusals, broker, server, port);
  }

  /** From now on every client may connect (call once the ingestor has subscribed). */
  acceptDevices(): void {
    this.gate.open = true;
  }

  /** Refusals so far, by reason (spoofed publishes, forbidden subscriptions, …). */
  refusals(): Record<BrokerRefusal, number> {
    return this.refusalCounter.snapshot();
  }

  /** Disconnects every client and stops listening. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
