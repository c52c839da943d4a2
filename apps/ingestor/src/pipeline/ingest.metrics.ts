import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import type { IngestErrorRecord } from '#db';

/** Prometheus metrics of the ingest path, served at GET /metrics. */
@Injectable()
export class IngestMetrics {
  readonly registry = new Registry();
  private readonly messages = new Counter({
    name: 'sck_ingest_messages_total',
    help: 'MQTT messages taken, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly stored = new Counter({
    name: 'sck_ingest_readings_stored_total',
    help: 'Readings inserted (duplicates not counted)',
    registers: [this.registry],
  });
  private readonly batches = new Counter({
    name: 'sck_ingest_batches_total',
    help: 'Batches committed',
    registers: [this.registry],
  });
  private readonly rejections = new Counter({
    name: 'sck_ingest_rejections_total',
    help: 'Recorded rejections, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly parkedMessages = new Counter({
    name: 'sck_ingest_parked_total',
    help: 'Messages for tokens without an active device, handed to parked_messages',
    registers: [this.registry],
  });
  private readonly spilled = new Counter({
    name: 'sck_ingest_spilled_batches_total',
    help: 'Batches spilled to Redis because Postgres was unreachable',
    registers: [this.registry],
  });
  private readonly spilledMessages = new Counter({
    name: 'sck_ingest_spilled_messages_total',
    help: 'Messages acknowledged after being spilled to Redis',
    registers: [this.registry],
  });
  private readonly withheld = new Counter({
    name: 'sck_ingest_unacknowledged_batches_total',
    help: 'Batches neither stored nor spilled (Postgres and Redis both down): left to the broker',
    registers: [this.registry],
  });
  private readonly jobEvents = new Counter({
    name: 'sck_ingest_jobs_total',
    help: 'BullMQ jobs processed by this ingestor, by queue, job name and outcome',
    labelNames: ['queue', 'job', 'outcome'],
    registers: [this.registry],
  });
  private readonly parkedExpired = new Counter({
    name: 'sck_ingest_parked_expired_total',
    help: 'Parked messages that expired (recorded as parked_expired)',
    registers: [this.registry],
  });
  private readonly unrecordableMessages = new Counter({
    name: 'sck_ingest_unrecordable_total',
    help: 'Messages that could neither be stored nor recorded for a permanent reason, acknowledged',
    registers: [this.registry],
  });
  private readonly purgedRows = new Counter({
    name: 'sck_ingest_retention_deleted_total',
    help: 'Rows deleted by retention, by table',
    labelNames: ['table'],
    registers: [this.registry],
  });
  private readonly batchSeconds = new Histogram({
    name: 'sck_ingest_batch_seconds',
    help: 'Time to write one batch',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  messagesTaken(kind: string, count: number): void {
    this.messages.inc({ kind }, count);
  }

  batchWritten(inserted: number, ms: number): void {
    this.batches.inc();
    this.stored.inc(inserted);
    this.batchSeconds.observe(ms / 1000);
  }

  parked(count: number): void {
    if (count > 0) this.parkedMessages.inc(count);
  }

  batchSpilled(messages: number): void {
    this.spilled.inc();
    this.spilledMessages.inc(messages);
  }

  batchWithheld(): void {
    this.withheld.inc();
  }

  job(queue: string, job: string, outcome: 'completed' | 'failed'): void {
    this.jobEvents.inc({ queue, job, outcome });
  }

  unrecordable(): void {
    this.unrecordableMessages.inc();
  }

  purged(table: string, count: number): void {
    if (count > 0) this.purgedRows.inc({ table }, count);
  }

  expired(count: number): void {
    if (count > 0) this.parkedExpired.inc(count);
  }

  rejected(errors: Pick<IngestErrorRecord, 'reason'>[]): void {
    for (const e of errors) this.rejections.inc({ reason: e.reason });
  }
}
