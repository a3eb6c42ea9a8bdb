import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTER_MARKERS, renderRegisterTable } from './personal-data-register.js';

/** Rewrites the register table in docs/personal-data.md from personal-data-register.ts. */
const file = join(import.meta.dirname, '..', '..', 'docs', 'personal-data.md');
const text = readFileSync(file, 'utf8');
const start = text.indexOf(REGISTER_MARKERS.start);
const end = text.indexOf(REGISTER_MARKERS.end);
if (start < 0 || end < start) throw new Error(`${file}: register markers not found`);
writeFileSync(file, `${text.slice(0, start + REGISTER_MARKERS.start.length)}\n${renderRegisterTable()}${text.slice(end)}`);
