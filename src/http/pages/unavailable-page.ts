import { html, page } from './html.js';

/**
 * Our own storage (Redis, Postgres) is down or too slow: the person did nothing wrong and their
 * data is safe. The way back to the diary carries temporarily_unavailable when the diary's
 * redirect is known; retryUrl, when the login can go on once we are back, starts it again.
 */
export function serviceUnavailablePage(options: { backUrl?: string | undefined; retryUrl?: string | undefined } = {}): string {
  return page(
    'Сервис временно недоступен',
    html`<h1>Сервис входа временно недоступен</h1>
<p class="error" role="alert">Сервис входа через госуслуги временно не может обработать запрос из-за технической неполадки на нашей стороне. Вы всё сделали правильно, ваши данные не пострадали.</p>
<h2>Что делать</h2>
<ul><li>Повторите вход через несколько минут.</li><li>Если ошибка повторяется, сообщите о ней администратору электронного дневника.</li></ul>
${options.retryUrl ? html`<p><a class="button" href="${options.retryUrl}">Попробовать ещё раз</a></p>` : false}
${options.backUrl ? html`<p><a class="button${options.retryUrl ? ' secondary' : ''}" href="${options.backUrl}">Вернуться в электронный дневник</a></p>` : html`<p>Вернитесь в электронный дневник и начните вход заново.</p>`}
<p class="reason">Код ошибки: <code data-error="temporarily_unavailable">temporarily_unavailable</code></p>`,
  );
}
