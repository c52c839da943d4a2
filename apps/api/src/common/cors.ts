import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface.js';
import type { ApiConfig } from '#config';

/**
 * Browser access. The Smart Citizen web app sends every request with credentials, and a browser
 * drops such an answer unless it names the page's origin (never `*`) and allows credentials; so
 * an allowed origin is echoed with `Access-Control-Allow-Credentials: true`, and any other one
 * gets no CORS headers at all.
 */
export function corsOptions(origins: ApiConfig['CORS_ORIGINS']): CorsOptions {
  const allowed = origins === '*' ? null : new Set(origins);
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && (allowed?.has(origin) ?? true)),
    credentials: true,
    // Browser dashboards read the pagination headers.
    exposedHeaders: ['Link', 'Total', 'Per-Page', 'Retry-After'],
    maxAge: 600,
  };
}
