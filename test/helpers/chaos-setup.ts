import { execFileSync } from 'node:child_process';
import setupDatabase from './global-setup.js';

/**
 * The chaos suite measures memory, so its ingestors run the compiled build, as production does
 * (`npm start`), not the on-the-fly TypeScript loader: build once, then prepare the database.
 */
export default async function setup(): Promise<() => Promise<void>> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  return setupDatabase();
}
