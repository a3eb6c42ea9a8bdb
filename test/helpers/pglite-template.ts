import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
let template: Promise<Blob> | undefined;

/**
 * A dump of a freshly initialised PGlite (nothing migrated), for in-memory test databases to
 * start from (DatabaseOptions.pgliteTemplate): initdb was most of their start, ~10 s of CPU on
 * a loaded two-core machine against ~1 s from the dump. Made once per PGlite version under
 * node_modules/.cache, then read by every test process; each database still runs the
 * migrations itself.
 */
export function pgliteTemplate(): Promise<Blob> {
  template ??= loadOrMake();
  return template;
}

async function loadOrMake(): Promise<Blob> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
  const dir = join(ROOT, 'node_modules', '.cache', 'esia-broker');
  const file = join(dir, `pglite-${version}-initdb.tar`);
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    const { PGlite } = await import('@electric-sql/pglite');
    const fresh = new PGlite();
    await fresh.waitReady;
    const dump = await fresh.dumpDataDir('none');
    await fresh.close();
    // Written aside and renamed: test processes running side by side never read half a file.
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
    return dump;
  }
}
