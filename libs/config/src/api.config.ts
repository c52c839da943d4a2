import { z } from 'zod';
import {
  type Env,
  databaseSchema,
  httpSchema,
  ingestSchema,
  logSchema,
  nodeEnv,
  parseEnv,
  redisSchema,
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

const schema = z
  .object({ NODE_ENV: nodeEnv })
  .extend(databaseSchema.shape)
  .extend(redisSchema.shape)
  .extend(logSchema.shape)
  .extend({ PORT: httpSchema.shape.PORT.default(3000), HOST: httpSchema.shape.HOST })
  // Readings posted to the API (JSON or an SD-card CSV) pass the same rules as MQTT ones.
  .extend({
    READINGS_FLOOR: ingestSchema.shape.READINGS_FLOOR,
    READINGS_MAX_FUTURE_HOURS: ingestSchema.shape.READINGS_MAX_FUTURE_HOURS,
  })
  .extend({
    /** Requests per minute one client (IP) may make to /v0; the Smart Citizen API allows 150. */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(150),
    /**
     * Browser origins allowed to call the API with credentials, a comma list
     * (`https://smartcitizen.me,https://staging.smartcitizen.me`); each allowed origin is echoed with
     * `Access-Control-Allow-Credentials: true`. `*` (the default, for development) echoes any origin.
     */
    CORS_ORIGINS: corsOrigins,
  })
  .transform(resolveDatabase);

export type ApiConfig = z.output<typeof schema>;

export function loadApiConfig(env: Env = process.env): ApiConfig {
  return parseEnv(schema, env);
}
