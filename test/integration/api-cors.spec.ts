import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type Json, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { type TestPage, openInChromium, servePage } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { waitFor } from '../../tools/harness/poll.js';

let db: TestDatabase;
let layer: ReturnType<typeof testDataLayer>;
let ana: Awaited<ReturnType<typeof layer.newUser>>;
let allowedPage: TestPage;
let otherPage: TestPage;
let api: TestApi;
let permissiveApi: TestApi;
let deviceId: number;

/** What the web app does: every request with credentials, a Bearer token, and the paging headers read. */
function webAppScript(apiUrl: string, token: string, id: number): string {
  return `
    const response = await fetch('${apiUrl}/v0/devices/${id}', {
      credentials: 'include', headers: { Authorization: 'Bearer ${token}' },
    });
    const device = await response.json();
    const list = await fetch('${apiUrl}/v0/devices?per_page=1', {
      credentials: 'include', headers: { Authorization: 'Bearer ${token}' },
    });
    await report({ status: response.status, token: device.device_token, total: list.headers.get('Total') });`;
}

beforeAll(async () => {
  db = await createTestDatabase();
  layer = testDataLayer(db);
  ana = await layer.newUser('ana');
  // The pages' origins are known only once they listen; their scripts are set per test below.
  allowedPage = await servePage();
  otherPage = await servePage();
  api = await startTestApi(db, { CORS_ORIGINS: `${allowedPage.origin},https://smartcitizen.me` });
  permissiveApi = await startTestApi(db);
  const created = await api.request('/v0/devices', {
    method: 'POST',
    token: ana.token,
    body: { name: 'Private kit', is_private: true, device_token: 'cors01' },
  });
  deviceId = (await created.json()).id;
});

afterAll(async () => {
  await api?.stop();
  await permissiveApi?.stop();
  await allowedPage?.close();
  await otherPage?.close();
  await layer?.close();
  await db?.drop();
});

/** Both pages run the web app's calls against `apiUrl` in headless Chromium; their reports. */
async function runInChromium(apiUrl: string): Promise<{ allowed: Json; other: Json }> {
  const pages = [allowedPage, otherPage];
  for (const page of pages) {
    page.script = webAppScript(apiUrl, ana.token, deviceId);
    page.reports.length = 0;
  }
  const browsers = await Promise.all(pages.map((p) => openInChromium(`${p.origin}/`)));
  try {
    const [allowed, other] = await Promise.all(
      pages.map((p) =>
        waitFor(
          () => p.reports[0],
          (r) => r !== undefined,
          { timeoutMs: 60_000, what: `a report from the page on ${p.origin}` },
        ),
      ),
    );
    return { allowed: allowed as Json, other: other as Json };
  } finally {
    await Promise.all(browsers.map((b) => b.close()));
  }
}

describe('CORS with credentials', () => {
  it('echoes an allowed origin with Allow-Credentials, preflight included, and gives others nothing', async () => {
    const preflight = await fetch(`${api.url}/v0/devices/${deviceId}`, {
      method: 'OPTIONS',
      headers: {
        origin: allowedPage.origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(allowedPage.origin);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');

    const stranger = await fetch(`${api.url}/v0/devices`, { headers: { origin: otherPage.origin } });
    expect(stranger.status).toBe(200);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(stranger.headers.get('access-control-allow-credentials')).toBeNull();

    const listed = await fetch(`${api.url}/v0/devices`, { headers: { origin: 'https://smartcitizen.me' } });
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://smartcitizen.me');
    expect(listed.headers.get('access-control-expose-headers')).toContain('Total');
    expect(listed.headers.get('vary')).toContain('Origin');
  });

  it('lets Chromium make credentialed requests from an allowed origin and blocks another origin', async () => {
    const { allowed, other } = await runInChromium(api.url);
    expect(allowed).toEqual({ status: 200, token: 'cors01', total: '1' });
    expect(other.error).toMatch(/Failed to fetch/);
  });

  it('echoes any origin by default (development), still with credentials', async () => {
    const { allowed, other } = await runInChromium(permissiveApi.url);
    for (const report of [allowed, other]) {
      expect(report).toEqual({ status: 200, token: 'cors01', total: '1' });
    }
  });
});
