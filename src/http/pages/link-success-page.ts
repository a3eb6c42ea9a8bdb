import { html, page } from './html.js';

/**
 * The Irkutsk page «Отлично! Теперь вы можете входить в Дневник.ру через портал госуслуг.» — after a
 * manual link; the button continues the login (the client redirect carrying the code).
 */
export function linkSuccessPage(view: { continueUrl: string; diaryName?: string }): string {
  const diary = view.diaryName ?? 'Дневник.ру';
  return page(
    'Профили связаны',
    html`<h1>Профили связаны</h1>
<p role="status">Отлично! Теперь вы можете входить в ${diary} через портал госуслуг.</p>
<p><a class="button" href="${view.continueUrl}">Перейти в ${diary}</a></p>`,
  );
}
