import swc from 'unplugin-swc';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// swc instead of esbuild so decorator metadata (Nest's dependency injection) is emitted.
const plugins = [swc.vite({ module: { type: 'es6' } })];
// `#db`, `#domain`, … (package.json "imports") resolve to the libraries' sources under "source";
// built code (dist/) takes their "default", the compiled files.
const resolve = { conditions: ['source', ...defaultClientConditions] };
const ssr = { resolve: { conditions: ['source', ...defaultServerConditions] } };

export default defineConfig({
  plugins,
  resolve,
  ssr,
  test: {
    env: { TZ: 'UTC' },
    projects: [
      {
        plugins,
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: [
            'apps/**/*.spec.ts',
            'libs/**/*.spec.ts',
            'scripts/**/*.spec.ts',
            'bench/**/*.spec.ts',
            'tools/**/*.spec.ts',
          ],
          env: { TZ: 'UTC' },
        },
      },
      {
        plugins,
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.spec.ts'],
          env: { TZ: 'UTC', NODE_ENV: 'test' },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Two cores: files run one at a time so child processes and brokers do not starve.
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        plugins,
        resolve,
        ssr,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.spec.ts'],
          env: { TZ: 'UTC', NODE_ENV: 'test', INGESTOR_ENTRY: 'dist' },
          globalSetup: ['test/helpers/chaos-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
