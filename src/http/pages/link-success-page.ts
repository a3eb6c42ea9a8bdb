import type { DiaryProfile } from '../../accounts/directory.js';
import { profilePlace, rolesText, type SchoolNames } from './account-labels.js';
import { diaryName, NEUTRAL_BRAND, type Brand } from './brand.js';
import { html, page } from './html.js';

/**
 * The Irkutsk page «Отлично! Теперь вы можете входить в Дневник.ру через портал госуслуг.» — after a
 * manual link; the button continues the login (the client redirect carrying the code).
 */
export function linkSuccessPage(view: { continueUrl: string; brand?: Brand; profile?: DiaryProfile; schoolNames?: SchoolNames }): string {
  const diary = diaryName(view.brand ?? NEUTRAL_BRAND);
  const place = view.profile ? profilePlace(view.profile, view.schoolNames) : '';
  return page(
    'Профили связаны',
    html`<h1>Профили связаны</h1>
<p role="status">Отлично! Теперь вы можете входить в ${diary.acc} через портал госуслуг.</p>
${view.profile ? html`<p id="linked-profile">Связанный профиль: <strong>${rolesText(view.profile.roles)}</strong>${place ? ` · ${place}` : ''}</p>` : false}
<p><a class="button" href="${view.continueUrl}">Перейти в ${diary.acc}</a></p>`,
  );
}
