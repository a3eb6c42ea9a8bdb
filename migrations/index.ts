import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_oidc.js';
import * as m0003 from './0003_accounts.js';
import * as m0004 from './0004_directory_import.js';
import * as m0005 from './0005_client_integration.js';
import * as m0006 from './0006_schools.js';
import * as m0007 from './0007_pushed_authorization_requests.js';
import * as m0008 from './0008_dpop_bound_families.js';
import * as m0009 from './0009_backchannel_logout.js';
import * as m0010 from './0010_client_brand.js';
import * as m0011 from './0011_grant_change_notifications.js';

/**
 * Every migration, in order. Listed explicitly (not read from disk) so the same list runs
 * from TypeScript sources, compiled JS and the Docker image alike. Append only.
 */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_oidc': m0002,
  '0003_accounts': m0003,
  '0004_directory_import': m0004,
  '0005_client_integration': m0005,
  '0006_schools': m0006,
  '0007_pushed_authorization_requests': m0007,
  '0008_dpop_bound_families': m0008,
  '0009_backchannel_logout': m0009,
  '0010_client_brand': m0010,
  '0011_grant_change_notifications': m0011,
};
