import type { Persona } from './personas.js';

/** The emulator's own pages: a persona picker standing in for ESIA's login, and the consent page. */
const escape = (value: string) => value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const SCOPE_NAMES: Record<string, string> = {
  openid: 'Идентификатор учётной записи',
  fullname: 'Фамилия, имя и отчество',
  birthdate: 'Дата рождения',
  birthplace: 'Место рождения',
  gender: 'Пол',
  snils: 'СНИЛС',
  inn: 'ИНН',
  id_doc: 'Данные документа, удостоверяющего личность',
  email: 'Адрес электронной почты',
  mobile: 'Номер мобильного телефона',
  contacts: 'Контактные данные',
  addresses: 'Адреса',
  usr_org: 'Организации пользователя',
  birth_cert_doc: 'Свидетельство о рождении',
};

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1c2430}
.banner{background:#fff3cd;padding:.5rem 1rem;border-radius:6px}button{margin:.25rem 0;padding:.5rem 1rem;font-size:1rem;cursor:pointer}
form.persona button{width:100%;text-align:left}small{color:#5a6472}</style></head>
<body><p class="banner">Эмулятор ЕСИА для разработки и тестов. Это не портал госуслуг.</p>${body}</body></html>`;
}

function level(persona: Persona): string {
  if (persona.lvl === 'KD') return 'детская';
  if (persona.trusted) return 'подтверждённая';
  return persona.snils && persona.documents.some((d) => d.vrfStu === 'VERIFIED' && d.type === 'RF_PASSPORT') ? 'стандартная' : 'упрощённая';
}

/** The persona's label, and its account level unless the label already names it (no «стандартная … · учётная запись: стандартная»). */
export function personaLine(persona: Persona): string {
  const accountLevel = level(persona);
  return persona.label.toLowerCase().includes(accountLevel) ? persona.label : `${persona.label} · учётная запись: ${accountLevel}`;
}

export function loginPage(requestId: string, personas: Persona[]): string {
  const items = personas
    .map(
      (p) => `<li><form class="persona" method="post" action="/login"><input type="hidden" name="req" value="${escape(requestId)}">
<input type="hidden" name="oid" value="${escape(p.oid)}"><button type="submit" data-oid="${escape(p.oid)}">${escape(`${p.lastName} ${p.firstName} ${p.middleName ?? ''}`.trim())}
<br><small>${escape(personaLine(p))} · oid ${escape(p.oid)}</small></button></form></li>`,
    )
    .join('\n');
  return layout('Вход — эмулятор ЕСИА', `<h1>Вход</h1><p>Выберите пользователя:</p><ul style="list-style:none;padding:0">${items}</ul>`);
}

export function consentPage(requestId: string, persona: Persona, clientId: string, scope: string): string {
  const scopes = scope
    .split(' ')
    .map((name) => `<li>${escape(SCOPE_NAMES[name] ?? name)}</li>`)
    .join('');
  const button = (decision: string, text: string) =>
    `<form method="post" action="/consent" style="display:inline"><input type="hidden" name="req" value="${escape(requestId)}"><input type="hidden" name="decision" value="${decision}"><button type="submit" name="action" value="${decision}">${text}</button></form>`;
  return layout(
    'Предоставление прав доступа — эмулятор ЕСИА',
    `<h1>Предоставление прав доступа</h1><p>${escape(`${persona.firstName} ${persona.lastName}`)}, система <b>${escape(clientId)}</b> запрашивает доступ к вашим данным:</p>
<ul>${scopes}</ul>${button('grant', 'Предоставить')} ${button('deny', 'Отказать')}`,
  );
}

export function errorPage(description: string): string {
  return layout('Ошибка — эмулятор ЕСИА', `<h1>Ошибка</h1><p>${escape(description)}</p>`);
}
