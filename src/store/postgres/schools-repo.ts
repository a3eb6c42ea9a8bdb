import { sql } from 'kysely';
import type { School } from '../../accounts/schools.js';
import type { SchoolStore } from '../../admin/school-store.js';
import { auditRow } from './audit-repo.js';
import type { Db } from './database.js';

/** `schools` (migration 0006): the directory's names for school ids. */
const CHUNK = 500;
const IMPORT_LOCK = 'schools:import';
const COLUMNS = ['id', 'full_name', 'short_name', 'municipality', 'region'] as const;

type Row = { id: string; full_name: string; short_name: string; municipality: string; region: string };

const toSchool = (row: Row): School => ({ id: row.id, fullName: row.full_name, shortName: row.short_name, municipality: row.municipality, region: row.region });
const toRow = (s: School): Row => ({ id: s.id, full_name: s.fullName, short_name: s.shortName, municipality: s.municipality, region: s.region });

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function byIds(db: Db, ids: readonly string[]): Promise<Map<string, School>> {
  const found = new Map<string, School>();
  for (const part of chunks(ids, 5000)) {
    const rows = await db.selectFrom('schools').select(COLUMNS).where('id', '=', sql<string>`any(${[...part]}::text[])`).execute();
    for (const row of rows) found.set(row.id, toSchool(row));
  }
  return found;
}

export function createPostgresSchoolStore(db: Db): SchoolStore {
  return {
    byIds: (ids) => (ids.length === 0 ? Promise.resolve(new Map()) : byIds(db, ids)),

    async list(region) {
      const rows = await db
        .selectFrom('schools')
        .select(COLUMNS)
        .$if(region !== undefined, (q) => q.where('region', '=', region!))
        .orderBy('region')
        .orderBy('municipality')
        .orderBy('short_name')
        .orderBy('id')
        .execute();
      return rows.map(toSchool);
    },

    async importTransaction(work) {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${IMPORT_LOCK}))`.execute(trx);
        return work({
          existing: (ids) => byIds(trx, ids),
          async upsert(schools) {
            for (const part of chunks(schools, CHUNK)) {
              await trx
                .insertInto('schools')
                .values(part.map(toRow))
                .onConflict((oc) =>
                  oc.column('id').doUpdateSet((eb) => ({
                    full_name: eb.ref('excluded.full_name'),
                    short_name: eb.ref('excluded.short_name'),
                    municipality: eb.ref('excluded.municipality'),
                    region: eb.ref('excluded.region'),
                    updated_at: sql<Date>`now()`,
                  })),
                )
                .execute();
            }
          },
          async audit(events) {
            for (const part of chunks(events, 1000)) await trx.insertInto('audit_events').values(part.map(auditRow)).execute();
          },
        });
      });
    },
  };
}
