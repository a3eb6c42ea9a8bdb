import type { DiaryProfile } from '../../accounts/directory.js';
import { fullName, profilePlace, rolesText, XSRF_FIELD, type SchoolNames } from './account-labels.js';
import { diaryName, NEUTRAL_BRAND, supportLine, type Brand } from './brand.js';
import { html, page } from './html.js';

export interface ProfileChooserView {
  profiles: readonly DiaryProfile[];
  /** Preselected: the profile chosen last time (remembered as the default). */
  defaultProfileId: string | undefined;
  /** Where the form posts (field `profile_id`). */
  action: string;
  xsrf: string;
  schoolNames?: SchoolNames;
  /** A validated client redirect carrying access_denied, when the person would rather go back. */
  backUrl?: string | undefined;
  brand?: Brand;
}

/**
 * The Irkutsk page FAQ 1 «У меня в Дневник.ру 2 активные учётные записи (родитель и преподаватель),
 * смогу ли я выбрать нужную мне запись при авторизации? — Да»: one radio per profile, each
 * with its roles and school, the last choice preselected.
 */
export function profileChooserPage(view: ProfileChooserView): string {
  const diary = diaryName(view.brand ?? NEUTRAL_BRAND);
  const preselected = view.profiles.some((p) => p.id === view.defaultProfileId) ? view.defaultProfileId : undefined;
  // One person's profiles: the name tells them apart only when it differs (a maiden name).
  const namesDiffer = new Set(view.profiles.map(fullName)).size > 1;
  const choices = view.profiles.map((profile, i) => {
    const id = `profile-${i}`;
    const details = [namesDiffer ? fullName(profile) : undefined, profilePlace(profile, view.schoolNames)].filter(Boolean).join(' · ');
    return html`<li class="choice">
<input type="radio" name="profile_id" id="${id}" value="${profile.id}" required${preselected === profile.id ? html` checked` : false} aria-describedby="${id}-details">
<label for="${id}"><strong>${rolesText(profile.roles)}</strong>
<span id="${id}-details">${details}${preselected === profile.id ? ' (выбрано в прошлый раз)' : ''}</span></label>
</li>`;
  });
  const person = view.profiles[0] && !namesDiffer ? html`<p>${fullName(view.profiles[0])}</p>` : false;
  return page(
    'Выберите профиль',
    html`<h1>Выберите профиль ${diary.gen}</h1>
<p>С вашей учётной записью госуслуг связано несколько профилей ${diary.gen}. Выберите, в какой из них войти. Ваш выбор запомнится, и в следующий раз этот профиль будет выбран заранее.</p>
${person}
<form method="post" action="${view.action}">
<input type="hidden" name="${XSRF_FIELD}" value="${view.xsrf}">
<fieldset><legend>Профиль для входа</legend>
<ul class="choices">${choices}</ul>
</fieldset>
<p><button type="submit">Войти</button></p>
</form>
<p class="hint">Старайтесь избегать ситуации, когда у одного человека в ${diary.prep} несколько профилей: разные роли (учитель, родитель, администратор) можно совместить в одном профиле. Для этого обратитесь к администратору ${diary.gen} в вашей образовательной организации.</p>
${view.backUrl ? html`<p><a class="button secondary" href="${view.backUrl}">Вернуться, не входя</a></p>` : false}
${supportLine(view.brand ?? NEUTRAL_BRAND)}`,
  );
}
