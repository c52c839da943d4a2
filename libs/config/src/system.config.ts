import { type ApiConfig, loadApiConfig } from './api.config.js';
import { ConfigError, type Env } from './env.js';
import { type IngestorConfig, loadIngestorConfig } from './ingestor.config.js';

export interface SystemConfig {
  api: ApiConfig;
  ingestor: IngestorConfig;
}

/**
 * Both apps in one process (`npm start`): the REST API listens on PORT (default 3000), the
 * ingestor's health and metrics server on INGESTOR_PORT (default 3001). Every bad key of either
 * app is reported at once.
 */
export function loadSystemConfig(env: Env = process.env): SystemConfig {
  const issues: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues.filter((i) => !issues.includes(i)));
      return undefined;
    }
  };
  const api = attempt(() => loadApiConfig(env));
  const ingestor = attempt(() => loadIngestorConfig({ ...env, PORT: env.INGESTOR_PORT ?? '3001' }));
  if (!api || !ingestor) throw new ConfigError(issues);
  return { api, ingestor };
}
