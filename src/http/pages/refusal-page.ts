import { REASONS, type ReasonCode } from '../../policy/reasons.js';
import { html, page } from './html.js';

/**
 * The page a person sees when a login is refused: what is wrong, what to do, and a link back
 * to the diary that carries the standard OAuth error (backUrl is a validated client redirect).
 */
export function refusalPage(code: ReasonCode, backUrl: string | undefined): string {
  const reason = REASONS[code];
  return page(
    reason.title,
    html`<h1>${reason.title}</h1>
<p class="error" role="alert">${reason.explanation}</p>
<h2>Что делать</h2>
<ul>${reason.whatToDo.map((step) => html`<li>${step}</li>`)}</ul>
${backUrl ? html`<p><a class="button" href="${backUrl}">Вернуться в электронный дневник</a></p>` : html`<p>Вернитесь в электронный дневник и начните вход заново.</p>`}
<p class="reason">Код причины: <code data-reason="${code}">${code}</code></p>`,
  );
}
