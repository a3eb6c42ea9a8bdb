import type { ReasonCode } from '../../policy/reasons.js';
import { diaryName, NEUTRAL_BRAND, supportLine, type Brand } from './brand.js';
import { html, page } from './html.js';
import { refusalText, UNKNOWN_SITUATION, type RefusalSituation } from './refusal-text.js';

/**
 * The page a person sees when a login is refused: what is wrong and what to do, by the rules of
 * their region and age band (refusal-text.ts), and a link back to the diary that carries the
 * standard OAuth error (backUrl is a validated client redirect).
 */
export interface RefusalView {
  backUrl?: string | undefined;
  situation?: RefusalSituation | undefined;
  /** The client's diary, when known (its name on the way back, its help and support). */
  brand?: Brand | undefined;
}

export function refusalPage(code: ReasonCode, view: RefusalView = {}): string {
  const text = refusalText(code, view.situation ?? UNKNOWN_SITUATION);
  const brand = view.brand ?? NEUTRAL_BRAND;
  return page(
    text.title,
    html`<h1>${text.title}</h1>
<p class="error" role="alert">${text.explanation}</p>
<h2>Что делать</h2>
<ul>${text.whatToDo.map((step) => html`<li>${step}</li>`)}</ul>
${view.backUrl ? html`<p><a class="button" href="${view.backUrl}">Вернуться в ${diaryName(brand).acc}</a></p>` : html`<p>Вернитесь в ${diaryName(brand).acc} и начните вход заново.</p>`}
${supportLine(brand)}
<p class="reason">Код причины: <code data-reason="${code}">${code}</code></p>`,
  );
}
