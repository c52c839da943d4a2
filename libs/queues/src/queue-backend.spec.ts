import { describe, expect, it } from 'vitest';
import { queueBackend } from './queue-backend.js';

describe('queue backend choice', () => {
  const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5433/sck_ingest', QUEUE_PREFIX: 'sck' };

  it('keeps the queues in the app database when REDIS_URL is unset', () => {
    expect(queueBackend(base)).toEqual({ kind: 'postgres', url: base.DATABASE_URL });
  });

  it('uses Redis with the key prefix when REDIS_URL is set', () => {
    const backend = queueBackend({ ...base, REDIS_URL: 'redis://:s3cret@cache:6379' });
    expect(backend).toEqual({ kind: 'redis', url: 'redis://:s3cret@cache:6379', prefix: 'sck' });
  });
});
