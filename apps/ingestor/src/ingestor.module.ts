import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DbModule } from '#db';
import { loggerParams } from '#observability';
import { INGESTOR_CONFIG, type IngestorConfig } from './config.provider.js';
import { HealthController } from './health.controller.js';
import { IngestController } from './ingest.controller.js';
import { MQTT_POOL } from './ingestor.tokens.js';
import { DeviceLifecycleProcessor } from './jobs/device-lifecycle.processor.js';
import { ForwardProcessor } from './jobs/forward.processor.js';
import { FirehoseOutput } from './live/firehose.output.js';
import { ForwardOutput } from './live/forward.output.js';
import { ForwardService } from './live/forward.service.js';
import { LivePublisherAdapter } from './live/live-publisher.adapter.js';
import { LiveRelayService } from './live/live-relay.service.js';
import { JobWorkersService } from './jobs/job-workers.service.js';
import { MaintenanceProcessor } from './jobs/maintenance.processor.js';
import { StoreForwardProcessor } from './jobs/store-forward.processor.js';
import { InstanceHeartbeatService } from './lifecycle/instance-heartbeat.service.js';
import { ParkedReplayService } from './lifecycle/parked-replay.service.js';
import { PartitionUpkeepService } from './lifecycle/partition-upkeep.service.js';
import { RetentionService } from './lifecycle/retention.service.js';
import type { MqttPoolServer } from './mqtt/mqtt-pool.server.js';
import { BatchWriterService } from './pipeline/batch-writer.service.js';
import { EntryDecoderService } from './pipeline/entry-decoder.service.js';
import { IngestorMetricsService } from './metrics/ingestor-metrics.service.js';
import { IngestMetrics } from './pipeline/ingest.metrics.js';
import { IngestService } from './pipeline/ingest.service.js';
import { SensorCatalogueService } from './pipeline/sensor-catalogue.service.js';
import { StoreForwardService } from './pipeline/store-forward.service.js';
import { QueueProducersService } from './queues/queue-producers.service.js';
import { CompactionService } from './storage/compaction.service.js';
import { StorageJobsService } from './storage/storage-jobs.service.js';

@Module({})
export class IngestorModule {
  static forRoot(config: IngestorConfig, pool: MqttPoolServer): DynamicModule {
    return {
      module: IngestorModule,
      imports: [
        LoggerModule.forRoot(loggerParams('ingestor', config)),
        DbModule.forRoot({
          url: config.DATABASE_URL,
          poolSize: config.DATABASE_POOL_SIZE,
          liveOutbox: config.LIVE_ENABLED,
        }),
      ],
      controllers: [IngestController, HealthController],
      providers: [
        { provide: INGESTOR_CONFIG, useValue: config },
        { provide: MQTT_POOL, useValue: pool },
        IngestMetrics,
        IngestorMetricsService,
        SensorCatalogueService,
        EntryDecoderService,
        BatchWriterService,
        QueueProducersService,
        StoreForwardService,
        IngestService,
        ParkedReplayService,
        PartitionUpkeepService,
        RetentionService,
        InstanceHeartbeatService,
        DeviceLifecycleProcessor,
        StoreForwardProcessor,
        MaintenanceProcessor,
        LivePublisherAdapter,
        FirehoseOutput,
        ForwardOutput,
        ForwardService,
        ForwardProcessor,
        LiveRelayService,
        JobWorkersService,
        CompactionService,
        StorageJobsService,
      ],
    };
  }
}
