import { XSRF_FIELD } from './account-labels.js';
import { diaryName, NEUTRAL_BRAND, supportLine, type Brand } from './brand.js';
import { html, page } from './html.js';

export interface ManualLinkView {
  /** Where the form posts (fields `login`, `password`). */
  action: string;
  xsrf: string;
  /** The login typed last time, shown again after an error; never the password. */
  login?: string | undefined;
  error?: { kind: 'invalid-credentials'; attemptsLeft: number } | { kind: 'locked'; retryAfterSeconds: number } | { kind: 'missing-fields' } | undefined;
  /** The diary's "forgot login or password" page, when the client has one. */
  recoverUrl?: string | undefined;
  backUrl?: string | undefined;
  brand?: Brand;
}

/** Russian plural of a count: one (1, 21), few (2–4, 22–24), many (0, 5–20, 11–14). */
function plural(n: number, one: string, few: string, many: string): string {
  const last = n % 10;
  return n % 100 >= 11 && n % 100 <= 14 ? many : last === 1 ? one : last >= 2 && last <= 4 ? few : many;
}

/** A wait in words: minutes up to two hours, whole hours beyond (the daily lock). */
function waitText(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  if (minutes <= 120) return `${minutes} ${plural(minutes, 'минуту', 'минуты', 'минут')}`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} ${plural(hours, 'час', 'часа', 'часов')}`;
}

function attempts(n: number): string {
  return plural(n, 'попытка', 'попытки', 'попыток');
}

function errorText(error: NonNullable<ManualLinkView['error']>): string {
  switch (error.kind) {
    case 'invalid-credentials':
      // The same words whether the password was wrong or the profile cannot be linked to this
      // person (linked elsewhere, not activated, another name...): telling them apart would tell
      // a guesser the password was right. The school administrator sees the reason in the audit.
      return `Неверный логин или пароль, либо этот профиль нельзя привязать к вашей учётной записи на госуслугах. Осталось ${error.attemptsLeft} ${attempts(error.attemptsLeft)}, после этого привязка по логину и паролю будет временно заблокирована. Если пароль верный, проверьте, что это ваш профиль, и помните: взрослым нужна стандартная или подтверждённая учётная запись на госуслугах. Исправить данные профиля может администратор вашей образовательной организации.`;
    case 'locked':
      return `Слишком много неудачных попыток. Привязка по логину и паролю временно заблокирована, попробуйте снова через ${waitText(error.retryAfterSeconds)}.`;
    case 'missing-fields':
      return 'Введите логин и пароль от вашего профиля.';
  }
}

/**
 * The Ivanovo instruction and the Irkutsk page «Связывание учётных записей … вручную»: the page ESIA users see when no
 * diary profile matched, in the help pages' words, asking for the diary login and password.
 */
export function manualLinkPage(view: ManualLinkView): string {
  const brand = view.brand ?? NEUTRAL_BRAND;
  const diary = diaryName(brand);
  const locked = view.error?.kind === 'locked';
  return page(
    `Привязка профиля ${diary.gen}`,
    html`<h1>Войти в ${diary.acc}</h1>
<p>К сожалению, мы не смогли найти Ваш профиль ${diary.gen} по данным, предоставленным порталом госуслуг. Пожалуйста, введите логин и пароль от Вашего аккаунта ${diary.gen} для его привязки.</p>
${view.error ? html`<p class="error" role="alert" id="form-error">${errorText(view.error)}</p>` : false}
<form method="post" action="${view.action}" autocomplete="on">
<input type="hidden" name="${XSRF_FIELD}" value="${view.xsrf}">
<label for="login">Логин</label>
<input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="200" value="${view.login ?? ''}"${view.error ? html` aria-describedby="form-error"` : false}${locked ? html` disabled` : false}>
<label for="password">Пароль</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200"${locked ? html` disabled` : false}>
<p><button type="submit"${locked ? html` disabled` : false}>Войти</button></p>
</form>
${view.recoverUrl ? html`<p>Забыли логин или пароль? <a href="${view.recoverUrl}">Восстановите доступ.</a></p>` : html`<p>Забыли логин или пароль? Восстановите доступ на странице входа ${diary.gen} или обратитесь к администратору ${diary.gen} в вашей образовательной организации.</p>`}
<p class="hint">Привязка выполняется один раз: дальше вы будете входить через госуслуги без пароля ${diary.gen}. Чтобы профиль находился автоматически, ФИО и СНИЛС в ${diary.prep} должны совпадать с данными на портале госуслуг; исправить их в ${diary.prep} может только администратор вашей образовательной организации.</p>
${view.backUrl ? html`<p><a class="button secondary" href="${view.backUrl}">Вернуться, не входя</a></p>` : false}
${supportLine(brand)}`,
  );
}
