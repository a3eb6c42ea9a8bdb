import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRegionTable, type RegionTable } from '../policy/region-schema.js';

export const REGIONS_FILE = 'regions.json';

export class RegionsConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid region table ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RegionsConfigError';
  }
}

/** Reads and validates CONFIG_DIR/regions.json; throws RegionsConfigError naming every problem. */
export function loadRegions(configDir: string): RegionTable {
  const file = join(configDir, REGIONS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RegionsConfigError(file, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RegionsConfigError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  const parsed = parseRegionTable(value);
  if (!parsed.ok) throw new RegionsConfigError(file, parsed.problems);
  return parsed.table;
}

export type ReloadResult = { ok: true; regions: number } | { ok: false; error: RegionsConfigError };

/**
 * The live region table. Requests read current() once and keep that immutable snapshot for
 * their whole decision; reload() swaps in a new snapshot only when the file is valid, so a
 * bad edit followed by SIGHUP keeps the old rules serving and drops no request.
 */
export interface RegionsHolder {
  current(): RegionTable;
  reload(): ReloadResult;
}

export function createRegionsHolder(configDir: string, load: (dir: string) => RegionTable = loadRegions): RegionsHolder {
  let snapshot = load(configDir);
  return {
    current: () => snapshot,
    reload() {
      try {
        snapshot = load(configDir);
        return { ok: true, regions: snapshot.regions.size };
      } catch (error) {
        if (error instanceof RegionsConfigError) return { ok: false, error };
        throw error;
      }
    },
  };
}

/** A fixed table (tests, tools): reload is a no-op. */
export function staticRegions(table: RegionTable): RegionsHolder {
  return { current: () => table, reload: () => ({ ok: true, regions: table.regions.size }) };
}
