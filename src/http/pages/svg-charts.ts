import { LOGIN_OUTCOMES, OUTCOME_NAMES, type LoginOutcome } from '../../policy/outcomes.js';
import { html, type SafeHtml } from './html.js';

/**
 * Charts for the /admin page, drawn on the server as inline SVG: no script and no external
 * asset, so the page's CSP (default-src 'none') stays as it is. Shapes carry their colours as
 * attributes. Every chart says what it shows in <title>/<desc>; the table under it has the
 * numbers. Bars are proportional to the data: length = value / largest × the plot's length.
 */

/** One colour per outcome, fixed, so a reason keeps its colour from one day or page to the next. */
const OUTCOME_COLOURS: Readonly<Record<LoginOutcome, string>> = {
  success: '#2e7d32',
  consent_refused: '#f9a825',
  region_not_enabled: '#6d4c41',
  role_not_rolled_out: '#8e24aa',
  esia_level_too_low: '#ef6c00',
  profile_not_found: '#c62828',
  profile_not_attached: '#ad1457',
  profile_not_activated: '#5e35b1',
  name_snils_mismatch: '#00838f',
  name_birthdate_mismatch: '#1565c0',
  link_failed: '#4e342e',
  esia_unavailable: '#757575',
};
const OTHER_COLOUR = '#9e9e9e';
const colourOf = (outcome: string) => OUTCOME_COLOURS[outcome as LoginOutcome] ?? OTHER_COLOUR;
const nameOf = (outcome: string) => OUTCOME_NAMES[outcome as LoginOutcome] ?? outcome;

/** SVG numbers: two decimals are finer than a pixel. */
const n = (value: number) => String(Math.round(value * 100) / 100);

export interface DayOutcomeCount {
  day: string;
  outcome: string;
  count: number;
}

/** «Входы по дням»: one stacked column per day, one segment per outcome (all regions of the report added up). */
export function loginsPerDayChart(rows: readonly DayOutcomeCount[]): SafeHtml | false {
  if (rows.length === 0) return false;
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const known = new Set<string>(LOGIN_OUTCOMES);
  const outcomes = [...LOGIN_OUTCOMES.filter((o) => rows.some((r) => r.outcome === o)), ...[...new Set(rows.map((r) => r.outcome))].filter((o) => !known.has(o)).sort()];
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(`${r.day}|${r.outcome}`, (counts.get(`${r.day}|${r.outcome}`) ?? 0) + r.count);
  const totals = days.map((day) => outcomes.reduce((sum, o) => sum + (counts.get(`${day}|${o}`) ?? 0), 0));
  const largest = Math.max(1, ...totals);

  const width = 640;
  const height = 260;
  const plot = { left: 44, right: 8, top: 12, bottom: 40 };
  const plotWidth = width - plot.left - plot.right;
  const plotHeight = height - plot.top - plot.bottom;
  const slot = plotWidth / days.length;
  const barWidth = Math.max(1, slot * 0.8);
  const baseline = plot.top + plotHeight;
  const labelEvery = Math.ceil(days.length / 8);
  const id = 'chart-days';

  const columns = days.map((day, i) => {
    let y = baseline;
    const segments = outcomes.flatMap((outcome) => {
      const count = counts.get(`${day}|${outcome}`) ?? 0;
      if (count === 0) return [];
      const h = (count / largest) * plotHeight;
      y -= h;
      return [html`<rect x="${n(plot.left + i * slot + (slot - barWidth) / 2)}" y="${n(y)}" width="${n(barWidth)}" height="${n(h)}" fill="${colourOf(outcome)}" data-outcome="${outcome}" data-count="${count}"><title>${dayLabel(day)}: ${nameOf(outcome)} — ${count}</title></rect>`];
    });
    const label = i % labelEvery === 0 || i === days.length - 1
      ? html`<text x="${n(plot.left + i * slot + slot / 2)}" y="${n(baseline + 16)}" text-anchor="middle" font-size="11" font-family="system-ui, sans-serif" fill="#1c2430">${dayLabel(day).slice(0, 5)}</text>`
      : false;
    return html`<g data-day="${day}" data-total="${totals[i]!}">${segments}${label}</g>`;
  });

  const legend = html`<ul class="legend">${outcomes.map((o) => html`<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${colourOf(o)}"/></svg> ${nameOf(o)}</li>`)}</ul>`;
  return html`<figure class="chart">
<svg class="chart-days" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-title ${id}-desc" preserveAspectRatio="xMidYMid meet">
<title id="${id}-title">Входы через госуслуги по дням и итогам</title>
<desc id="${id}-desc">Столбец — день (по часам региона), его части — итоги входа; больше всего входов за день: ${largest}.</desc>
${axis(plot.left, baseline, plotWidth, plotHeight, largest)}
${columns}
</svg>
<figcaption>Входы по дням: высота столбца — число входов за день, цвет — итог.</figcaption>
${legend}
</figure>`;
}

export interface SchoolBar {
  /** The school as people know it (its id until the directory gives names). */
  school: string;
  value: number;
  /** For shares: of how many. */
  of?: number | undefined;
}

/**
 * Horizontal bars, one per school: `share` draws value/of as a percentage of the full width
 * (100 % = all the school's people), `count` draws value against the largest one.
 */
export function schoolBarsChart(options: { title: string; caption: string; kind: 'share' | 'count'; bars: readonly SchoolBar[]; total?: number }): SafeHtml | false {
  const { bars } = options;
  if (bars.length === 0) return false;
  const width = 640;
  const labelWidth = 190;
  const valueWidth = 110;
  const barArea = width - labelWidth - valueWidth;
  const rowHeight = 26;
  const height = bars.length * rowHeight + 8;
  const largest = Math.max(1, ...bars.map((b) => b.value));
  const id = 'chart-schools';
  const rows = bars.map((bar, i) => {
    const fraction = options.kind === 'share' ? (bar.of ? bar.value / bar.of : 0) : bar.value / largest;
    const y = 4 + i * rowHeight;
    const text = options.kind === 'share' ? `${percent(bar.value, bar.of ?? 0)} (${bar.value} из ${bar.of ?? 0})` : String(bar.value);
    return html`<g data-school="${bar.school}" data-value="${bar.value}"${bar.of !== undefined ? html` data-of="${bar.of}"` : false}>
<title>${bar.school}: ${text}</title>
<text x="${labelWidth - 8}" y="${n(y + rowHeight / 2 + 4)}" text-anchor="end" font-size="13" font-family="system-ui, sans-serif" fill="#1c2430">${truncate(bar.school, 24)}</text>
${options.kind === 'share' ? html`<rect x="${labelWidth}" y="${n(y + 4)}" width="${barArea}" height="${rowHeight - 8}" fill="#e8edf5"/>` : false}
<rect class="bar" x="${labelWidth}" y="${n(y + 4)}" width="${n(fraction * barArea)}" height="${rowHeight - 8}" fill="#0d4cd3"/>
<text x="${labelWidth + barArea + 6}" y="${n(y + rowHeight / 2 + 4)}" font-size="12" font-family="system-ui, sans-serif" fill="#1c2430">${text}</text>
</g>`;
  });
  const more = options.total !== undefined && options.total > bars.length
    ? html` Показаны ${bars.length} из ${options.total} ОО; сузьте отбор (регион, ОО, роль), чтобы увидеть остальные.`
    : false;
  return html`<figure class="chart">
<svg class="chart-schools" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-title" preserveAspectRatio="xMinYMin meet">
<title id="${id}-title">${options.title}</title>
${rows}
</svg>
<figcaption>${options.caption}${more}</figcaption>
</figure>`;
}

function axis(left: number, baseline: number, plotWidth: number, plotHeight: number, largest: number): SafeHtml {
  const ticks = [0, Math.round(largest / 2), largest].filter((v, i, all) => all.indexOf(v) === i);
  return html`<g class="axis">${ticks.map((tick) => {
    const y = baseline - (tick / largest) * plotHeight;
    return html`<line x1="${left}" x2="${n(left + plotWidth)}" y1="${n(y)}" y2="${n(y)}" stroke="#d5dbe3"/><text x="${left - 6}" y="${n(y + 4)}" text-anchor="end" font-size="11" font-family="system-ui, sans-serif" fill="#5a6472">${tick}</text>`;
  })}</g>`;
}

const dayLabel = (day: string) => `${day.slice(8, 10)}.${day.slice(5, 7)}.${day.slice(0, 4)}`;
const percent = (part: number, whole: number) => `${whole ? Math.round((part / whole) * 100) : 0} %`;
const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
