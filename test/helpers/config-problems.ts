import { ConfigError, loadConfig } from '../../src/config/index.js';

/** The problems loadConfig names for env (empty when it loads); any other error is a bug and throws. */
export function configProblems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
