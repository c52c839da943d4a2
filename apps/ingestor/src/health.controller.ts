import { Controller, Get, HttpException, HttpStatus, Inject, Logger, Res } from '@nestjs/common';
import type { Response } from 'express';
import { HealthRepository } from '#db';
import { MQTT_POOL } from './ingestor.tokens.js';
import { InstanceHeartbeatService } from './lifecycle/instance-heartbeat.service.js';
import type { MqttPoolServer } from './mqtt/mqtt-pool.server.js';
import { IngestMetrics } from './pipeline/ingest.metrics.js';
import { IngestService } from './pipeline/ingest.service.js';
import { StoreForwardService } from './pipeline/store-forward.service.js';
import { QueueProducersService } from './queues/queue-producers.service.js';

@Controller()
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly db: HealthRepository,
    private readonly metrics: IngestMetrics,
    private readonly intake: IngestService,
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
      await this.db.ping();
    } catch (error) {
      // The reason goes to the log; the probe's answer carries no internal error text.
      database = 'unavailable';
      this.logger.warn(`readiness: database check failed: ${(error as Error).message}`);
    }
    const body = {
      status: 'ok',
      database,
      mqtt,
      batcher: this.intake.depth,
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

  /** The prom-client exposition: ingest counters and the state gauges of IngestorMetricsService. */
  @Get('metrics')
  async prometheus(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }

  /** This ingestor's group as of its last heartbeat: who would remain if one were decommissioned. */
  group() {
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
