import { ADMIN_FORM_FIELD } from './admin-page.js';
import { html, page } from './html.js';

/**
 * /admin/person: everything stored about one person (the same JSON as the API) and the erasure
 * form, which asks to type the id again before anything is deleted.
 */
export interface PersonPageView {
  xsrf: string;
  by?: 'profile' | 'esia' | undefined;
  value?: string | undefined;
  /** Pretty-printed JSON of the person, when found. */
  json?: string | undefined;
  error?: string | undefined;
  /** The erasure's JSON answer, after it ran. */
  erased?: string | undefined;
}

export function personPage(view: PersonPageView): string {
  const profileValue = view.by === 'profile' ? view.value : '';
  const oidValue = view.by === 'esia' ? view.value : '';
  return page(
    'Данные человека — администрирование',
    html`<p class="hint"><a href="/admin">Отчёты</a> · Данные человека</p>
<h1>Данные человека</h1>
<form class="filters" method="get" action="/admin/person">
<label>Профиль дневника <input name="profile" value="${profileValue}"></label>
<label>Или ЕСИА oid <input name="esia_oid" value="${oidValue}" inputmode="numeric"></label>
<button type="submit">Показать</button>
</form>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
${view.erased ? html`<p role="status">Данные удалены: связи и доступы отозваны, персональные поля профиля стёрты, журнал обезличен.</p><pre>${view.erased}</pre>` : ''}
${view.json && view.by && view.value
  ? html`<p>Всё, что хранится об этом человеке (просмотр записан в журнал):</p><pre>${view.json}</pre>
<form method="post" action="/admin/person/erase">
<input type="hidden" name="${ADMIN_FORM_FIELD}" value="${view.xsrf}">
<input type="hidden" name="by" value="${view.by}">
<input type="hidden" name="value" value="${view.value}">
<p>Удаление необратимо: связи с госуслугами, доступы приложений и сеансы входа будут удалены, ФИО, дата рождения, СНИЛС, почта и логин стёрты, записи журнала обезличены.</p>
<label>Для подтверждения введите ещё раз ${view.by === 'profile' ? 'идентификатор профиля' : 'ЕСИА oid'} <input name="confirm" autocomplete="off" required></label>
<button type="submit" class="danger">Удалить данные человека</button>
</form>`
  : ''}`,
    { wide: true },
  );
}
