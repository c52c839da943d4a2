import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogLevel } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { LevelWithSilent } from 'pino';

/** LOG_LEVEL (Nest's names) to pino's. */
const PINO_LEVEL: Record<LogLevel, LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Query parameters that carry credentials (`?access_token=` authenticates API requests, an
 * onboarding session stands for its kit in setup).
 */
const SECRET_QUERY = /([?&](?:access_token|token|password|onboarding_session)=)[^&#]*/gi;
/** Path segments that are credentials: a password reset link's token. */
const SECRET_PATH = /^(\/v0\/password_resets\/)[^/?#]+/i;

/** A request URL as logged: credentials in the path and the query string replaced. */
export function logSafeUrl(url: string): string {
  return url.replace(SECRET_PATH, '$1[redacted]').replace(SECRET_QUERY, '$1[redacted]');
}

/** Routes whose requests are not logged one by one: probes and scrapes poll them. */
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

export interface LoggingConfig {
  NODE_ENV: 'development' | 'test' | 'production';
  LOG_LEVEL: LogLevel;
}

/**
 * nestjs-pino settings for an app: one JSON object per line outside development (pino-pretty's
 * readable lines in development), the level from LOG_LEVEL, `app` on every line. HTTP requests
 * are logged once each when they finish (method, URL without credentials, status, duration);
 * the Authorization and Cookie headers never reach the log.
 */
export function loggerParams(app: 'api' | 'ingestor', config: LoggingConfig): Params {
  return {
    pinoHttp: {
      level: PINO_LEVEL[config.LOG_LEVEL],
      base: { app },
      ...(config.NODE_ENV === 'development'
        ? {
            transport: {
              target: 'pino-pretty',
              options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' },
            },
          }
        : {}),
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.has((req.url ?? '').split('?')[0]) },
      serializers: {
        req: (req: IncomingMessage & { id?: unknown }) => ({
          id: req.id,
          method: req.method,
          url: logSafeUrl(req.url ?? ''),
        }),
        res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    },
  };
}
