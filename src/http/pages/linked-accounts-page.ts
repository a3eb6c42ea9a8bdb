import type { DiaryProfile } from '../../accounts/directory.js';
import type { AccountLink } from '../../accounts/links.js';
import { fullName, profilePlace, rolesText, XSRF_FIELD, type SchoolNames } from './account-labels.js';
import { diaryName, NEUTRAL_BRAND, type Brand } from './brand.js';
import { html, page } from './html.js';

export interface LinkedAccountsView {
  entries: ReadonlyArray<{ link: AccountLink; profile: DiaryProfile | null }>;
  /** Where each unlink form posts (field `profile_id`). */
  action: string;
  xsrf: string;
  schoolNames?: SchoolNames;
  /** After an unlink, say so. */
  unlinked?: boolean;
  brand?: Brand;
}

const METHOD_TEXT: Record<AccountLink['method'], string> = {
  snils: 'автоматически по ФИО и СНИЛС',
  email: 'автоматически по ФИО и подтверждённой электронной почте',
  manual: 'вручную, по логину и паролю',
  admin: 'администратором',
};

/** The person's links with a way to undo each (unlinking by the person, audited). */
export function linkedAccountsPage(view: LinkedAccountsView): string {
  const diary = diaryName(view.brand ?? NEUTRAL_BRAND);
  const date = (d: Date) => d.toISOString().slice(0, 10).split('-').reverse().join('.');
  const items = view.entries.map(
    ({ link, profile }) => html`<li class="choice"><div>
<strong>${profile ? rolesText(profile.roles) : 'Профиль удалён'}</strong>
<span>${profile ? [fullName(profile), profilePlace(profile, view.schoolNames)].filter(Boolean).join(' · ') : ''}</span>
<span class="hint">Связан ${METHOD_TEXT[link.method]} ${date(link.createdAt)}${link.isDefault ? '; выбирается по умолчанию' : ''}.</span>
<form method="post" action="${view.action}"><input type="hidden" name="${XSRF_FIELD}" value="${view.xsrf}"><input type="hidden" name="profile_id" value="${link.profileId}">
<button type="submit" class="link">Отвязать</button></form>
</div></li>`,
  );
  return page(
    'Связанные профили',
    html`<h1>Профили ${diary.gen}, связанные с госуслугами</h1>
${view.unlinked ? html`<p role="status">Связь удалена. При следующем входе через госуслуги профиль будет найден заново или предложено связать его вручную.</p>` : false}
${view.entries.length > 0 ? html`<ul class="choices">${items}</ul>` : html`<p>С вашей учётной записью госуслуг не связан ни один профиль ${diary.gen}.</p>`}`,
  );
}
