import t from 'tap';
import { loginsPerDayChart, schoolBarsChart } from '../../../src/http/pages/svg-charts.js';

/** Every <rect …> of a chart with its attributes, numbers as numbers. */
function rects(svg: string, cls?: string): Array<Record<string, string | number>> {
  return [...svg.matchAll(/<rect ([^>]*?)\/?>/g)]
    .map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, k, v]) => [k!, /^-?\d+(\.\d+)?$/.test(v!) ? Number(v) : v!])))
    .filter((r) => !cls || r['class'] === cls);
}
const close = (a: number, b: number) => Math.abs(a - b) < 0.05;

t.test('school shares: each bar is value/of of the full width, labels escaped', async (t) => {
  const chart = schoolBarsChart({
    title: 'Доля',
    caption: 'подпись',
    kind: 'share',
    bars: [
      { school: 'school-1', value: 1, of: 4 },
      { school: 'school-2', value: 3, of: 4 },
      { school: '<script>alert("x")</script>&', value: 0, of: 2 },
    ],
  });
  if (!chart) return t.fail('no chart');
  const svg = chart.value;
  const bars = rects(svg, 'bar');
  t.equal(bars.length, 3);
  const full = rects(svg).find((r) => r['fill'] === '#e8edf5')!['width'] as number;
  t.ok(close(bars[0]!['width'] as number, full / 4), '1 of 4 is a quarter');
  t.ok(close(bars[1]!['width'] as number, (full * 3) / 4), '3 of 4 is three quarters');
  t.equal(bars[2]!['width'], 0, 'none is an empty bar');
  t.match(svg, /25 % \(1 из 4\)/);
  t.notMatch(svg, /<script/, 'a label never becomes markup');
  t.match(svg, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/scr/);
  t.match(svg, /data-school="&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;"/);
  t.match(svg, /role="img"/);
  t.match(svg, /<title id="chart-schools-title">Доля<\/title>/);
});

t.test('school counts: bars against the largest; a capped list says how many are left out', async (t) => {
  const svg = (schoolBarsChart({ title: 'Без СНИЛС', caption: 'c', kind: 'count', bars: [{ school: 'a', value: 10 }, { school: 'b', value: 5 }, { school: 'c', value: 1 }], total: 7 }) || t.fail('no chart')) as { value: string };
  const [a, b, c] = rects(svg.value, 'bar').map((r) => r['width'] as number);
  t.ok(close(b! / a!, 0.5) && close(c! / a!, 0.1), `proportional: ${a} ${b} ${c}`);
  t.match(svg.value, /Показаны 3 из 7 ОО/);
  t.equal(schoolBarsChart({ title: 'x', caption: 'x', kind: 'count', bars: [] }), false, 'no data, no chart');
});

t.test('logins per day: one stacked column per day, segments proportional, outcomes named in Russian', async (t) => {
  const chart = loginsPerDayChart([
    { day: '2026-11-20', outcome: 'success', count: 6 },
    { day: '2026-11-20', outcome: 'consent_refused', count: 2 },
    { day: '2026-11-21', outcome: 'success', count: 2 },
    { day: '2026-11-21', outcome: 'region_not_enabled', count: 2 },
    { day: '2026-11-22', outcome: 'some_new_reason', count: 1 },
  ]);
  if (!chart) return t.fail('no chart');
  const svg = chart.value;
  const segments = rects(svg).filter((r) => r['data-outcome']);
  t.equal(segments.length, 5);
  const heightOf = (count: number) => segments.filter((s) => s['data-count'] === count).map((s) => s['height'] as number);
  const unit = heightOf(1)[0]!;
  t.ok(heightOf(2).every((h) => close(h, 2 * unit)) && close(heightOf(6)[0]!, 6 * unit), 'height = count × the same unit');
  const [success20, refused20] = segments.slice(0, 2);
  t.same([success20!['data-outcome'], refused20!['data-outcome']], ['success', 'consent_refused'], 'in the outcomes\' order');
  t.ok(close((refused20!['y'] as number) + (refused20!['height'] as number), success20!['y'] as number), 'stacked: the second segment sits on the first');
  t.match(svg, /<g data-day="2026-11-20" data-total="8">/);
  t.match(svg, /<li><svg[^>]*><rect width="12" height="12" fill="#2e7d32"\/><\/svg> успешный вход<\/li>/);
  t.match(svg, /отказ в доступе к данным на госуслугах/);
  t.match(svg, /some_new_reason/, 'an outcome the page does not know yet is still drawn, under its code');
  t.notMatch(svg, /<script|on\w+=/i, 'no script, no handlers');
  t.equal(loginsPerDayChart([]), false);
});
