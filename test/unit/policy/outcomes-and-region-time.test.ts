import t from 'tap';
import { loadRegions } from '../../../src/config/regions.js';
import { LOGIN_OUTCOMES, OUTCOME_NAMES } from '../../../src/policy/outcomes.js';
import { REASON_CODES } from '../../../src/policy/reasons.js';
import { DEFAULT_TIME_ZONE, formatRegionTime, regionTimeZones, timeZoneOf } from '../../../src/policy/region-time.js';

t.test('login outcomes: success and every reason code, each with its own Russian name', async (t) => {
  t.same([...LOGIN_OUTCOMES].sort(), ['success', ...REASON_CODES].sort());
  const names = LOGIN_OUTCOMES.map((o) => OUTCOME_NAMES[o]);
  t.equal(new Set(names).size, names.length, 'no two outcomes read alike');
  for (const name of names) t.match(name, /^[А-ЯЁа-яё][А-ЯЁа-яё ,-]+$/, `${name}: Russian words, no code`);
});

t.test('the region table gives every listed region a zone; times read on that clock', async (t) => {
  const zones = regionTimeZones(loadRegions('config'));
  t.equal(timeZoneOf(zones, '38'), 'Asia/Irkutsk');
  t.equal(timeZoneOf(zones, '77'), DEFAULT_TIME_ZONE, 'Moscow');
  t.equal(timeZoneOf(zones, '00'), DEFAULT_TIME_ZONE, 'a region the table does not list reads Moscow time');
  t.equal(timeZoneOf(zones, null), DEFAULT_TIME_ZONE);
  const lateEvening = new Date('2026-11-20T23:30:00Z');
  t.equal(formatRegionTime(lateEvening, 'Asia/Irkutsk'), '21.11.2026 07:30 (UTC+8)', 'the next morning in Irkutsk');
  t.equal(formatRegionTime(lateEvening, 'Europe/Kaliningrad'), '21.11.2026 01:30 (UTC+2)');
  t.equal(formatRegionTime(lateEvening, 'Asia/Kamchatka'), '21.11.2026 11:30 (UTC+12)');
  t.equal(formatRegionTime(new Date('2026-07-01T09:05:00Z'), 'Europe/Moscow'), '01.07.2026 12:05 (UTC+3)', 'no summer time since 2014');
});
