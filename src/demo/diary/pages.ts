import { reasonCodeOf, reasonText } from './reason-texts.js';

/** The demo diary's pages: plain Russian HTML, escaped, no external assets. */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

const STYLE = `body{font-family:system-ui,Arial,sans-serif;margin:0;background:#eef3f8;color:#1c2430}
header{background:#2b5797;color:#fff;padding:1rem 2rem;font-size:1.25rem}
main{max-width:44rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px}
a.button{display:inline-block;background:#0d4cd3;color:#fff;padding:.7rem 1.3rem;border-radius:6px;text-decoration:none}
table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #dde3ea;text-align:left}
.reason{color:#5a6472;font-size:.875rem}
.note{background:#fff8e1;padding:.75rem 1rem;border-left:4px solid #f0b400}.error{background:#fdecec;padding:.75rem 1rem;border-left:4px solid #d32f2f}`;

export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><header>Электронный дневник (демо)</header><main>${body}</main></body></html>`;
}

export interface RegionNote {
  regionName: string;
  mode: string;
  adultAge: number;
  /** Groups (role × age band) that may still log in with the diary's own password form. */
  passwordFormFor: Array<{ role: string; ageBand: string }>;
  /** Every group keeps the password form. */
  everyone: boolean;
}

/** «для учащихся …»: the genitive plural the note's «для» takes. */
const ROLE_NAMES: Record<string, string> = { student: 'учащихся', parent: 'родителей', teacher: 'учителей', staff: 'сотрудников', admin: 'администраторов' };

function noteText(note: RegionNote): string {
  if (note.mode === 'off') return '<p class="note" id="region-note">Вход через госуслуги в вашем регионе не подключён: пользуйтесь формой входа дневника.</p>';
  if (note.passwordFormFor.length === 0) return '<p class="note" id="region-note">Для вашего региона вход в систему возможен только через госуслуги.</p>';
  const band = (ageBand: string) => (ageBand === 'minor' ? `младше ${note.adultAge} лет` : `с ${note.adultAge} лет`);
  const groups = note.passwordFormFor.map((g) => `${ROLE_NAMES[g.role] ?? g.role} ${band(g.ageBand)}`);
  return `<p class="note" id="region-note" data-password-form="available">В вашем регионе также доступна стандартная форма входа по логину и паролю дневника${note.everyone ? '' : ` для ${esc(groups.join(', '))}`}.</p>`;
}

export function homePage(note: RegionNote | undefined, loggedIn: boolean): string {
  return layout(
    'Вход в дневник',
    `<h1>Войти в дневник</h1>${note ? `<p>Регион: <span id="region-name">${esc(note.regionName)}</span></p>${noteText(note)}` : ''}
<p><a class="button" id="login" href="/login">Войти через госуслуги</a></p>${loggedIn ? '<p><a href="/me">Мой дневник</a></p>' : ''}`,
  );
}

export interface ProfileView {
  name: string;
  roles: string[];
  schools: string[];
  classes: string[];
  region: string | undefined;
  level: string | undefined;
  backendSubject: string | undefined;
  backendError: string | undefined;
}

const ROLE_TITLES: Record<string, string> = { student: 'Ученик', parent: 'Родитель', teacher: 'Учитель', staff: 'Сотрудник', admin: 'Администратор' };

const LEVELS: Record<string, string> = {
  'urn:esia:simplified': 'Упрощённая',
  'urn:esia:standard': 'Стандартная',
  'urn:esia:confirmed': 'Подтверждённая',
};

export function profilePage(view: ProfileView): string {
  return layout(
    'Мой дневник',
    `<h1 id="welcome">Здравствуйте, ${esc(view.name)}!</h1>
<table>
<tr><th>Роли</th><td id="roles" data-roles="${esc(view.roles.join(' '))}">${esc(view.roles.map((r) => ROLE_TITLES[r] ?? r).join(', '))}</td></tr>
<tr><th>Школа</th><td id="schools">${esc(view.schools.join(', '))}</td></tr>
${view.classes.length > 0 ? `<tr><th>Класс</th><td id="classes">${esc(view.classes.join(', '))}</td></tr>` : ''}
<tr><th>Регион</th><td id="region">${esc(view.region)}</td></tr>
<tr><th>Учётная запись госуслуг</th><td id="level" data-acr="${esc(view.level)}">${esc(view.level ? (LEVELS[view.level] ?? view.level) : '—')}</td></tr>
<tr><th>Проверка токена бэкендом дневника</th><td id="backend" data-subject="${esc(view.backendSubject)}">${view.backendSubject ? `пройдена (sub ${esc(view.backendSubject)})` : `ошибка: ${esc(view.backendError)}`}</td></tr>
</table>
<p><a class="button" id="logout" href="/logout">Выйти</a></p>`,
  );
}

/**
 * A login that came back with an error: the person reads Russian by reason code (reason-texts.ts);
 * the codes stay on the page, small, for support. The English error_description is never shown.
 */
export function errorPage(error: string, description: string | undefined): string {
  const reason = reasonCodeOf(description);
  const { text, passwordForm } = reasonText(error, description);
  return layout(
    'Вход не выполнен',
    `<h1>Вход не выполнен</h1><p class="error" id="reason-text">${esc(text)}</p>
<p>${passwordForm ? 'Можно войти по логину и паролю дневника, если эта форма доступна в вашем регионе, или ' : ''}<a href="/">${passwordForm ? 'попробовать снова' : 'Попробовать снова'}</a>.</p>
<p class="reason">Код ошибки: <code id="oauth-error">${esc(error)}</code>${reason ? ` · причина: <code id="reason-code">${esc(reason)}</code>` : ''}</p>`,
  );
}
