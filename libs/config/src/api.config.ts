import { z } from 'zod';
import { type Env, databaseSchema, httpSchema, logSchema, nodeEnv, parseEnv, redisSchema } from './env.js';

const schema = z
  .object({ NODE_ENV: nodeEnv })
  .extend(databaseSchema.shape)
  .extend(redisSchema.shape)
  .extend(logSchema.shape)
  .extend({ PORT: httpSchema.shape.PORT.default(3000), HOST: httpSchema.shape.HOST });

export type ApiConfig = z.output<typeof schema>;

export function loadApiConfig(env: Env = process.env): ApiConfig {
  return parseEnv(schema, env);
}
