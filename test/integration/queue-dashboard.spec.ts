import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../tools/harness/api.js';
import { renderedDom } from '../helpers/chromium.js';
import { useContext } from '../helpers/context.js';
import { REDIS_URL } from '../../tools/harness/env.js';
import { waitFor } from '../../tools/harness/poll.js';
import { createQueue, createWorker, JOBS, QUEUES, type QueueBackend } from '#queues';

// Every queue the apps declare, so a new queue shows up here without editing the test.
const QUEUE_NAMES: string[] = Object.values(QUEUES);

const ctx = useContext();

describe.each([
  ['Redis', {}],
  // An empty REDIS_URL puts the queues in PostgreSQL (BullMQ's PostgreSQL backend).
  ['PostgreSQL', { REDIS_URL: '' }],
])('the queue dashboard on the %s backend', (backend, overrides: Record<string, string>) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(ctx.db, overrides);
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('shows an admin every queue in headless Chromium', async () => {
    const admin = await ctx.newUser(`admin-${backend}`, 'admin');
    const dom = await renderedDom(`${api.url}/admin/queues?access_token=${admin.token}`);
    for (const name of QUEUE_NAMES) expect(dom).toContain(name);
    // The page was rendered by the dashboard's scripts, not an error body.
    expect(dom).not.toContain('"id":"unauthorized"');
    // The dashboard's JSON API, as its page calls it, lists the same queues for the admin.
    const listed = await api.request('/admin/queues/api/queues', { token: admin.token });
    expect(listed.status).toBe(200);
    const { queues } = (await listed.json()) as { queues: { name: string }[] };
    expect(queues.map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
  });

  it('shows a failed store-forward job with its error, and retries it for the admin', async () => {
    const admin = await ctx.newUser(`retrier-${backend}`, 'admin');
    const queueBackend: QueueBackend =
      backend === 'Redis'
        ? { kind: 'redis', url: REDIS_URL, prefix: api.queuePrefix }
        : { kind: 'postgres', url: ctx.db.url };
    const queue = createQueue<unknown>(QUEUES.storeForward, queueBackend);
    const worker = createWorker<unknown>(
      QUEUES.storeForward,
      () => Promise.reject(new Error('database still unreachable')),
      queueBackend,
    );
    try {
      const job = await queue.add(JOBS.writeSpilledBatch, { entries: [] }, { attempts: 1 });
      await waitFor(
        () => queue.getJobState(job.id!),
        (state) => state === 'failed',
        {
          what: 'the job to fail',
          timeoutMs: 30_000,
        },
      );
      await worker.close();

      const dom = await renderedDom(
        `${api.url}/admin/queues/queue/${QUEUES.storeForward}?status=failed&access_token=${admin.token}`,
      );
      expect(dom).toContain(JOBS.writeSpilledBatch);
      expect(dom).toContain('database still unreachable');

      const retried = await api.request(`/admin/queues/api/queues/${QUEUES.storeForward}/${job.id}/retry`, {
        method: 'PUT',
        token: admin.token,
      });
      expect(retried.status).toBeLessThan(300);
      expect(await queue.getJobState(job.id!)).toBe('waiting');
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('refuses a guest (401) and a citizen (403), in the browser and over HTTP', async () => {
    const guestDom = await renderedDom(`${api.url}/admin/queues`);
    expect(guestDom).toContain('"id":"unauthorized"');
    for (const name of QUEUE_NAMES) expect(guestDom).not.toContain(name);

    const citizen = await ctx.newUser(`citizen-${backend}`, 'citizen');
    const citizenDom = await renderedDom(`${api.url}/admin/queues?access_token=${citizen.token}`);
    expect(citizenDom).toContain('"id":"forbidden"');
    for (const name of QUEUE_NAMES) expect(citizenDom).not.toContain(name);

    // The dashboard's JSON API is behind the same check.
    expect((await api.request('/admin/queues/api/queues')).status).toBe(401);
    expect((await api.request('/admin/queues/api/queues', { token: citizen.token })).status).toBe(403);
  });
});
