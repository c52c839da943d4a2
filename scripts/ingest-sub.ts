import { ConfigError, loadIngestorConfig } from '#config';
import { startIngestor } from '../apps/ingestor/src/bootstrap.js';
import { fail, flagsToEnv, usage } from './cli.js';

const { env, values } = flagsToEnv(process.argv.slice(2), {
  host: 'MQTT_HOST',
  port: 'MQTT_PORT',
  username: 'MQTT_USERNAME',
  password: 'MQTT_PASSWORD',
  'client-id': 'MQTT_CLIENT_ID',
  shared: 'MQTT_SHARED_SUBSCRIPTION',
  prefixes: 'MQTT_TOPIC_PREFIXES',
  connections: 'MQTT_CONNECTIONS',
  'receive-maximum': 'MQTT_RECEIVE_MAXIMUM',
  'protocol-version': 'MQTT_PROTOCOL_VERSION',
  'database-url': 'DATABASE_URL',
  'http-port': 'INGESTOR_PORT',
  'log-level': 'LOG_LEVEL',
});
if (values.help) {
  usage(`
npm run ingest:sub -- [--host 127.0.0.1] [--port 1883] [--client-id sck-ingest] [--shared '$share/sck-ingest']
                      [--prefixes 'bridge/,'] [--connections 16] [--receive-maximum 256]
                      [--protocol-version 5] [--database-url …] [--http-port 3001] [--log-level debug]
Starts the ingestor in the foreground; every flag can also be given as its environment variable
(MQTT_HOST, MQTT_PORT, …). Logs at debug level: what it subscribed to and a line per batch.
The embedded broker of \`npm start\` speaks MQTT 3.1.1 only and has no shared subscriptions:
--protocol-version 4 --shared none --connections 1.`);
}
env.LOG_LEVEL ??= 'debug';
try {
  await startIngestor(loadIngestorConfig(env));
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
