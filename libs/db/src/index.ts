export { createPrismaClient, PrismaClient, type DbOptions } from './client.js';
export { PrismaService, DB_OPTIONS } from './prisma.service.js';
export { DbModule } from './db.module.js';
export {
  IngestRepository,
  type BatchWrite,
  type IngestErrorRecord,
  type StoredReading,
} from './ingest.repository.js';
export { SensorsRepository } from './sensors.repository.js';
export { DevicesRepository, type NewDevice } from './devices.repository.js';
export { isTransientDbError } from './errors.js';
export { deployDatabase, ensureDatabase, migrate, seedSensors } from './migrate.js';
export {
  type HelloWrite,
  type InfoWrite,
  type InventoryWrite,
  type LifecycleWrite,
  type ParkedWrite,
  isEmptyLifecycle,
} from './device-lifecycle.statements.js';
export {
  ParkedMessagesRepository,
  type ParkedMessage,
  type ParkedCursor,
} from './parked-messages.repository.js';
export { PartitionsRepository } from './partitions.repository.js';
