import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { SHIPPED_INGESTOR_NODE_ARGS } from './ingestor.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const ENTRY = 'dist/apps/ingestor/src/main.js';

it('npm run start:ingestor caps the heap and the young generation', () => {
  expect(SHIPPED_INGESTOR_NODE_ARGS).toEqual(['--max-old-space-size=256', '--max-semi-space-size=8']);
});

it('docker-compose.yml starts every ingestor with the flags of npm run start:ingestor', () => {
  const starts = [
    ...read('docker-compose.yml').matchAll(/node ((?:--\S+ )*)dist\/apps\/ingestor\/src\/main\.js/g),
  ];
  expect(starts.length).toBeGreaterThan(0);
  for (const [, flags] of starts) expect(flags.trim().split(' ')).toEqual(SHIPPED_INGESTOR_NODE_ARGS);
});

it('the Kubernetes manifest starts the ingestor with the flags of npm run start:ingestor', () => {
  const command = /command:\s*\[([^\]]*'dist\/apps\/ingestor\/src\/main\.js')\]/.exec(
    read('deploy/k8s/ingestor.yaml'),
  );
  expect(command).not.toBeNull();
  const words = command![1].split(',').map((w) => w.trim().replace(/^'|'$/g, ''));
  expect(words).toEqual(['node', ...SHIPPED_INGESTOR_NODE_ARGS, ENTRY]);
});
