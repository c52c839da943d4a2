import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { RESULTS_FILE } from '../tools/harness/chaos-results.js';
import { TS_NODE } from '../tools/harness/typescript.js';

/**
 * `npm run test:chaos`: the fault, backpressure and fuzz suite, then its table. Exits non-zero if
 * a test failed or the table shows a lost or duplicated reading. Vitest's JSON report goes to
 * .ci/chaos-results.json so CI can count the tests.
 */
rmSync(RESULTS_FILE, { force: true });
const vitest = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--project',
    'chaos',
    '--reporter=default',
    '--reporter=json',
    '--outputFile=.ci/chaos-results.json',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
const report = spawnSync(process.execPath, [...TS_NODE, 'scripts/chaos-report.ts'], {
  stdio: 'inherit',
});
process.exit(vitest.status !== 0 || report.status !== 0 ? 1 : 0);
