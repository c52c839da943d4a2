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
export {
  type MeasurementRecord,
  type SensorFields,
  type SensorListQuery,
  type SensorRecord,
} from './sensor-record.js';
export { DevicesRepository } from './devices.repository.js';
export { HealthRepository } from './health.repository.js';
export { isTransientDbError } from './errors.js';
export { deployDatabase, SENSOR_CATALOGUE, seedSensors } from './migrate.js';
export {
  DEVICE_STATES,
  DeviceTokenTakenError,
  type DeviceFields,
  type PostprocessingFields,
  type DeviceListQuery,
  type DeviceRecord,
  type DeviceSensorValue,
  type DeviceState,
  type NewDevice,
  type SensorMeasurement,
  type Viewer,
} from './device-record.js';
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
export { IngestErrorsRepository, type StoredIngestError } from './ingest-errors.repository.js';
export {
  UsersRepository,
  USER_ROLES,
  FORWARDING_ROLES,
  type ApiUser,
  type NewUser,
  type UserRole,
} from './users.repository.js';
export { generateApiToken, hashApiToken } from './api-tokens.js';
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
export { inJobTransaction } from './storage-lifecycle.js';
export { LiveLeaderLock } from './live-leader.lock.js';
export { ForwardingRepository, type ForwardingTarget } from './forwarding.repository.js';
export { RetentionRepository } from './retention.repository.js';
export {
  IngestorInstancesRepository,
  LIVE_HEARTBEATS,
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
export { hourlyRange, RollupsRepository, refreshRollups, type RollupRefresh } from './rollups.repository.js';
export { CompactionRepository, type CompactionStep, daysBetween } from './compaction.repository.js';
export { AccountsRepository, type LoginCandidate } from './accounts.repository.js';
export { OnboardingRepository, type OrphanFields, type OrphanRecord } from './onboarding.repository.js';
export { ORPHAN_HANDSHAKE_CHANNEL, type OrphanHandshakeNotice } from './orphan-handshake.statement.js';
export { OrphanHandshakeListener } from './orphan-handshake.listener.js';
