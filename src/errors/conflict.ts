import { OAuthError } from './oauth-errors.js';

/** The admin API refuses a change that clashes with stored state (a link held by another ESIA account, a login in use): 409. */
export class Conflict extends OAuthError {
  readonly error = 'conflict';
  override readonly status = 409;
}
