import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'prometheus');

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: DIR });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

it('promtool accepts the alert rules', async () => {
  const { code, output } = await promtool('check', 'rules', 'alerts.yml');
  expect(output).toContain('SUCCESS: 8 rules found');
  expect(code).toBe(0);
});

it('promtool accepts the docker-compose Prometheus config and the rule files it loads', async () => {
  const { code, output } = await promtool('check', 'config', 'prometheus.yml');
  expect(output).toContain('is valid prometheus config file syntax');
  expect(code).toBe(0);
});

it('promtool unit tests of the alert rules pass, and every alert has a test', async () => {
  const { code, output } = await promtool('test', 'rules', 'alerts.test.yml');
  expect(output).toContain('SUCCESS');
  expect(code).toBe(0);
  const alerts = [...readFileSync(join(DIR, 'alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map(
    (m) => m[1],
  );
  const tested = new Set(
    [...readFileSync(join(DIR, 'alerts.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
  );
  expect(alerts).toHaveLength(8);
  expect(alerts.filter((alert) => !tested.has(alert))).toEqual([]);
});
