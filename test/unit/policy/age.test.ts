import t from 'tap';
import { ageBandOf, ageOn, isIsoDate, localDate } from '../../../src/policy/age.js';

t.test('ageOn counts full years on the login day', async (t) => {
  const cases: Array<[string, string, number]> = [
    ['2010-09-01', '2024-09-01', 14],
    ['2010-09-02', '2024-09-01', 13],
    ['2010-08-31', '2024-09-01', 14],
    ['2010-12-31', '2024-01-01', 13],
    ['2008-02-29', '2022-02-28', 14], // common year: the birthday falls on 28 February (ГК РФ ст. 192)
    ['2008-02-29', '2022-02-27', 13],
    ['2008-02-29', '2024-02-28', 15], // leap year: 29 February is the birthday
    ['2008-02-29', '2024-02-29', 16],
  ];
  for (const [birth, today, age] of cases) t.equal(ageOn(birth, today), age, `${birth} on ${today}`);
});

t.test('ageOn refuses malformed dates without echoing them', async (t) => {
  t.throws(() => ageOn('14.03.2009', '2024-09-01'), { message: /not a yyyy-mm-dd date: 10 characters/ });
});

t.test('adult at or over the threshold', async (t) => {
  t.equal(ageBandOf(14, 14), 'adult');
  t.equal(ageBandOf(13, 14), 'minor');
  t.equal(ageBandOf(17, 18), 'minor');
  t.equal(ageBandOf(18, 18), 'adult');
});

t.test('the login day is the region’s calendar day', async (t) => {
  const instant = new Date('2018-11-30T16:30:00Z');
  t.equal(localDate(instant, 'Europe/Moscow'), '2018-11-30');
  t.equal(localDate(instant, 'Asia/Irkutsk'), '2018-12-01', 'already 1 December in Irkutsk (UTC+8)');
  t.equal(localDate(new Date('2024-03-01T00:00:00Z'), 'Asia/Anadyr'), '2024-03-01');
});

t.test('isIsoDate checks the calendar', async (t) => {
  t.ok(isIsoDate('2024-02-29'));
  t.notOk(isIsoDate('2023-02-29'));
  t.notOk(isIsoDate('2023-13-01'));
  t.notOk(isIsoDate('01.12.2018'));
});
