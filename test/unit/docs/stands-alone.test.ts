import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Everything a user or maintainer reads must be in the repository: no pointer to files a clone
 * does not have (the project's working notes, its source material, its tracker's issue numbers).
 * Public sources are fine when named so anyone can find them: an `owner/name` repository with its
 * issue, or a numbered citation of a document's Sources list ("[2, issue 7]").
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const SELF = relative(ROOT, import.meta.filename);
const ROOTS = ['README.md', 'DEVELOPERS.md', 'docs', 'src', 'test', 'bench', 'scripts', 'config', 'migrations', 'bin', 'eslint.config.js', 'Dockerfile', 'docker-compose.yml', 'docker-compose.prod.yml', '.env.example'];
const SKIP = new Set(['test/artifacts', 'node_modules']);
const TEXT = /\.(md|ts|js|mjs|json|ya?ml|sh)$|^Dockerfile$|^\.env\.example$/;

function filesUnder(path: string): string[] {
  const absolute = join(ROOT, path);
  let stat;
  try {
    stat = statSync(absolute);
  } catch {
    return [];
  }
  if (stat.isFile()) return TEXT.test(path.split('/').pop() ?? '') ? [path] : [];
  if (SKIP.has(path)) return [];
  return readdirSync(absolute).flatMap((name) => filesUnder(path === '.' ? name : `${path}/${name}`));
}

const OUTSIDE: { what: string; pattern: RegExp }[] = [
  { what: 'a working note outside the repository', pattern: /\b(PROTOCOL|DESIGN|STYLE|RECIPES)\.md\b/g },
  { what: 'the directory next to the checkout', pattern: /\.\.\/shared\b/g },
  { what: 'the source material by its file or number (name the help page instead)', pattern: /\bseeds?\/|\bseeds? \d{3}\b|\b(?:the|of the) seeds\b|\bseeds:/gi },
  { what: 'a public repository\'s issue without the repository (write owner/name issue N)', pattern: /\b(?:ilimurzin|ekapusta|fr05t1k|AISGorod|ofstudio|libcore)[\w./-]* #\d+/g },
];
/** "issue 5" alone is the tracker's; "ilimurzin/esia issue 7" or "[2, issue 7]" a public source. */
const ISSUE = /\b[Ii]ssues? \d+/g;
const NAMED_SOURCE = /[A-Za-z0-9][\w-]*\/[A-Za-z0-9][\w.-]*(?<!\.(?:md|ts|js|json|ya?ml|sh))(?![\w./-])|\[\d+,/;

function problemsIn(path: string, text = readFileSync(join(ROOT, path), 'utf8')): string[] {
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const problems: string[] = [];
  for (const { what, pattern } of OUTSIDE) {
    for (const match of text.matchAll(pattern)) problems.push(`${path}:${lineOf(match.index)}: «${match[0]}» — ${what}`);
  }
  for (const match of text.matchAll(ISSUE)) {
    const before = text.slice(Math.max(0, match.index - 160), match.index);
    const paragraph = before.slice(before.lastIndexOf('\n\n') + 1);
    if (!NAMED_SOURCE.test(paragraph)) problems.push(`${path}:${lineOf(match.index)}: «${match[0]}» — an issue number with no public repository named before it`);
  }
  if (path.endsWith('.md')) {
    for (const match of text.matchAll(/(?:^|\s|(?<!\])\()#\d+\b/gm)) problems.push(`${path}:${lineOf(match.index)}: «${match[0].trim()}» — a bare #N (name the repository and the issue)`);
  }
  return problems;
}

const files = ROOTS.flatMap(filesUnder).filter((path) => path !== SELF);

t.test('the scan reaches the docs and the code', async (t) => {
  for (const expected of ['README.md', 'DEVELOPERS.md', 'docs/esia-protocol.md', 'docs/oidc.md', 'src/main.ts', 'config/regions.json']) t.ok(files.includes(expected), expected);
});

t.test('README, DEVELOPERS.md, docs/ and the code point at nothing outside the repository', async (t) => {
  t.same(files.flatMap((path) => problemsIn(path)), []);
});

t.test('the check itself catches what it is for', async (t) => {
  const caught = (text: string) => problemsIn('probe.md', text).length > 0;
  for (const bad of ['see PROTOCOL.md §2', 'in ../shared/seeds/', 'seed 004 FAQ 2', 'as the seeds do', 'accounts (issue 5)', 'see src/deps.ts (issue 5)', 'ilimurzin #7', 'fixed in #12', 'see (#3)']) t.ok(caught(bad), `caught: ${bad}`);
  for (const good of ['ilimurzin/esia issue 7', '[2, issue 7]', '`AISGorod/AISGorod.AspNetCore.Authentication.Esia`, issues 11 and 38', 'the Irkutsk page FAQ 2', 'seeds the demo client', '[section 4](#4-client_secret)']) t.notOk(caught(good), `allowed: ${good}`);
});
