import type { School } from '../../accounts/schools.js';
import type { SchoolImportReport } from '../../admin/school-import.js';
import { html, page } from './html.js';

/** The /admin page's school directory: the list, and a form to paste a CSV file into. */
export interface SchoolDirectoryView {
  xsrf: string;
  schools: readonly School[];
  report?: SchoolImportReport | undefined;
  /** A file the import refused whole, in its words. */
  error?: string | undefined;
}

export function schoolDirectoryPage(view: SchoolDirectoryView): string {
  const report = view.report;
  return page('Справочник школ — администрирование', html`<p class="hint"><a href="/admin">Отчёты</a> · Справочник школ</p>
<h1>Справочник школ</h1>
<p>Названия школ на страницах входа и в отчётах берутся отсюда. Вставьте CSV с заголовком: <code>id;full_name;short_name;municipality;region</code> (или «Код ОО;Полное наименование;Краткое наименование;Муниципалитет;Регион»).</p>
${view.error ? html`<p class="error" role="alert">Файл не принят: ${view.error}</p>` : false}
${report ? html`<p role="status">${report.dry_run ? 'Проверка, ничего не сохранено: ' : ''}строк ${report.summary.total}: добавлено ${report.summary.created}, изменено ${report.summary.updated}, без изменений ${report.summary.unchanged}, отклонено ${report.summary.rejected}.</p>
${report.rows.some((r) => r.status === 'rejected') ? html`<ul>${report.rows.filter((r) => r.status === 'rejected').map((r) => html`<li>${'line' in r ? `строка ${r.line}` : `запись ${r.index}`}: ${(r.errors ?? []).map((e) => e.message).join('; ')}</li>`)}</ul>` : false}` : false}
<form method="post" action="/admin/school-directory">
<input type="hidden" name="xsrf" value="${view.xsrf}">
<label for="csv">CSV</label>
<textarea id="csv" name="csv" rows="8" cols="80" required></textarea>
<p><label><input type="checkbox" name="dry_run" value="1"> только проверить</label></p>
<p><button type="submit">Загрузить</button></p>
</form>
<table>
<caption>Школ в справочнике: ${view.schools.length}</caption>
<thead><tr><th scope="col">Код ОО</th><th scope="col">Краткое наименование</th><th scope="col">Муниципалитет</th><th scope="col">Регион</th></tr></thead>
<tbody>${view.schools.map((s) => html`<tr><td>${s.id}</td><td>${s.shortName}</td><td>${s.municipality}</td><td>${s.region}</td></tr>`)}</tbody>
</table>`, { wide: true });
}
