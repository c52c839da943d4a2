import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Loads `url` in headless Chromium (the Debian `chromium` package) with a fresh profile, lets its
 * scripts run and its requests finish (virtual time), and returns the DOM as rendered.
 */
export async function renderedDom(url: string, budgetMs = 20_000): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'sck-chromium-'));
  try {
    const { stdout } = await run(
      'chromium',
      [
        '--headless',
        // Tests run as root in containers, where Chromium's sandbox cannot start.
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        `--user-data-dir=${profile}`,
        `--virtual-time-budget=${budgetMs}`,
        '--dump-dom',
        url,
      ],
      { timeout: 120_000, maxBuffer: 32 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
