export { ConfigError, parseEnv, type Env } from './env.js';
export * from './embedded-credentials.js';
export { loadIngestorConfig, type IngestorConfig } from './ingestor.config.js';
export { loadApiConfig, type ApiConfig } from './api.config.js';
export { loadSystemConfig, type EmbeddedServices, type SystemConfig } from './system.config.js';
