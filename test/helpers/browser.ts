import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A page on its own origin (a plain HTTP server on 127.0.0.1) whose script reports back what it
 * saw: the script calls `report(value)`, which POSTs `value` as JSON to the page's own server.
 */
export interface TestPage {
  origin: string;
  /** The script the page runs; settable once the origin is known. */
  script: string;
  /** What the page's script reported, in order. */
  reports: unknown[];
  close(): Promise<void>;
}

export async function servePage(): Promise<TestPage> {
  const page: TestPage = { origin: '', script: '', reports: [], close: () => Promise.resolve() };
  const html = (script: string) => `<!doctype html><html><body><script>
const report = (value) => fetch('/report', { method: 'POST', body: JSON.stringify(value) });
(async () => { ${script} })().catch((error) => report({ error: String(error) }));
</script></body></html>`;
  const server: Server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/report') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        page.reports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(204).end();
      });
      return;
    }
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(html(page.script));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  page.origin = `http://127.0.0.1:${port}`;
  page.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return page;
}

export interface HeadlessBrowser {
  close(): Promise<void>;
}

/** Headless Chromium (Debian package `chromium`) showing `url`, with a throwaway profile. */
export async function openInChromium(url: string): Promise<HeadlessBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'sck-chromium-'));
  const child: ChildProcess = spawn(
    process.env.CHROMIUM_BIN ?? 'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      `--user-data-dir=${profile}`,
      url,
    ],
    // Its own process group, so that closing ends the renderer and helper processes too.
    { stdio: 'ignore', detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    async close() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
      await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}
