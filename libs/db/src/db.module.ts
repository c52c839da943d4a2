import { type DynamicModule, Module } from '@nestjs/common';
import type { DbOptions } from './client.js';
import { DevicesRepository } from './devices.repository.js';
import { IngestRepository } from './ingest.repository.js';
import { DB_OPTIONS, PrismaService } from './prisma.service.js';
import { SensorsRepository } from './sensors.repository.js';
import { ParkedMessagesRepository } from './parked-messages.repository.js';
import { PartitionsRepository } from './partitions.repository.js';

const repositories = [
  IngestRepository,
  SensorsRepository,
  DevicesRepository,
  ParkedMessagesRepository,
  PartitionsRepository,
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
