export { EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
export { EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
export { type BrokerRefusal } from './broker-security.js';
