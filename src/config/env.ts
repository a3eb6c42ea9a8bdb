import { readFileSync } from 'node:fs';

export type Env = Record<string, string | undefined>;

/**
 * Reads NAME from the environment, or the contents of the file named by NAME_FILE
 * (Docker/Kubernetes secrets). Setting both is an error: it is never clear which one wins.
 */
export function readSetting(env: Env, name: string, problems: string[]): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file) {
    problems.push(`${name}: set either ${name} or ${name}_FILE, not both`);
    return undefined;
  }
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }
  return direct === '' ? undefined : direct;
}
