import { type DynamicModule, Module } from '@nestjs/common';
import type { DbOptions } from './client.js';
import { DevicesRepository } from './devices.repository.js';
import { IngestRepository } from './ingest.repository.js';
import { DB_OPTIONS, PrismaService } from './prisma.service.js';
import { SensorsRepository } from './sensors.repository.js';
import { IngestErrorsRepository } from './ingest-errors.repository.js';
import { ReadingsQueryRepository } from './readings-query.repository.js';
import { UsersRepository } from './users.repository.js';
import { ParkedMessagesRepository } from './parked-messages.repository.js';
import { PartitionsRepository } from './partitions.repository.js';
import { LiveOutboxRepository } from './live-outbox.repository.js';
import { ForwardingRepository } from './forwarding.repository.js';
import { RetentionRepository } from './retention.repository.js';
import { IngestorInstancesRepository } from './ingestor-instances.repository.js';
import { WorldMapRepository } from './world-map.repository.js';
import { MeasurementsRepository } from './measurements.repository.js';
import { PeopleRepository } from './people.repository.js';
import { ReadingsExportRepository } from './readings-export.repository.js';
import { RollupsRepository } from './rollups.repository.js';
import { CompactionRepository } from './compaction.repository.js';
import { AccountsRepository } from './accounts.repository.js';
import { OnboardingRepository } from './onboarding.repository.js';
import { OrphanHandshakeListener } from './orphan-handshake.listener.js';
import { HealthRepository } from './health.repository.js';

const repositories = [
  IngestRepository,
  SensorsRepository,
  DevicesRepository,
  HealthRepository,
  // REST API
  ReadingsQueryRepository,
  IngestErrorsRepository,
  UsersRepository,
  WorldMapRepository,
  MeasurementsRepository,
  PeopleRepository,
  ReadingsExportRepository,
  AccountsRepository,
  OnboardingRepository,
  OrphanHandshakeListener,
  ParkedMessagesRepository,
  PartitionsRepository,
  LiveOutboxRepository,
  ForwardingRepository,
  RetentionRepository,
  IngestorInstancesRepository,
  RollupsRepository,
  CompactionRepository,
];

@Module({})
export class DbModule {
  static forRoot(options: DbOptions): DynamicModule {
    return {
      module: DbModule,
      global: true,
      providers: [{ provide: DB_OPTIONS, useValue: options }, PrismaService, ...repositories],
      exports: [PrismaService, ...repositories],
    };
  }
}
