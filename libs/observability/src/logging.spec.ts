import { describe, expect, it } from 'vitest';
import { logSafeUrl, loggerParams } from './logging.js';

describe('logging settings', () => {
  it('removes credentials from logged URLs', () => {
    expect(logSafeUrl('/v0/me?access_token=s3cret&page=2')).toBe('/v0/me?access_token=[redacted]&page=2');
    expect(logSafeUrl('/v0/devices?page=1&access_token=s3cret')).toBe(
      '/v0/devices?page=1&access_token=[redacted]',
    );
    expect(logSafeUrl('/v0/devices/3')).toBe('/v0/devices/3');
    expect(logSafeUrl('/v0/password_resets/AbC-_12?x=1')).toBe('/v0/password_resets/[redacted]?x=1');
    expect(logSafeUrl('/v0/password_resets')).toBe('/v0/password_resets');
    expect(logSafeUrl('/v0/onboarding/device/events?onboarding_session=6f1c')).toBe(
      '/v0/onboarding/device/events?onboarding_session=[redacted]',
    );
  });

  it('maps LOG_LEVEL to pino levels, pretty only in development', () => {
    const production = loggerParams('api', { NODE_ENV: 'production', LOG_LEVEL: 'log' });
    const development = loggerParams('api', { NODE_ENV: 'development', LOG_LEVEL: 'verbose' });
    const options = (p: typeof production) => p.pinoHttp as { level: string; transport?: { target: string } };
    expect(options(production)).toMatchObject({ level: 'info' });
    expect(options(production).transport).toBeUndefined();
    expect(options(development)).toMatchObject({ level: 'trace', transport: { target: 'pino-pretty' } });
  });
});
