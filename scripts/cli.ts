import { parseArgs } from 'node:util';

/**
 * Flags of the rake-like scripts, turned into the environment variables the config reads, so
 * `--host localhost` and `MQTT_HOST=localhost` mean the same. Flags win over the environment.
 */
export function flagsToEnv(
  args: string[],
  mapping: Record<string, string>,
  extra: Record<string, { type: 'string' | 'boolean'; short?: string }> = {},
): { env: NodeJS.ProcessEnv; values: Record<string, string | boolean | undefined> } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    ...Object.fromEntries(Object.keys(mapping).map((flag) => [flag, { type: 'string' as const }])),
    ...extra,
    help: { type: 'boolean', short: 'h' },
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    fail((error as Error).message);
  }
  const env = { ...process.env };
  for (const [flag, variable] of Object.entries(mapping)) {
    const value = values[flag];
    if (typeof value === 'string') env[variable] = value;
  }
  return { env, values };
}

export function usage(text: string): never {
  console.log(text.trim());
  process.exit(0);
}

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
