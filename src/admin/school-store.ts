import type { AuditEvent } from '../accounts/links.js';
import type { School, SchoolDirectory } from '../accounts/schools.js';

/** The school directory as the admin tools write it (the import) and list it. */
export interface SchoolImportTransaction {
  existing(ids: readonly string[]): Promise<Map<string, School>>;
  /** Inserts or replaces these rows whole (by id). */
  upsert(schools: readonly School[]): Promise<void>;
  audit(events: readonly AuditEvent[]): Promise<void>;
}

export interface SchoolStore extends SchoolDirectory {
  /** One transaction; anything thrown rolls it all back. Imports run one at a time. */
  importTransaction<T>(work: (tx: SchoolImportTransaction) => Promise<T>): Promise<T>;
  /** Every school, by region, municipality and short name; `region` narrows it. */
  list(region?: string): Promise<School[]>;
}
