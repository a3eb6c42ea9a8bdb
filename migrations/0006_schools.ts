import { sql, type Kysely } from 'kysely';

/**
 * School directory: the names behind the school ids profiles carry, so pages and reports
 * show «МБОУ «СОШ № 7»» instead of a code (an id not in the table is shown as its code).
 * Imported like profiles (CSV/JSON). `profiles.classes`: the classes a pupil is in (a
 * teacher's classes too), for the chooser and the reports' class filter.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('schools')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('full_name', 'text', (c) => c.notNull())
    .addColumn('short_name', 'text', (c) => c.notNull())
    .addColumn('municipality', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The reports' region and municipality filters.
  await db.schema.createIndex('schools_region_municipality_idx').on('schools').columns(['region', 'municipality']).execute();
  await db.schema.alterTable('profiles').addColumn('classes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('profiles').dropColumn('classes').execute();
  await db.schema.dropTable('schools').ifExists().execute();
}
