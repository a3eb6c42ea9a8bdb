import type { ReportName } from '../../admin/report-runner.js';
import type { AdminQueries, ReportFilter } from '../../admin/reports.js';
import type { SafeHtml } from '../pages/html.js';
import { loginsPerDayChart, schoolBarsChart, type DayOutcomeCount } from '../pages/svg-charts.js';

/** A chart lists at most this many schools: a region has hundreds, a chart of them all says nothing. */
export const MAX_CHART_SCHOOLS = 30;

/**
 * The chart above a report's table, where looking beats reading: logins per day by outcome,
 * each school's share of people who have logged in through ESIA, profiles without SNILS per
 * school. Drawn from the same filter as the table; per-person reports get it on their first page.
 */
export async function reportChart(name: ReportName, rows: ReadonlyArray<Record<string, unknown>>, queries: AdminQueries, filter: ReportFilter): Promise<SafeHtml | false> {
  if (name === 'outcomes') return loginsPerDayChart(rows as unknown as DayOutcomeCount[]);
  const schools = (await queries.schoolSummary(filter)).filter((s) => s.people > 0);
  if (name === 'logins') {
    // Lowest share first: the schools to talk to.
    const bars = schools
      .map((s) => ({ school: s.school_name, value: s.esia_logged_in, of: s.people }))
      .sort((a, b) => a.value / a.of - b.value / b.of || a.school.localeCompare(b.school))
      .slice(0, MAX_CHART_SCHOOLS);
    return schoolBarsChart({
      title: 'Доля людей каждой ОО, входивших через госуслуги',
      caption: 'Доля людей ОО (по отбору), которые хотя бы раз вошли через госуслуги; сначала ОО с наименьшей долей.',
      kind: 'share',
      bars,
      total: schools.length,
    });
  }
  const missing = schools.filter((s) => s.without_snils > 0);
  const bars = missing
    .map((s) => ({ school: s.school_name, value: s.without_snils, of: s.people }))
    .sort((a, b) => b.value - a.value || a.school.localeCompare(b.school))
    .slice(0, MAX_CHART_SCHOOLS);
  return schoolBarsChart({
    title: 'Профили без СНИЛС по ОО',
    caption: 'Число профилей без СНИЛС в каждой ОО (по отбору); сначала ОО, где их больше всего.',
    kind: 'count',
    bars,
    total: missing.length,
  });
}
