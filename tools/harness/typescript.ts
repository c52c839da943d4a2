import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The repository's root: where scripts run from. */
export const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Node's arguments for running a TypeScript file of this repository from source: swc compiles it
 * on load, and the "source" condition points the `#db`, `#domain`, … aliases at the libraries'
 * sources rather than at dist/.
 */
export const TS_NODE = ['--conditions=source', '--import', '@swc-node/register/esm-register'];

const run = promisify(execFile);

/** Runs `scripts/<name>.ts` with `args` and `env` added to this process's, and returns its stdout. */
export async function runScript(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(process.execPath, [...TS_NODE, `scripts/${name}.ts`, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  return stdout;
}
