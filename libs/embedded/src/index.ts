export { EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
export { EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
