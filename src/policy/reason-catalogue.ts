import { REASON_GUIDE, REDIRECT_ONLY_CODES, REDIRECT_ONLY_GUIDE } from './reason-guide.js';
import { REASONS, REASON_CODES } from './reasons.js';

/** The markers around the generated table in docs/oidc.md. */
export const CATALOGUE_BEGIN = '<!-- reason-codes:begin -->';
export const CATALOGUE_END = '<!-- reason-codes:end -->';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The reason-code catalogue as a Markdown table: the person's side (page title and HTTP status)
 * straight from reasons.ts, the integrator's side from reason-guide.ts.
 */
export function reasonCatalogueMarkdown(): string {
  const rows = REASON_CODES.map((code) => {
    const reason = REASONS[code];
    const guide = REASON_GUIDE[code];
    const status = reason.oauthError === 'temporarily_unavailable' ? '503/502' : '403';
    return `| \`${code}\` | \`${reason.oauthError}\` | ${cell(guide.when)} | «${cell(reason.title)}» (${status}) | ${cell(guide.diaryShould)} |`;
  });
  const redirectOnly = REDIRECT_ONLY_CODES.map((code) => {
    const guide = REDIRECT_ONLY_GUIDE[code];
    return `| \`${code}\` | \`${guide.error}\` | ${cell(guide.when)} | no page: straight back to the diary | ${cell(guide.diaryShould)} |`;
  });
  return [
    '| Code | `error` | When it happens | What the person sees (page title, HTTP status) | What the diary should do |',
    '|---|---|---|---|---|',
    ...rows,
    ...redirectOnly,
  ].join('\n');
}

/** `doc` with the text between the markers replaced by the current catalogue. */
export function withCatalogue(doc: string): string {
  const begin = doc.indexOf(CATALOGUE_BEGIN);
  const end = doc.indexOf(CATALOGUE_END);
  if (begin < 0 || end < begin) throw new Error('docs/oidc.md has no reason-code catalogue markers');
  return `${doc.slice(0, begin + CATALOGUE_BEGIN.length)}\n${reasonCatalogueMarkdown()}\n${doc.slice(end)}`;
}
