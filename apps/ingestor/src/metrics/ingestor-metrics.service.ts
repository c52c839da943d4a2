import { memoryUsage } from 'node:process';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { HealthRepository } from '#db';
import { AppMetrics } from '#observability';
import { MQTT_POOL } from '../ingestor.tokens.js';
import { InstanceHeartbeatService } from '../lifecycle/instance-heartbeat.service.js';
import type { MqttPoolServer } from '../mqtt/mqtt-pool.server.js';
import { IngestMetrics } from '../pipeline/ingest.metrics.js';
import { IngestService } from '../pipeline/ingest.service.js';
import { StoreForwardService } from '../pipeline/store-forward.service.js';
import { QueueProducersService } from '../queues/queue-producers.service.js';

/**
 * The ingestor's state metrics, read from the pool, the batcher and the job store at scrape time,
 * plus the commit → PUBACK latency the MQTT pool reports. They go into IngestMetrics' registry,
 * so GET /metrics serves one exposition.
 */
@Injectable()
export class IngestorMetricsService implements OnModuleInit {
  constructor(
    private readonly metrics: IngestMetrics,
    private readonly db: HealthRepository,
    private readonly intake: IngestService,
    private readonly storeForward: StoreForwardService,
    private readonly queues: QueueProducersService,
    private readonly heartbeat: InstanceHeartbeatService,
    @Inject(MQTT_POOL) private readonly pool: MqttPoolServer,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const { pool, intake, storeForward, queues, heartbeat } = this;
    const app = new AppMetrics(this.metrics.registry);
    app.watchDatabase(this.db);
    app.watchQueues([queues.deviceLifecycle, queues.storeForward, queues.maintenance]);
    const target = queues.target;
    if (target.kind === 'redis') app.checkDependency('redis', () => target.connection.ping());

    new Gauge({
      name: 'sck_ingest_mqtt_connected',
      help: 'MQTT pool members connected',
      registers,
      collect() {
        this.set(pool.stats().connected);
      },
    });
    new Counter({
      name: 'sck_ingest_mqtt_received_total',
      help: 'MQTT messages handed over by the broker',
      registers,
      collect() {
        this.reset();
        this.inc(pool.stats().received);
      },
    });
    new Gauge({
      name: 'sck_ingest_inflight_messages',
      help: 'Messages received and not yet acknowledged (or settled)',
      registers,
      collect() {
        this.set(pool.stats().inFlight);
      },
    });
    new Gauge({
      name: 'sck_ingest_pending_messages',
      help: 'Messages taken whose batch has not settled yet',
      registers,
      collect() {
        const depth = intake.depth;
        this.set(depth.pending + depth.writing);
      },
    });
    new Gauge({
      name: 'sck_ingest_spill_active',
      help: 'Whether batches are being spilled to the job store because PostgreSQL is unreachable (1) or not (0)',
      registers,
      collect() {
        this.set(storeForward.degraded ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sck_ingest_inflight_bytes',
      help: 'Bytes the MQTT pool counts against MQTT_INFLIGHT_MAX_BYTES',
      registers,
      collect() {
        this.set(pool.stats().inFlightBytes);
      },
    });
    new Gauge({
      name: 'sck_ingest_memory_bytes',
      help: 'Process memory: resident, V8 heap, external (buffers), array buffers',
      labelNames: ['kind'],
      registers,
      collect() {
        for (const [kind, bytes] of Object.entries(memoryUsage()) as [string, number][])
          this.set({ kind }, bytes);
      },
    });
    new Gauge({
      name: 'sck_ingest_group_live_members',
      help: "Live ingestors in this one's shared subscription, as of its last heartbeat",
      registers,
      collect() {
        this.set(heartbeat.members.filter((m) => m.live).length);
      },
    });
    const ackLatency = new Histogram({
      name: 'sck_ingest_commit_to_ack_seconds',
      help: 'Time from a message being stored (or spilled) to its PUBACK being written',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    });
    pool.observeAckLatency = (seconds) => ackLatency.observe(seconds);
  }
}
