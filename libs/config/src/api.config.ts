import { z } from 'zod';
import {
  type Env,
  databaseSchema,
  httpSchema,
  liveSchema,
  logSchema,
  streamSchema,
  nodeEnv,
  parseEnv,
  redisSchema,
  resolveDatabase,
} from './env.js';

const schema = z
  .object({ NODE_ENV: nodeEnv })
  .extend(databaseSchema.shape)
  .extend(redisSchema.shape)
  .extend(logSchema.shape)
  .extend(liveSchema.shape)
  .extend(streamSchema.shape)
  .extend({ PORT: httpSchema.shape.PORT.default(3000), HOST: httpSchema.shape.HOST })
  .extend({
    /** Requests per minute one client (IP) may make to /v0; the Smart Citizen API allows 150. */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(150),
  })
  .transform(resolveDatabase);

export type ApiConfig = z.output<typeof schema>;

export function loadApiConfig(env: Env = process.env): ApiConfig {
  return parseEnv(schema, env);
}
