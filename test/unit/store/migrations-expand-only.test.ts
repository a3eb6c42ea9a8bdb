import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Upgrades without downtime (docs/operations.md): during a rolling update the old release runs
// on the new schema, so a migration may only expand it. Checked on the text of every up():
// no dropped or renamed table, column or constraint, no changed column, and every column added
// to an existing table is nullable or has a default (old code inserts rows without it).
const dir = join(import.meta.dirname, '..', '..', '..', 'migrations');
const files = readdirSync(dir).filter((name) => /^\d{4}_.*\.ts$/.test(name));

export function expandOnlyProblems(source: string): string[] {
  const up = /export async function up\([^)]*\)[^{]*\{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
  const problems: string[] = [];
  const statements = up.split(/await\s+/).slice(1);
  for (const statement of statements) {
    if (/\.(dropColumn|renameColumn|renameTo|alterColumn|dropConstraint|dropTable|dropType)\(/.test(statement)) problems.push(`destructive: ${statement.trim().slice(0, 80)}`);
    if (/sql`[^`]*\b(drop|rename|alter\s+column)\b/i.test(statement)) problems.push(`destructive SQL: ${statement.trim().slice(0, 80)}`);
    if (/\.alterTable\(/.test(statement)) {
      for (const column of statement.split('.addColumn(').slice(1)) {
        if (/notNull\(\)/.test(column) && !/defaultTo\(/.test(column)) problems.push(`NOT NULL without a default on an existing table: ${column.slice(0, 60)}`);
      }
    }
  }
  return problems;
}

t.test('every migration only expands the schema', async (t) => {
  t.ok(files.length >= 8, `${files.length} migrations`);
  for (const file of files) t.same(expandOnlyProblems(readFileSync(join(dir, file), 'utf8')), [], file);
});

t.test('the check itself catches what would break the old release', async (t) => {
  const up = (body: string) => `export async function up(db: Kysely<unknown>): Promise<void> {\n${body}\n}\n\nexport async function down() {\n  await db.schema.dropTable('x').execute();\n}\n`;
  t.same(expandOnlyProblems(up("  await db.schema.alterTable('clients').addColumn('a', 'text').execute();")), [], 'a nullable column');
  t.same(expandOnlyProblems(up("  await db.schema.alterTable('clients').addColumn('a', 'boolean', (c) => c.notNull().defaultTo(false)).execute();")), [], 'NOT NULL with a default');
  t.same(expandOnlyProblems(up("  await db.schema.createTable('x').addColumn('a', 'text', (c) => c.notNull()).execute();")), [], 'a new table may have NOT NULL columns');
  t.match(expandOnlyProblems(up("  await db.schema.alterTable('clients').addColumn('a', 'text', (c) => c.notNull()).execute();")), [/NOT NULL without a default/]);
  t.match(expandOnlyProblems(up("  await db.schema.alterTable('clients').dropColumn('a').execute();")), [/destructive/]);
  t.match(expandOnlyProblems(up("  await db.schema.alterTable('clients').renameColumn('a', 'b').execute();")), [/destructive/]);
  t.match(expandOnlyProblems(up("  await sql`alter table clients drop column a`.execute(db);")), [/destructive SQL/]);
  t.same(expandOnlyProblems(up('')), [], 'down() may drop: it is not run during an upgrade');
});
