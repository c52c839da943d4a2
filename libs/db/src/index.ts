export { createPrismaClient, PrismaClient, QUERY_CANCELED, type DbOptions } from './client.js';
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
  type PostprocessingFields,
  type DeviceListQuery,
  type DeviceRecord,
  type DeviceSensorValue,
  type DeviceState,
  type SensorMeasurement,
  type Viewer,
} from './device-catalog.repository.js';
export {
  SensorCatalogRepository,
  type CatalogueSensor,
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
  ROLLUP_SECONDS,
  type RollupBucket,
  type RollupFunction,
  type RollupQuery,
  type RollupUnit,
} from './readings-query.repository.js';
export { IngestErrorsRepository } from './ingest-errors.repository.js';
export {
  UsersRepository,
  USER_ROLES,
  FORWARDING_ROLES,
  createUserWithToken,
  type ApiUser,
  type NewUser,
  type UserRole,
} from './users.repository.js';
export { generateApiToken, hashApiToken } from './api-tokens.js';
export type { IngestError, Measurement, Sensor } from './generated/prisma/client.js';
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
export {
  LiveOutboxRepository,
  comparePositions,
  type LiveBatch,
  type LivePosition,
  type LiveRead,
  type LiveReading,
  type LiveSelection,
} from './live-outbox.repository.js';
export { LiveWakeupListener } from './live-wakeup.listener.js';
export { LIVE_OUTBOX_CHANNEL } from './live-outbox.statements.js';
export { LiveLeaderLock } from './live-leader.lock.js';
export { ForwardingRepository, type ForwardingTarget } from './forwarding.repository.js';
export { RetentionRepository } from './retention.repository.js';
export {
  IngestorInstancesRepository,
  LIVE_HEARTBEATS,
  findInstanceState,
  listGroupMembers,
  requestDecommission,
  type DecommissionRequest,
  type GroupMember,
  type IngestorInstance,
} from './ingestor-instances.repository.js';
export { WorldMapRepository, type WorldMapDevice } from './world-map.repository.js';
export { MeasurementsRepository, type ComponentRecord } from './measurements.repository.js';
export {
  PeopleRepository,
  ProfileTakenError,
  type DeviceHit,
  type ProfileFields,
  type UserHit,
  type UserProfile,
} from './people.repository.js';
export {
  ReadingsExportRepository,
  type ExportColumn,
  type ExportReading,
} from './readings-export.repository.js';
export { RollupsRepository, refreshRollups, type RollupRefresh } from './rollups.repository.js';
export { CompactionRepository, type CompactionStep } from './compaction.repository.js';
export { touchedHours } from './storage-lifecycle.js';
export { AccountsRepository, type LoginCandidate } from './accounts.repository.js';
export { OnboardingRepository, type OrphanFields, type OrphanRecord } from './onboarding.repository.js';
export {
  ORPHAN_HANDSHAKE_CHANNEL,
  type OrphanHandshakeNotice,
  orphanHandshakeStatement,
} from './orphan-handshake.statement.js';
export { OrphanHandshakeListener } from './orphan-handshake.listener.js';
