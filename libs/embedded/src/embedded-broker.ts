import { type Server, createServer } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /**
   * Until acceptDevices() is called only clients whose id starts with this (the ingestor's pool)
   * may connect: a message published before the ingestor has subscribed would reach nobody, and
   * this broker keeps no session across restarts. Others get CONNACK "server unavailable" and
   * retry, as kits do.
   */
  firstClientIdPrefix: string;
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
 * subscribes with one plain connection.
 */
export class EmbeddedBroker {
  private constructor(
    private readonly gate: { open: boolean },
    private readonly broker: Aedes,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
    const gate = { open: false };
    const broker = await Aedes.createBroker({
      authenticate: (client, _username, _password, done) => {
        if (gate.open || client.id.startsWith(options.firstClientIdPrefix)) {
          done(null, true);
          return;
        }
        done(
          Object.assign(new Error('the ingestor is not subscribed yet'), { returnCode: 3 as const }),
          false,
        );
      },
    });
    upgradeQos0FromClients(broker);
    broker.on('clientError', (client, error) => options.log(`client ${client.id}: ${error.message}`));
    const server = createServer((socket) => broker.handle(socket));
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
    return new EmbeddedBroker(gate, broker, server, port);
  }

  /** From now on every client may connect (call once the ingestor has subscribed). */
  acceptDevices(): void {
    this.gate.open = true;
  }

  /** Disconnects every client and stops listening. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
