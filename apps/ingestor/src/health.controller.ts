import { memoryUsage } from 'node:process';
import { Controller, Get, Header, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { PrismaService } from '../../../libs/db/src/index.js';
import { MQTT_POOL } from './ingestor.tokens.js';
import { InstanceHeartbeatService } from './lifecycle/instance-heartbeat.service.js';
import type { MqttPoolServer } from './mqtt/mqtt-pool.server.js';
import { IngestMetrics } from './pipeline/ingest.metrics.js';
import { ReadingsService } from './pipeline/readings.service.js';
import { StoreForwardService } from './pipeline/store-forward.service.js';
import { QueueProducersService } from './queues/queue-producers.service.js';

@Controller()
export class HealthController {
  constructor(
    private readonly db: PrismaService,
    private readonly metrics: IngestMetrics,
    private readonly readings: ReadingsService,
    private readonly storeForward: StoreForwardService,
    private readonly queues: QueueProducersService,
    private readonly heartbeat: InstanceHeartbeatService,
    @Inject(MQTT_POOL) private readonly pool: MqttPoolServer,
  ) {}

  @Get('health')
  health() {
    return { status: 'ok' };
  }

  /**
   * Ready when Postgres answers and at least one MQTT member is connected. Redis is reported but
   * does not make the ingestor unready: the ingest path does not need it.
   */
  @Get('ready')
  async ready() {
    const mqtt = this.pool.stats();
    let database = 'ok';
    try {
      await this.db.client.$queryRaw`SELECT 1`;
    } catch (error) {
      database = (error as Error).message;
    }
    const body = {
      status: 'ok',
      database,
      mqtt,
      batcher: this.readings.depth,
      jobs:
        this.queues.target.kind === 'redis' ? `redis ${this.queues.target.connection.status}` : 'postgres',
      spilling: this.storeForward.degraded,
      group: this.group(),
    };
    if (database !== 'ok' || mqtt.connected === 0) {
      throw new HttpException({ ...body, status: 'unavailable' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return body;
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async prometheus(): Promise<string> {
    const mqtt = this.pool.stats();
    const depth = this.readings.depth;
    const extra = [
      `# HELP sck_ingest_mqtt_connected MQTT pool members connected`,
      `# TYPE sck_ingest_mqtt_connected gauge`,
      `sck_ingest_mqtt_connected ${mqtt.connected}`,
      `# HELP sck_ingest_mqtt_received_total MQTT messages handed over by the broker`,
      `# TYPE sck_ingest_mqtt_received_total counter`,
      `sck_ingest_mqtt_received_total ${mqtt.received}`,
      `# HELP sck_ingest_inflight_messages Messages received and not yet acknowledged (or settled)`,
      `# TYPE sck_ingest_inflight_messages gauge`,
      `sck_ingest_inflight_messages ${mqtt.inFlight}`,
      `# HELP sck_ingest_pending_messages Messages taken whose batch has not settled yet`,
      `# TYPE sck_ingest_pending_messages gauge`,
      `sck_ingest_pending_messages ${depth.pending + depth.writing}`,
      `# HELP sck_ingest_inflight_bytes Bytes the MQTT pool counts against MQTT_INFLIGHT_MAX_BYTES`,
      `# TYPE sck_ingest_inflight_bytes gauge`,
      `sck_ingest_inflight_bytes ${mqtt.inFlightBytes}`,
      `# HELP sck_ingest_memory_bytes Process memory: resident, V8 heap used, external (buffers)`,
      `# TYPE sck_ingest_memory_bytes gauge`,
      ...Object.entries(memoryUsage()).map(
        ([kind, bytes]) => `sck_ingest_memory_bytes{kind="${kind}"} ${bytes}`,
      ),
      `# HELP sck_ingest_group_live_members Live ingestors in this one's shared subscription (heartbeat)`,
      `# TYPE sck_ingest_group_live_members gauge`,
      `sck_ingest_group_live_members ${this.group().live}`,
    ].join('\n');
    return `${await this.metrics.registry.metrics()}${extra}\n`;
  }

  /** This ingestor's group as of its last heartbeat: who would remain if one were decommissioned. */
  private group() {
    const members = this.heartbeat.members;
    return {
      subscription: this.heartbeat.subscription,
      self: this.heartbeat.clientId,
      live: members.filter((m) => m.live).length,
      members: members.map((m) => ({
        clientId: m.clientId,
        host: m.host,
        pid: m.pid,
        state: m.state,
        live: m.live,
        lastSeenAt: m.lastSeenAt,
        decommissionRequested: m.decommissionRequested,
      })),
    };
  }
}
