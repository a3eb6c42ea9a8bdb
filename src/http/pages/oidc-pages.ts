import type { OAuthError } from '../../errors/oauth-errors.js';
import { html, page, type SafeHtml } from './html.js';

/** Pages of the authorization server: Russian, plain HTML, no external assets. */

const AUTHORIZE_CAUSES = {
  malformed: 'Ссылка для входа составлена неверно: в ней нет обязательных параметров или они повторяются.',
  unknown_client: 'Электронный дневник, с которого вы пришли, не зарегистрирован в сервисе входа.',
  unregistered_redirect_uri: 'Адрес возврата в электронный дневник не зарегистрирован в сервисе входа, поэтому мы не можем вас туда вернуть.',
  invalid_request_uri: 'Ссылка для входа устарела или уже была использована.',
} as const;

/** /authorize with a client or redirect_uri we cannot trust: explain, never redirect (RFC 6749 §4.1.2.1). */
export function authorizeErrorPage(cause: keyof typeof AUTHORIZE_CAUSES, error: OAuthError): string {
  return page(
    'Ошибка входа',
    html`<h1>Не удалось начать вход</h1>
<p class="error" role="alert">${AUTHORIZE_CAUSES[cause]}</p>
<p>Вернитесь в электронный дневник и начните вход заново. Если ошибка повторяется, сообщите о ней администратору электронного дневника.</p>
<p class="reason">Код ошибки: <code data-error="${error.error}">${error.error}</code> (${error.description})</p>`,
  );
}

export function interactionExpiredPage(): string {
  return page(
    'Время входа истекло',
    html`<h1>Время входа истекло</h1>
<p class="error" role="alert">Этот вход уже завершён, начат в другом окне браузера или ожидал слишком долго.</p>
<p>Вернитесь в электронный дневник и начните вход заново.</p>
<p class="reason">Код ошибки: <code data-error="interaction_expired">interaction_expired</code></p>`,
  );
}

/**
 * Back to a login page after the login finished: the person is logged in, so no error, only the
 * way to the diary they came from.
 */
export function alreadyLoggedInPage(homeUrl: string): string {
  return page(
    'Вы уже вошли',
    html`<h1>Вы уже вошли</h1>
<p role="status">Вход через госуслуги на этой странице уже выполнен. Продолжайте работу в электронном дневнике.</p>
<p><a class="button" href="${homeUrl}">Перейти в электронный дневник</a></p>
<p class="hint">Чтобы войти под другой учётной записью, сначала выйдите из электронного дневника.</p>`,
  );
}

export interface LogoutConfirmFields {
  xsrf: string;
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
  clientId: string | undefined;
}

/** Logout without a valid id_token_hint: ask first, so a foreign page cannot log the person out. */
export function logoutConfirmPage(fields: LogoutConfirmFields): string {
  const hidden = (name: string, value: string | undefined): SafeHtml | false => value !== undefined && html`<input type="hidden" name="${name}" value="${value}">`;
  return page(
    'Выход',
    html`<h1>Выйти из сервиса входа?</h1>
<p>Вы выйдете из сервиса входа через госуслуги во всех электронных дневниках в этом браузере.</p>
<form method="post" action="/logout">
${hidden('xsrf', fields.xsrf)}${hidden('post_logout_redirect_uri', fields.postLogoutRedirectUri)}${hidden('state', fields.state)}${hidden('client_id', fields.clientId)}
<button type="submit">Выйти</button>
</form>`,
  );
}

/** After logout: offers ESIA logout as well, and the way back to the diary. */
export function loggedOutPage(backUrl: string | undefined, esiaLogoutUrl: string | undefined): string {
  return page(
    'Вы вышли',
    html`<h1>Вы вышли из электронного дневника</h1>
${esiaLogoutUrl ? html`<p>На портале госуслуг вы пока остаётесь авторизованы. Если вы за чужим компьютером, выйдите и оттуда.</p>
<p><a class="button" href="${esiaLogoutUrl}">Выйти также из госуслуг</a></p>` : false}
${backUrl ? html`<p><a class="button secondary" href="${backUrl}">Вернуться в электронный дневник</a></p>` : html`<p>Можно закрыть эту страницу.</p>`}`,
  );
}
