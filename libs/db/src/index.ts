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
  DEVICE_STATES,
  DeviceCatalogRepository,
  DeviceTokenTakenError,
  type DeviceFields,
  type DeviceListQuery,
  type DeviceRecord,
  type DeviceSensorValue,
  type DeviceState,
  type Viewer,
} from './device-catalog.repository.js';
export {
  SensorCatalogRepository,
  type SensorFields,
  type SensorListQuery,
} from './sensor-catalog.repository.js';
export {
  ReadingsQueryRepository,
  type ReadingsTarget,
  rollupStatement,
  rollupStatementFor,
  ROLLUP_FUNCTIONS,
  ROLLUP_UNITS,
  type RollupBucket,
  type RollupFunction,
  type RollupQuery,
  type RollupUnit,
} from './readings-query.repository.js';
export { IngestErrorsRepository } from './ingest-errors.repository.js';
export {
  UsersRepository,
  USER_ROLES,
  createUserWithToken,
  type ApiUser,
  type NewUser,
  type UserRole,
} from './users.repository.js';
export { generateApiToken, hashApiToken } from './api-tokens.js';
export type { IngestError, Sensor } from './generated/prisma/client.js';
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
export { RollupsRepository, refreshRollups, type RollupRefresh } from './rollups.repository.js';
export { CompactionRepository, type CompactionStep } from './compaction.repository.js';
export { touchedHours } from './storage-lifecycle.js';
