import { ROLES } from '../../accounts/directory.js';
import { REPORT_NAMES, reportTitle, type ReportCoverage, type ReportName } from '../../admin/report-runner.js';
import type { FieldProblem } from '../../admin/reports.js';
import { isLoginOutcome, OUTCOME_NAMES } from '../../policy/outcomes.js';
import { formatRegionTime, timeZoneOf, type RegionTimeZones } from '../../policy/region-time.js';
import { html, page, type SafeHtml } from './html.js';

/**
 * The /admin page: a token form, then the reports as tables with filters and a CSV
 * link per report. Plain server-rendered HTML in Russian, no scripts, no external assets.
 */
export const ADMIN_FORM_FIELD = 'xsrf';
/** The report filters the page carries (the domain validates them: src/admin/reports.ts). */
export const REPORT_FILTER_FIELDS = ['region', 'municipality', 'school', 'class', 'role', 'school_year', 'month', 'from', 'to'] as const;
export type ReportFilterField = (typeof REPORT_FILTER_FIELDS)[number];
const MONTHS = ['сентябрь', 'октябрь', 'ноябрь', 'декабрь', 'январь', 'февраль', 'март', 'апрель', 'май', 'июнь', 'июль', 'август'];
const MONTH_NUMBERS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8];
/** Rows per page of the table (the API's largest page); the CSV has them all. */
export const MAX_TABLE_ROWS = 1000;

const LABELS: Record<string, string> = {
  profile_id: 'Профиль', full_name: 'Пользователь', roles: 'Роли', classes: 'Классы', schools: 'ОО', school_ids: 'Код ОО', region: 'Регион',
  esia_login: 'Вход через ЕСИА', first_esia_login: 'Первый вход', last_esia_login: 'Последний вход',
  esia_login_count: 'Входов', has_snils: 'СНИЛС', has_birth_date: 'Дата рождения', activated: 'Активирован',
  day: 'День', outcome: 'Итог', count: 'Количество',
};
const ROLE_NAMES: Record<string, string> = { student: 'ученик', parent: 'родитель', teacher: 'учитель', staff: 'сотрудник', admin: 'администратор' };

/** One table cell as people read it: Russian words, the outcome's name next to its code, times on the row's region clock. */
function cell(column: string, row: Readonly<Record<string, unknown>>, timeZones: RegionTimeZones): SafeHtml | string {
  const value = row[column];
  if (value === null || value === undefined || value === '') return '—';
  if (value === 'yes') return 'да';
  if (value === 'no') return 'нет';
  if (column === 'roles') return String(value).split(' ').map((r) => ROLE_NAMES[r] ?? r).join(', ');
  if (column === 'outcome') {
    const code = String(value);
    if (code === 'success') return OUTCOME_NAMES.success;
    return html`${isLoginOutcome(code) ? OUTCOME_NAMES[code] : 'другой итог'} <code class="reason">${code}</code>`;
  }
  if (column === 'day' && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value.slice(8, 10)}.${value.slice(5, 7)}.${value.slice(0, 4)}`;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) return formatRegionTime(new Date(value), timeZoneOf(timeZones, row['region'] as string | null));
  return String(value);
}

/** The page's own words for a refused filter (the API's stay English, for integrators). */
const FIELD_PROBLEMS: Record<string, string> = {
  region: 'Регион: нужен код региона из двух цифр, например 38.',
  municipality: 'Муниципалитет: название как в справочнике школ — до 200 знаков, без служебных символов.',
  school: 'ОО: идентификатор организации — до 100 знаков, без служебных символов.',
  class: 'Класс: буквы и цифры, например 5-в.',
  role: 'Роль: выберите роль из списка.',
  from: 'Период с: такой даты нет в календаре (нужна дата с 1900 по 2999 год).',
  school_year: 'Учебный год: нужен вид 2025/2026 (с 1 августа по 31 июля).',
  month: 'Месяц: выберите месяц из списка.',
  to: 'Период по: такой даты нет в календаре (нужна дата с 1900 по 2999 год).',
  after: 'Страница: ссылка на страницу отчёта испорчена; откройте отчёт с начала.',
  limit: 'Строк на странице: нужно целое число от 1 до 1000.',
};
const RULE_PROBLEMS: Record<string, string> = {
  period_order: 'Период: дата «с» позже даты «по».',
  month_needs_year: 'Месяц: выбирается внутри учебного года — укажите и учебный год.',
  year_or_period: 'Учебный год: укажите либо учебный год (и месяц), либо период «с»/«по», не оба.',
  cursor_gone: 'Страница: профиль, после которого начиналась страница, удалён; откройте отчёт с начала.',
};

export function problemInRussian(problem: FieldProblem): string {
  return RULE_PROBLEMS[problem.rule] ?? FIELD_PROBLEMS[problem.field] ?? `Поле «${problem.field}» заполнено неверно.`;
}

export interface AdminLoginView {
  xsrf: string;
  error?: { kind: 'wrong-token' } | { kind: 'locked'; retryAfterSeconds: number } | undefined;
}

export function adminLoginPage(view: AdminLoginView): string {
  const error = view.error?.kind === 'locked'
    ? `Слишком много неверных попыток. Попробуйте снова через ${Math.ceil(view.error.retryAfterSeconds / 60)} мин.`
    : view.error ? 'Неверный токен администратора.' : undefined;
  return page('Администрирование: вход', html`<h1>Администрирование сервиса входа</h1>
<p>Введите токен администратора (ADMIN_TOKEN). Он нужен один раз: дальше вход хранится в этом браузере до выхода или окончания сеанса.</p>
${error ? html`<p class="error" role="alert" id="form-error">${error}</p>` : false}
<form method="post" action="/admin/login">
<input type="hidden" name="${ADMIN_FORM_FIELD}" value="${view.xsrf}">
<label for="token">Токен администратора</label>
<input id="token" name="token" type="password" autocomplete="current-password" required maxlength="512"${error ? html` aria-describedby="form-error"` : false}>
<p><button type="submit">Войти</button></p>
</form>`);
}

export interface AdminReportView {
  report: ReportName;
  filter: Partial<Record<ReportFilterField, string>>;
  columns: readonly string[];
  rows: ReadonlyArray<Record<string, unknown>>;
  /** Keyset paging of the per-person reports: where this page starts and the next one would. */
  after?: string | undefined;
  next?: string | null | undefined;
  /** What the server refused about the filter, field by field. */
  problems?: readonly FieldProblem[] | undefined;
  /** The report's chart (SVG drawn here), above its table. */
  chart?: SafeHtml | false | undefined;
  /** The window the rows stand for (retention cuts the login history). */
  covers?: ReportCoverage | undefined;
  /** Region → time zone: times are shown on the row's region clock. */
  timeZones: RegionTimeZones;
  xsrf: string;
}

function query(filter: AdminReportView['filter']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  return params.toString();
}

function filters(view: AdminReportView): SafeHtml {
  const f = view.filter;
  const option = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : false}>${label}</option>`;
  return html`<form class="filters" method="get" action="/admin">
<div><label for="report">Отчёт</label><select id="report" name="report">${REPORT_NAMES.map((name) => option(name, reportTitle(name), name === view.report))}</select></div>
<div><label for="region">Регион</label><input id="region" name="region" inputmode="numeric" pattern="\\d{2}" maxlength="2" size="3" value="${f.region ?? ''}"></div>
<div><label for="municipality">Муниципалитет</label><input id="municipality" name="municipality" maxlength="200" size="14" value="${f.municipality ?? ''}"></div>
<div><label for="school">Код ОО</label><input id="school" name="school" maxlength="100" size="10" value="${f.school ?? ''}"></div>
<div><label for="class">Класс</label><input id="class" name="class" maxlength="32" size="5" value="${f.class ?? ''}"></div>
<div><label for="role">Роль</label><select id="role" name="role">${option('', 'все', !f.role)}${ROLES.map((role) => option(role, ROLE_NAMES[role] ?? role, role === f.role))}</select></div>
<div><label for="school_year">Учебный год</label><input id="school_year" name="school_year" placeholder="2025/2026" pattern="\\d{4}/\\d{4}" maxlength="9" size="9" value="${f.school_year ?? ''}"></div>
<div><label for="month">Месяц</label><select id="month" name="month">${option('', 'весь учебный год', !f.month)}${MONTH_NUMBERS.map((m, i) => option(String(m), MONTHS[i]!, String(m) === f.month))}</select></div>
<div><label for="from">Период с</label><input id="from" name="from" type="date" value="${f.from ?? ''}"></div>
<div><label for="to">по</label><input id="to" name="to" type="date" value="${f.to ?? ''}"></div>
<div><button type="submit">Показать</button></div>
</form>`;
}

function pageLink(view: AdminReportView, after: string | undefined, label: string): SafeHtml {
  const params = new URLSearchParams({ report: view.report, ...Object.fromEntries(Object.entries(view.filter).filter(([, v]) => v)) });
  if (after) params.set('after', after);
  return html`<a href="/admin?${params.toString()}">${label}</a>`;
}

function caption(view: AdminReportView): string {
  if (!view.after && !view.next) return `Строк: ${view.rows.length}`;
  return `Строк на этой странице: ${view.rows.length} (по ${MAX_TABLE_ROWS} на странице; весь отчёт одним файлом — в CSV)`;
}

function table(view: AdminReportView): SafeHtml {
  if (view.rows.length === 0) return html`<p>Нет строк для выбранных условий.</p>`;
  const pager = view.after || view.next
    ? html`<p class="pager">${view.after ? pageLink(view, undefined, 'В начало') : false}${view.after && view.next ? ' · ' : ''}${view.next ? pageLink(view, view.next, 'Следующая страница') : false}</p>`
    : false;
  // data-label: on a phone each row becomes a card of «column: value» lines (the page's CSS).
  return html`<div class="table-card"><table class="report">
<caption>${caption(view)}</caption>
<thead><tr>${view.columns.map((c) => html`<th scope="col">${LABELS[c] ?? c}</th>`)}</tr></thead>
<tbody>${view.rows.map((row) => html`<tr>${view.columns.map((c) => html`<td data-label="${LABELS[c] ?? c}">${cell(c, row, view.timeZones)}</td>`)}</tr>`)}</tbody>
</table></div>
${pager}`;
}

/** Every problem of a refused filter on its own line, in Russian. */
export function refusedFilter(problems: readonly FieldProblem[]): SafeHtml {
  const lines = [...new Set(problems.map(problemInRussian))];
  return html`<div class="error" role="alert"><p>Условия отбора не приняты:</p><ul>${lines.map((line) => html`<li>${line}</li>`)}</ul></div>`;
}

const ruDay = (day: string) => `${day.slice(8, 10)}.${day.slice(5, 7)}.${day.slice(0, 4)}`;

/** Which days the rows count, and that older logins are no longer kept when the filter asked for them. */
function coverage(covers: ReportCoverage | undefined): SafeHtml | false {
  if (!covers) return false;
  if ('as_of' in covers) return html`<p class="hint" id="covers">Данные на ${ruDay(covers.as_of.slice(0, 10))}.</p>`;
  const cut = covers.cut_by_retention ? html` Входы старше ${covers.retention_days} дн. удалены по сроку хранения (RETENTION_LOGIN_EVENTS_DAYS) и в отчёт не входят.` : '';
  return html`<p class="hint" id="covers">Отчёт охватывает входы с ${ruDay(covers.from)} по ${ruDay(covers.to)}.${cut}</p>`;
}

export function adminReportPage(view: AdminReportView): string {
  return page(`${reportTitle(view.report)} — администрирование`, html`<form method="post" action="/admin/logout" class="hint">Администрирование сервиса входа · <a href="/admin/person">Данные человека</a> · <a href="/admin/school-directory">Справочник школ</a> · <input type="hidden" name="${ADMIN_FORM_FIELD}" value="${view.xsrf}"><button type="submit" class="link">Выйти</button></form>
<h1>${reportTitle(view.report)}</h1>
${filters(view)}
${view.problems ? refusedFilter(view.problems) : html`<p><a class="button secondary" href="/admin/export/${view.report}.csv?${query(view.filter)}" download>Скачать CSV</a></p>
${coverage(view.covers)}
${view.chart ?? false}
${table(view)}`}`, { wide: true });
}
