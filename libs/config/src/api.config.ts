import { z } from 'zod';
import { mailSchema } from './mail.config.js';
import {
  bool,
  type Env,
  type LoadOptions,
  databaseSchema,
  httpSchema,
  liveSchema,
  ingestSchema,
  logSchema,
  streamSchema,
  nodeEnv,
  parseEnv,
  redisSchema,
  requireDatabaseInProduction,
  resolveDatabase,
} from './env.js';

const corsOrigins = z
  .string()
  .default('*')
  .transform((text) =>
    text
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  )
  .pipe(
    z.union([
      z.tuple([z.literal('*')]).transform((): '*' => '*'),
      z
        .array(z.string().regex(/^https?:\/\/[^/\s*]+$/, 'each origin is scheme://host[:port], no path'))
        .min(1, 'name at least one origin, or * for any'),
    ]),
  );

const apiSchema = (options: LoadOptions) =>
  z
    .object({ NODE_ENV: nodeEnv })
    .extend(databaseSchema.shape)
    .extend(redisSchema.shape)
    .extend(logSchema.shape)
    .extend(liveSchema.shape)
    .extend(streamSchema.shape)
    .extend({ PORT: httpSchema.shape.PORT.default(3000), HOST: httpSchema.shape.HOST })
    // Readings posted to the API (JSON or an SD-card CSV) pass the same rules as MQTT ones.
    .extend({
      READINGS_FLOOR: ingestSchema.shape.READINGS_FLOOR,
      READINGS_MAX_FUTURE_HOURS: ingestSchema.shape.READINGS_MAX_FUTURE_HOURS,
    })
    .extend({
      /** Requests per minute one client (IP) may make to /v0; the Smart Citizen API allows 150. */
      RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(150),
      /** Longest a statement of the API may run before PostgreSQL cancels it (a 503 to the client). */
      API_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
      /** Most buckets one readings request may ask for; more is a 400 naming a rollup that fits. */
      READINGS_MAX_BUCKETS: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
      /**
       * Readings rollups running at once; default a quarter of the pool, so cheap requests always find a
       * connection and CPU. Beyond it requests wait, and past 4× of them they get a 429.
       */
      READINGS_MAX_CONCURRENT: z.coerce.number().int().min(1).max(200).optional(),
      /**
       * Base of the absolute links the API writes (pagination `Link`), e.g. https://api.example.org.
       * Unset: the links are relative. Never taken from the request's Host header.
       */
      PUBLIC_URL: z.preprocess(
        (v) => (v === '' ? undefined : v),
        z
          .url({ protocol: /^https?$/ })
          .transform((u) => u.replace(/\/+$/, ''))
          .optional(),
      ),
      /**
       * Browser origins allowed to call the API with credentials, a comma list
       * (`https://smartcitizen.me,https://staging.smartcitizen.me`); each allowed origin is echoed with
       * `Access-Control-Allow-Credentials: true`. `*` (the default, for development) echoes any origin.
       */
      CORS_ORIGINS: corsOrigins,
    })
    .extend({
      /**
       * Shared secret EMQX sends (X-Broker-Secret) to POST /v0/broker/auth and /v0/broker/acl; unset,
       * those endpoints do not exist. They admit the ingestor by MQTT_USERNAME / MQTT_PASSWORD.
       */
      BROKER_AUTH_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16).optional()),
      MQTT_USERNAME: z.string().min(1).default('sck-ingest'),
      MQTT_PASSWORD: z.string().optional(),
      /** Client ids starting with this are the ingestors'; anonymous clients may not use them. */
      BROKER_INGESTOR_CLIENT_ID_PREFIX: z.string().min(1).default('sck-ingest'),
    })
    .extend(mailSchema.shape)
    .extend({
      /**
       * socket.io clients that name no onboarding session get every `token-received` (the Smart
       * Citizen setup app listens that way and picks its kit's token); false: only clients that name
       * their session (docs/onboarding.md).
       */
      ONBOARDING_SOCKET_BROADCAST: bool.default(true),
    })
    .superRefine((env, ctx) => requireDatabaseInProduction(env, ctx, options))
    .transform(resolveDatabase)
    .transform((env) => ({
      ...env,
      READINGS_MAX_CONCURRENT:
        env.READINGS_MAX_CONCURRENT ?? Math.max(1, Math.floor(env.DATABASE_POOL_SIZE / 4)),
    }));

export type ApiConfig = z.output<ReturnType<typeof apiSchema>>;

export function loadApiConfig(env: Env = process.env, options: LoadOptions = {}): ApiConfig {
  return parseEnv(apiSchema(options), env);
}
