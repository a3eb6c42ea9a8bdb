import type { LoginStarter } from './interaction.js';

/** The path of the page that says ESIA login is not configured (http/routes/login-unavailable.ts). */
export const LOGIN_UNAVAILABLE_PATH = '/login/unavailable';

/**
 * The LoginStarter until the ESIA leg provides the real one: every login that needs a person
 * lands on a page saying so, which sends temporarily_unavailable back to the diary.
 */
export function createUnconfiguredLoginStarter(publicUrl: string): LoginStarter {
  return {
    async start() {
      return `${publicUrl}${LOGIN_UNAVAILABLE_PATH}`;
    },
  };
}
