import type { SystemConfig } from '#config';

export interface Listening {
  api: number;
  ingestor: number;
  /** The embedded broker's port, when there is one. */
  broker?: number;
}

/**
 * The start-up banner of `npm start`: for each service, whether it runs embedded in this process,
 * where its data lives, and the one variable that replaces it with an external service.
 */
export function startupBanner(config: SystemConfig, listening: Listening): string {
  const { api, ingestor, embedded } = config;
  const rows: [string, string, string][] = [
    [
      'PostgreSQL',
      embedded.postgres
        ? `embedded, data in ${embedded.postgres.dataDir}, ${redact(api.DATABASE_URL)}`
        : `external, ${redact(api.DATABASE_URL)}`,
      embedded.postgres ? 'set DATABASE_URL to use an external server' : 'unset DATABASE_URL to embed one',
    ],
    [
      'MQTT broker',
      embedded.mqtt
        ? `embedded (MQTT 3.1.1), devices connect to ${embedded.mqtt.host}:${listening.broker ?? embedded.mqtt.port}${
            embedded.mqtt.host === '127.0.0.1'
              ? ' (this machine only: EMBEDDED_MQTT_HOST=0.0.0.0 opens it)'
              : ''
          }, sessions in memory`
        : `external, ${ingestor.MQTT_TLS ? 'mqtts' : 'mqtt'}://${ingestor.MQTT_HOST}:${ingestor.MQTT_PORT}`,
      embedded.mqtt ? 'set MQTT_HOST to use an external broker' : 'unset MQTT_HOST to embed one',
    ],
    [
      'Job queues',
      embedded.queuesInPostgres
        ? 'BullMQ on PostgreSQL, schema bullmq of the database above'
        : `BullMQ on Redis, ${redact(api.REDIS_URL ?? '')} (prefix ${api.QUEUE_PREFIX})`,
      embedded.queuesInPostgres ? 'set REDIS_URL to use Redis' : 'unset REDIS_URL to keep them in PostgreSQL',
    ],
  ];
  const width = (i: 0 | 1) => Math.max(...rows.map((r) => r[i].length));
  const embeddedCount = [embedded.postgres, embedded.mqtt, embedded.queuesInPostgres].filter(Boolean).length;
  return [
    `sck-ingest${embeddedCount === 3 ? ' (single node: nothing external)' : ''}`,
    ...rows.map(([name, what, how]) => `  ${name.padEnd(12)}${what.padEnd(width(1))}  <- ${how}`),
    `  ${'REST API'.padEnd(12)}http://${api.HOST}:${listening.api}/v0  (docs: /docs)`,
    `  ${'Ingestor'.padEnd(12)}health and metrics on http://${ingestor.HOST}:${listening.ingestor}/metrics`,
  ].join('\n');
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
