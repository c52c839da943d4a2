import { describe, expect, it } from 'vitest';
import { loadSystemConfig } from '#config';
import { startupBanner } from './banner.js';

describe('start-up banner', () => {
  it('says what is embedded, where its data lives and which variable replaces it', () => {
    const banner = startupBanner(loadSystemConfig({ EMBEDDED_DATA_DIR: '/srv/sck' }), {
      api: 3000,
      ingestor: 3001,
      broker: 1883,
    });
    expect(banner).toContain('single node: nothing external');
    expect(banner).toMatch(/PostgreSQL +embedded, data in \/srv\/sck\/postgres, .*<- set DATABASE_URL/);
    expect(banner).toMatch(
      /MQTT broker +embedded \(MQTT 3\.1\.1\), devices connect to 127\.0\.0\.1:1883 \(this machine only: EMBEDDED_MQTT_HOST=0\.0\.0\.0 opens it\).*<- set MQTT_HOST/,
    );
    expect(banner).toMatch(/Job queues +BullMQ on PostgreSQL.*<- set REDIS_URL/);
  });

  it('names the external services, without passwords', () => {
    const banner = startupBanner(
      loadSystemConfig({
        DATABASE_URL: 'postgresql://app:pw@db:5432/sck',
        MQTT_HOST: 'emqx',
        REDIS_URL: 'redis://cache:6379',
      }),
      { api: 3000, ingestor: 3001 },
    );
    expect(banner).not.toContain('single node');
    expect(banner).not.toContain(':pw@');
    expect(banner).toMatch(
      /PostgreSQL +external, postgresql:\/\/app:\*\*\*@db:5432\/sck +<- unset DATABASE_URL/,
    );
    expect(banner).toMatch(/MQTT broker +external, mqtt:\/\/emqx:1883/);
    expect(banner).toMatch(/Job queues +BullMQ on Redis, redis:\/\/cache:6379 \(prefix sck\)/);
  });
});
