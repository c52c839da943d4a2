import { Logger } from '@nestjs/common';
import { startApi } from '../apps/api/src/bootstrap.js';
import { startIngestor } from '../apps/ingestor/src/bootstrap.js';
import { ConfigError, loadSystemConfig, type SystemConfig } from '../libs/config/src/index.js';
import { deployDatabase } from '../libs/db/src/index.js';
import { closeOnSignals } from '../libs/runtime/src/index.js';
import { fail } from './cli.js';
import { hostPort, unreachable } from './service-check.js';

/**
 * `npm start`: checks that Postgres, Redis and the MQTT broker answer, applies pending migrations
 * and the sensor catalogue, then runs the ingestor and the REST API in this process.
 */
const logger = new Logger('Start');
let config: SystemConfig;
try {
  config = loadSystemConfig();
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const { ingestor: ingestorConfig, api: apiConfig } = config;

const missing = await unreachable([
  {
    name: 'PostgreSQL',
    ...hostPort(ingestorConfig.DATABASE_URL, 5432),
    hint: `start it (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; or docker compose up -d postgres), or set DATABASE_URL`,
  },
  {
    name: 'Redis',
    ...hostPort(ingestorConfig.REDIS_URL, 6379),
    hint: `start it (redis-server --daemonize yes --appendonly yes; or docker compose up -d redis), or set REDIS_URL`,
  },
  {
    name: 'MQTT broker',
    host: ingestorConfig.MQTT_HOST,
    port: ingestorConfig.MQTT_PORT,
    hint: `start one (mosquitto -d -c /etc/mosquitto/mosquitto.conf; or docker compose up -d emqx), or set MQTT_HOST/MQTT_PORT`,
  },
]);
if (missing.length > 0) {
  fail(missing.map((s) => `${s.name} is not reachable at ${s.host}:${s.port}: ${s.hint}`).join('\n'));
}

try {
  await deployDatabase(ingestorConfig.DATABASE_URL, (line) => logger.log(line));
} catch (error) {
  fail(`could not prepare the database: ${(error as Error).message}`);
}
const ingestor = await startIngestor(ingestorConfig);
const api = await startApi(apiConfig);
logger.log(`ingestor health on :${ingestor.port}, REST API on :${api.port}; Ctrl-C stops both`);
closeOnSignals(
  [
    { name: 'ingestor', close: () => ingestor.close() },
    { name: 'api', close: () => api.app.close() },
  ],
  ingestorConfig.SHUTDOWN_TIMEOUT_MS,
  (line) => logger.log(line),
);
