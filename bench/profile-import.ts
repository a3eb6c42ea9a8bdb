/**
 * Directory import throughput: `npx tsx bench/profile-import.ts [rows]` (embedded PGlite),
 * or with DATABASE_URL set (PostgreSQL; it creates and removes rows b-* in that database).
 * Results: bench/RESULTS.md.
 */
import { performance } from 'node:perf_hooks';
import { createProfileImport } from '../src/admin/profile-import.js';
import { createPasswordDigester } from '../src/crypto/password-digest.js';
import { createSnilsHasher, snilsChecksum } from '../src/crypto/snils.js';
import { createPostgresAuditLog } from '../src/store/postgres/audit-repo.js';
import { migrateToLatest, openDatabase } from '../src/store/postgres/database.js';
import { createPostgresProfileAdminStore } from '../src/store/postgres/profile-admin-repo.js';
import { readCsv } from '../src/admin/import-format.js';

const KEY = 'bench-snils-hmac-key-0123456789abcdef';
const url = process.env['DATABASE_URL'];
const rowsWanted = Number(process.argv[2] ?? 10_000);
const snils = (i: number) => { const body = String(100_000_000 + i * 7919).slice(0, 9); return `${body}${String(snilsChecksum(body)).padStart(2, '0')}`; };
const header = 'id;login;last_name;first_name;middle_name;birth_date;snils;email;email_confirmed;roles;school_ids;activated;region;password';
const lines = Array.from({ length: rowsWanted }, (_, i) => [`b-${i}`, `b.login.${i}`, 'Смирнова', `Имя${i}`, 'Ивановна', '1980-01-15', snils(i), `b${i}@example.ru`, 'true', 'parent', `school-${i % 40}`, 'true', '52', ''].join(';'));
const text = [header, ...lines].join('\n');

const handle = await openDatabase({ url, dataDir: '', inMemory: !url });
await migrateToLatest(handle.db);
await handle.db.deleteFrom('profiles').where('id', 'like', 'b-%').execute();
const store = createPostgresProfileAdminStore(handle.db);
const run = createProfileImport({ store, audit: createPostgresAuditLog(handle.db), hashSnils: createSnilsHasher(KEY), digestPassword: createPasswordDigester(KEY) });
const t0 = performance.now();
readCsv(text);
console.log(`parse only: ${Math.round(performance.now() - t0)} ms`);
const timed = async (label: string, input: string) => {
  const started = performance.now();
  const report = await run({ format: 'csv', text: input }, { actor: 'bench' });
  console.log(`${label}: ${Math.round(performance.now() - started)} ms`, JSON.stringify(report.summary));
};
await timed(`${rowsWanted} new rows`, text);
await timed(`${rowsWanted} identical rows`, text);
await timed(`${rowsWanted} rows, one column changed`, text.replace(/;school-(\d+);/g, ';school-x$1;'));
// Passwords: scrypt (N=2^15, r=8) is the cost of a first import; unchanged ones cost an HMAC.
const withPasswords = [header, ...lines.slice(0, 100).map((line, i) => line.replace(/;$/, `;Temp-Password-${i}`))].join('\n');
await timed('100 rows with new passwords', withPasswords);
await timed('100 rows with the same passwords', withPasswords);
await handle.db.deleteFrom('profiles').where('id', 'like', 'b-%').execute();
await handle.db.deleteFrom('audit_events').where('actor', '=', 'bench').execute();
await handle.close();
