import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { loadApiConfig } from '#config';
import { QUEUES } from '#queues';
import { type RunningApi, startApi } from '../../apps/api/src/bootstrap.js';
import type { TestDatabase } from './database.js';
import { REDIS_URL } from './env.js';

/** Response bodies in tests are asserted on, not trusted: typed loosely on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface TestResponse extends Response {
  json(): Promise<Json>;
}

export interface TestApi extends RunningApi {
  url: string;
  /** BullMQ prefix of this API, unique per test file. */
  queuePrefix: string;
  /** fetch against the API; `token` becomes a Bearer header, a JSON `body` is sent as such. */
  request(
    path: string,
    options?: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  stop(): Promise<void>;
}

/** The REST API in the test process on a free port, against the test's database. */
export async function startTestApi(
  db: TestDatabase,
  overrides: Record<string, string> = {},
): Promise<TestApi> {
  const queuePrefix = `t${randomBytes(4).toString('hex')}`;
  const running = await startApi(
    loadApiConfig({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      RATE_LIMIT_PER_MINUTE: '100000',
      ...overrides,
    }),
  );
  const url = `http://127.0.0.1:${running.port}`;
  return {
    ...running,
    url,
    queuePrefix,
    request(path, { method = 'GET', token, body, headers = {} } = {}) {
      return fetch(`${url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    async stop() {
      await running.app.close();
      // The jobs this API enqueued (nobody consumes them in these tests).
      if (overrides.REDIS_URL === undefined) {
        const queue = new Queue(QUEUES.deviceLifecycle, {
          connection: { url: REDIS_URL },
          prefix: queuePrefix,
        });
        await queue.obliterate({ force: true });
        await queue.close();
      }
    },
  };
}
