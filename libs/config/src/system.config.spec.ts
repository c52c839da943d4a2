import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, loadIngestorConfig, loadSystemConfig } from './index.js';

describe('single-node defaults', () => {
  it('embeds PostgreSQL, the broker and the queues when nothing is set', () => {
    const { api, ingestor, embedded } = loadSystemConfig({});
    expect(embedded).toEqual({
      postgres: { dataDir: resolve('data', 'postgres'), port: 5433, osUser: 'sck-postgres' },
      mqtt: { host: '127.0.0.1', port: 1883, portChosen: false },
      queuesInPostgres: true,
    });
    expect(api.DATABASE_URL).toBe('postgresql://sck_app@127.0.0.1:5433/sck_ingest');
    expect(ingestor.DATABASE_URL).toBe(api.DATABASE_URL);
    expect(api.REDIS_URL).toBeUndefined();
    // No SMTP server: mails go to the data directory (and the log).
    expect(api.MAIL_OUTBOX_DIR).toBe(resolve('data', 'mail'));
    expect(loadSystemConfig({ SMTP_HOST: 'mail.example' }).api.MAIL_OUTBOX_DIR).toBeUndefined();
    // aedes: MQTT 3.1.1, no shared subscriptions, so one connection subscribed without a share.
    expect(ingestor).toMatchObject({
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: 1883,
      MQTT_PROTOCOL_VERSION: 4,
      MQTT_SHARED_SUBSCRIPTION: null,
      MQTT_CONNECTIONS: 1,
      MQTT_USERNAME: 'sck-ingest',
      INGESTOR_PORT: 3001,
    });
  });

  it('switches each part to its external service by its one variable, keeping the others embedded', () => {
    const { api, ingestor, embedded } = loadSystemConfig({
      DATABASE_URL: 'postgresql://db.example/sck',
      EMBEDDED_MQTT_PORT: '2883',
      EMBEDDED_MQTT_HOST: '0.0.0.0',
      EMBEDDED_DATA_DIR: '/srv/sck',
    });
    expect(embedded.postgres).toBeNull();
    expect(embedded.mqtt).toEqual({ host: '0.0.0.0', port: 2883, portChosen: true });
    expect(embedded.queuesInPostgres).toBe(true);
    expect(api.DATABASE_URL).toBe('postgresql://db.example/sck');
    expect(ingestor.MQTT_PORT).toBe(2883);

    const external = loadSystemConfig({
      DATABASE_URL: 'postgresql://db.example/sck',
      MQTT_HOST: 'emqx',
      REDIS_URL: 'redis://cache:6379',
    });
    expect(external.embedded).toEqual({ postgres: null, mqtt: null, queuesInPostgres: false });
    expect(external.ingestor).toMatchObject({
      MQTT_HOST: 'emqx',
      MQTT_PROTOCOL_VERSION: 5,
      MQTT_SHARED_SUBSCRIPTION: '$share/sck-ingest',
      MQTT_CONNECTIONS: 16,
      MQTT_RECEIVE_MAXIMUM: 256,
    });
    expect(external.api.REDIS_URL).toBe('redis://cache:6379');
  });

  it('treats an empty variable as unset', () => {
    const { embedded } = loadSystemConfig({ DATABASE_URL: '', MQTT_HOST: '', REDIS_URL: '' });
    expect(embedded.postgres).not.toBeNull();
    expect(embedded.mqtt).not.toBeNull();
    expect(embedded.queuesInPostgres).toBe(true);
  });

  it('lets the apps alone reach the embedded PostgreSQL of a running npm start', () => {
    const api = loadApiConfig({ EMBEDDED_POSTGRES_PORT: '6000' });
    expect(api.DATABASE_URL).toBe('postgresql://sck_app@127.0.0.1:6000/sck_ingest');
    expect(api.DATABASE_EMBEDDED).toBe(true);
    expect(loadApiConfig({ DATABASE_URL: 'postgres://x/y' }).DATABASE_EMBEDDED).toBe(false);
  });

  it('embeds PostgreSQL in production too, since npm start starts it (the apps alone refuse)', () => {
    const { api, ingestor, embedded } = loadSystemConfig({ NODE_ENV: 'production' });
    expect(embedded.postgres).not.toBeNull();
    expect(api.DATABASE_EMBEDDED).toBe(true);
    expect(ingestor.DATABASE_URL).toBe(api.DATABASE_URL);
    expect(() => loadApiConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL: required in production/);
  });

  it('refuses several connections without a shared subscription', () => {
    expect(loadIngestorConfig({ MQTT_SHARED_SUBSCRIPTION: 'none' }).MQTT_CONNECTIONS).toBe(1);
    expect(() => loadIngestorConfig({ MQTT_SHARED_SUBSCRIPTION: 'none', MQTT_CONNECTIONS: '4' })).toThrow(
      'MQTT_CONNECTIONS: must be 1 when MQTT_SHARED_SUBSCRIPTION is none',
    );
  });

  it('names bad embedded settings with the rest', () => {
    let issues: string[] = [];
    try {
      loadSystemConfig({
        EMBEDDED_POSTGRES_PORT: '0',
        EMBEDDED_POSTGRES_OS_USER: 'Root!',
        REDIS_URL: 'http://x',
      });
    } catch (error) {
      issues = (error as ConfigError).issues;
    }
    expect(issues.map((i) => i.split(':')[0]).sort()).toEqual([
      'EMBEDDED_POSTGRES_OS_USER',
      'EMBEDDED_POSTGRES_PORT',
      'REDIS_URL',
    ]);
  });
});
