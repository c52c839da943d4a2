import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, loadIngestorConfig } from './index.js';

describe('ingestor config', () => {
  it('defaults the broker to 127.0.0.1 in development and test', () => {
    const config = loadIngestorConfig({});
    expect(config.MQTT_HOST).toBe('127.0.0.1');
    expect(config.MQTT_SHARED_SUBSCRIPTION).toBe('$share/sck-ingest');
    expect(config.MQTT_TOPIC_PREFIXES).toEqual(['']);
    expect(config.MQTT_CONNECTIONS).toBe(16);
    expect(config.MQTT_RECEIVE_MAXIMUM).toBe(256);
  });

  it('takes its health port from INGESTOR_PORT, not from the PORT a shell may export for the API', () => {
    expect(loadIngestorConfig({ PORT: '3000' }).INGESTOR_PORT).toBe(3001);
    expect(loadIngestorConfig({ PORT: '3000', INGESTOR_PORT: '4001' }).INGESTOR_PORT).toBe(4001);
  });

  it('requires MQTT_HOST and MQTT_CLIENT_ID in production, naming both', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/sck' };
    expect(issuesOf(() => loadIngestorConfig(production))).toEqual([
      'MQTT_HOST: required in production',
      'MQTT_CLIENT_ID: required in production',
    ]);
    expect(
      loadIngestorConfig({ ...production, MQTT_HOST: 'emqx', MQTT_CLIENT_ID: 'ingest-a' }).MQTT_HOST,
    ).toBe('emqx');
  });

  it('names every bad key at once', () => {
    let issues: string[] = [];
    try {
      loadIngestorConfig({
        DATABASE_URL: 'mysql://x',
        MQTT_PORT: '70000',
        MQTT_SHARED_SUBSCRIPTION: '$share/',
        MQTT_TOPIC_PREFIXES: 'bridge',
      });
    } catch (error) {
      issues = (error as ConfigError).issues;
    }
    expect(issues.map((i) => i.split(':')[0])).toEqual([
      'DATABASE_URL',
      'MQTT_PORT',
      'MQTT_SHARED_SUBSCRIPTION',
      'MQTT_TOPIC_PREFIXES.0',
    ]);
  });

  it('parses the prefix list: empty entry means no prefix', () => {
    expect(loadIngestorConfig({ MQTT_TOPIC_PREFIXES: ',bridge/, eu/' }).MQTT_TOPIC_PREFIXES).toEqual([
      '',
      'bridge/',
      'eu/',
    ]);
    expect(loadIngestorConfig({ MQTT_SHARED_SUBSCRIPTION: '$queue' }).MQTT_SHARED_SUBSCRIPTION).toBe(
      '$queue',
    );
  });
});

describe('ingestor health server', () => {
  it('binds to loopback unless INGESTOR_HOST says otherwise; HOST is the REST API’s', () => {
    expect(loadIngestorConfig({}).HOST).toBe('127.0.0.1');
    expect(loadIngestorConfig({ HOST: '0.0.0.0' }).HOST).toBe('127.0.0.1');
    expect(loadIngestorConfig({ INGESTOR_HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });
});

describe('api config: CORS_ORIGINS', () => {
  const base = { DATABASE_URL: 'postgres://localhost/x' };

  it('defaults to any origin and parses a comma list without trailing slashes', () => {
    expect(loadApiConfig(base).CORS_ORIGINS).toBe('*');
    expect(
      loadApiConfig({ ...base, CORS_ORIGINS: 'https://smartcitizen.me/, http://localhost:8080' })
        .CORS_ORIGINS,
    ).toEqual(['https://smartcitizen.me', 'http://localhost:8080']);
  });

  it('refuses an origin with a path or a wildcard inside a list, naming the key', () => {
    for (const bad of ['https://a.example/app', 'https://a.example,*', 'a.example']) {
      expect(() => loadApiConfig({ ...base, CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS/);
    }
  });
});

describe('api config: mail', () => {
  const base = { DATABASE_URL: 'postgres://localhost/x' };

  it('has no SMTP server unless SMTP_HOST names one; the link template needs {token}', () => {
    const none = loadApiConfig({ ...base, SMTP_HOST: '' });
    expect(none).toMatchObject({ SMTP_PORT: 587, SMTP_SECURE: false, PASSWORD_RESET_TTL_MINUTES: 60 });
    expect(none.SMTP_HOST).toBeUndefined();
    expect(none.MAIL_OUTBOX_DIR).toBeUndefined();
    const smtp = loadApiConfig({ ...base, SMTP_HOST: 'mail.example', SMTP_PORT: '465', SMTP_SECURE: 'true' });
    expect(smtp).toMatchObject({ SMTP_HOST: 'mail.example', SMTP_PORT: 465, SMTP_SECURE: true });
    expect(
      loadApiConfig({ ...base, PASSWORD_RESET_URL: 'https://app.example/reset/{token}' }).PASSWORD_RESET_URL,
    ).toBe('https://app.example/reset/{token}');
    expect(() => loadApiConfig({ ...base, PASSWORD_RESET_URL: 'https://app.example/reset' })).toThrow(
      /PASSWORD_RESET_URL/,
    );
  });
});

describe('DATABASE_URL in production', () => {
  const ingestorEnv = { NODE_ENV: 'production', MQTT_HOST: 'emqx', MQTT_CLIENT_ID: 'ingest-a' };
  const missing =
    'DATABASE_URL: required in production (unset, the app would look for the embedded PostgreSQL of ' +
    '`npm start` on 127.0.0.1:5433)';

  it('is a start-up error for either app when unset or empty, never the embedded default', () => {
    expect(issuesOf(() => loadApiConfig({ NODE_ENV: 'production' }))).toEqual([missing]);
    expect(issuesOf(() => loadApiConfig({ NODE_ENV: 'production', DATABASE_URL: '' }))).toEqual([missing]);
    expect(issuesOf(() => loadIngestorConfig(ingestorEnv))).toEqual([missing]);
  });

  it('is taken as given when set', () => {
    const url = 'postgresql://db.example/sck';
    expect(loadApiConfig({ NODE_ENV: 'production', DATABASE_URL: url }).DATABASE_URL).toBe(url);
    expect(loadIngestorConfig({ ...ingestorEnv, DATABASE_URL: url })).toMatchObject({
      DATABASE_URL: url,
      DATABASE_EMBEDDED: false,
    });
  });

  it('may stay unset in development, test and single-node mode: the embedded PostgreSQL', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(loadApiConfig({ NODE_ENV }).DATABASE_EMBEDDED).toBe(true);
    }
    expect(loadApiConfig({ NODE_ENV: 'production' }, { singleNode: true }).DATABASE_URL).toMatch(
      /^postgresql:\/\/sck_app@127\.0\.0\.1:5433\//,
    );
    expect(loadIngestorConfig(ingestorEnv, { singleNode: true }).DATABASE_EMBEDDED).toBe(true);
  });
});

/** The issues of the ConfigError `load` throws; fails the test when it throws nothing or something else. */
function issuesOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
