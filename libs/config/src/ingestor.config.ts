import { z } from 'zod';
import {
  type Env,
  type LoadOptions,
  databaseSchema,
  httpSchema,
  ingestSchema,
  lifecycleSchema,
  liveSchema,
  logSchema,
  mqttSchema,
  storageSchema,
  nodeEnv,
  parseEnv,
  redisSchema,
  requireDatabaseInProduction,
  resolveDatabase,
} from './env.js';

const ingestorSchema = (options: LoadOptions) =>
  z
    .object({ NODE_ENV: nodeEnv })
    .extend(databaseSchema.shape)
    .extend(redisSchema.shape)
    .extend(mqttSchema.shape)
    .extend(ingestSchema.shape)
    .extend(lifecycleSchema.shape)
    .extend(storageSchema.shape)
    .extend(logSchema.shape)
    .extend(liveSchema.shape)
    // INGESTOR_PORT, not PORT: a shell that exports PORT for the API can start the ingestor too.
    .extend({
      INGESTOR_PORT: httpSchema.shape.PORT.default(3001),
      /**
       * Interface of the health and metrics server. Loopback unless configured: /ready and /metrics
       * describe the internals and are for the local orchestrator and scraper, not the internet.
       * (HOST is the REST API's.)
       */
      INGESTOR_HOST: z.string().min(1).default('127.0.0.1'),
    })
    .superRefine((env, ctx) => {
      // Without a shared subscription every connection would receive a copy of every message.
      if (
        env.MQTT_SHARED_SUBSCRIPTION === null &&
        env.MQTT_CONNECTIONS !== undefined &&
        env.MQTT_CONNECTIONS > 1
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['MQTT_CONNECTIONS'],
          message: 'must be 1 when MQTT_SHARED_SUBSCRIPTION is none',
        });
      }
      requireDatabaseInProduction(env, ctx, options);
      if (env.NODE_ENV !== 'production') return;
      for (const key of ['MQTT_HOST', 'MQTT_CLIENT_ID'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required in production' });
      }
    })
    .transform(({ INGESTOR_HOST, ...env }) => ({
      ...resolveDatabase(env),
      HOST: INGESTOR_HOST,
      // Development and test talk to a local broker; production must say where its broker is.
      MQTT_HOST: env.MQTT_HOST ?? '127.0.0.1',
      MQTT_CLIENT_ID: env.MQTT_CLIENT_ID ?? 'sck-ingest',
      MQTT_CONNECTIONS: env.MQTT_CONNECTIONS ?? (env.MQTT_SHARED_SUBSCRIPTION === null ? 1 : 16),
    }));

export type IngestorConfig = z.output<ReturnType<typeof ingestorSchema>>;

export function loadIngestorConfig(env: Env = process.env, options: LoadOptions = {}): IngestorConfig {
  return parseEnv(ingestorSchema(options), env);
}
