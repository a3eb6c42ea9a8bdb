import { sql, type ExpressionBuilder, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { AdminQueries, AuditFilter, ReportFilter, ReportPage } from '../../admin/reports.js';
import { LOGIN_AUDIT_ACTION, ReportRefused } from '../../admin/reports.js';
import { DEFAULT_TIME_ZONE, timeZoneOf, type RegionTimeZones } from '../../policy/region-time.js';
import type { Db } from './database.js';
import type { Database } from './schema.js';

const fullName = sql<string>`concat_ws(' ', p.last_name, p.first_name, p.middle_name)`;
const yesNo = (condition: ReturnType<typeof sql>) => sql<'yes' | 'no'>`case when ${condition} then 'yes' else 'no' end`;
const asText = (json: 'roles' | 'school_ids' | 'classes') => sql<string>`(select coalesce(string_agg(value, ' '), '') from jsonb_array_elements_text(p.${sql.ref(json)}))`;
/** The directory's short names of the profile's schools, in its order; a school it lacks as «организация <id>». */
const schoolNames = sql<string>`(select coalesce(string_agg(coalesce(s.short_name, 'организация ' || x.id), '; ' order by x.n), '') from jsonb_array_elements_text(p.school_ids) with ordinality as x(id, n) left join schools s on s.id = x.id)`;

/**
 * The IANA zone of a region column as SQL: one CASE over the regions whose zone is not Moscow
 * (a filtered region needs no CASE at all). Report days and the period filter are the region's
 * local calendar days, not UTC's.
 */
function zoneOf(zones: RegionTimeZones, filter: ReportFilter, region: RawBuilder<unknown>) {
  if (filter.region || zones.size === 0) return sql<string>`${timeZoneOf(zones, filter.region)}::text`;
  const cases = [...zones].map(([code, zone]) => sql`when ${code} then ${zone}`);
  return sql<string>`(case ${region} ${sql.join(cases, sql` `)} else ${DEFAULT_TIME_ZONE}::text end)`;
}
/** The first instant of a local day in the zone; the day after `to` ends an inclusive period. */
const dayStart = (day: string, zone: RawBuilder<string>) => sql<Date>`(${day}::date::timestamp at time zone ${zone})`;
const dayEnd = (day: string, zone: RawBuilder<string>) => sql<Date>`((${day}::date + 1)::timestamp at time zone ${zone})`;
/** A coarse bound on the indexed column first (no zone is more than a day from UTC), then the exact local one. */
const SLACK = sql`interval '1 day'`;
/** The audit trail is the operators' record: its period is in UTC days. */
const UTC = sql<string>`'UTC'`;

type ProfileScope = ExpressionBuilder<Database & { p: Database['profiles'] }, 'p'>;

function profileFilter(filter: ReportFilter) {
  return (eb: ProfileScope) => {
    const conditions = [];
    if (filter.region) conditions.push(eb('p.region', '=', filter.region));
    if (filter.school) conditions.push(sql<boolean>`p.school_ids @> ${JSON.stringify([filter.school])}::jsonb`);
    if (filter.class) conditions.push(sql<boolean>`p.classes @> ${JSON.stringify([filter.class])}::jsonb`);
    // A profile is in the municipality when one of its schools is (by the school directory).
    if (filter.municipality) conditions.push(sql<boolean>`exists (select 1 from schools s where s.municipality = ${filter.municipality} and p.school_ids @> jsonb_build_array(s.id))`);
    if (filter.role) conditions.push(sql<boolean>`p.roles @> ${JSON.stringify([filter.role])}::jsonb`);
    return eb.and(conditions);
  };
}

type ProfileKey = { last_name: string; first_name: string; id: string };

/** The sort key of the profile a page starts after; a cursor whose profile is gone is refused, not silently an empty page. */
async function anchorOf(db: Db, page: ReportPage | undefined): Promise<ProfileKey | undefined> {
  if (page?.after === undefined) return undefined;
  const anchor = await db.selectFrom('profiles').select(['last_name', 'first_name', 'id']).where('id', '=', page.after).executeTakeFirst();
  if (!anchor) throw new ReportRefused('after: that profile no longer exists (deleted since the previous page); start again from the first page', [{ field: 'after', rule: 'cursor_gone' }]);
  return anchor;
}

/**
 * Name order, id last so the order is total; a page is the rows after the anchor's key (a row
 * comparison, the same order as the sort) plus one more to tell whether a next page exists.
 */
function inProfileOrder(page: ReportPage | undefined, anchor: ProfileKey | undefined) {
  return <Q extends SelectQueryBuilder<Database & { p: Database['profiles'] }, 'p', object>>(query: Q): Q =>
    query
      .$if(!!anchor, (q) => q.where(sql<boolean>`(p.last_name, p.first_name, p.id) > (${anchor!.last_name}, ${anchor!.first_name}, ${anchor!.id})`))
      .orderBy('p.last_name')
      .orderBy('p.first_name')
      .orderBy('p.id')
      .$if(!!page, (q) => q.limit(page!.limit + 1)) as Q;
}

function isoTime(value: Date | string | null): string | null {
  if (value === null) return null;
  return (typeof value === 'string' ? new Date(value) : value).toISOString();
}

/** `timeZones`: read per report, so a reloaded region table applies at once. */
export function createAdminQueries(db: Db, timeZones: () => RegionTimeZones = () => new Map()): AdminQueries {
  return {
    async loginActivity(filter, page) {
      const anchor = await anchorOf(db, page);
      const zone = zoneOf(timeZones(), filter, sql`p.region`);
      const rows = await db
        .selectFrom('profiles as p')
        // Per profile through the (target, at) index: a page of 100 reads 100 people's logins,
        // not the whole trail.
        .leftJoinLateral(
          (eb) =>
            eb
              .selectFrom('audit_events as e')
              .select([sql<Date | null>`min(e.at)`.as('first_at'), sql<Date | null>`max(e.at)`.as('last_at'), sql<string>`count(*)`.as('count')])
              .whereRef('e.target', '=', 'p.id')
              .where('e.action', '=', LOGIN_AUDIT_ACTION)
              .where('e.outcome', '=', 'success')
              .$if(!!filter.from, (q) => q.where('e.at', '>=', dayStart(filter.from!, zone)))
              .$if(!!filter.to, (q) => q.where('e.at', '<', dayEnd(filter.to!, zone)))
              .as('l'),
          (join) => join.onTrue(),
        )
        .select(['p.id', fullName.as('full_name'), asText('roles').as('roles'), asText('classes').as('classes'), schoolNames.as('schools'), asText('school_ids').as('school_ids'), 'p.region', 'l.first_at', 'l.last_at', 'l.count'])
        .where(profileFilter(filter))
        .$call(inProfileOrder(page, anchor))
        .execute();
      return rows.map((r) => {
        const count = Number(r.count ?? 0);
        return {
          profile_id: r.id,
          full_name: r.full_name,
          roles: r.roles,
          classes: r.classes,
          schools: r.schools,
          school_ids: r.school_ids,
          region: r.region,
          esia_login: count > 0 ? 'yes' : 'no',
          first_esia_login: isoTime(r.first_at),
          last_esia_login: isoTime(r.last_at),
          esia_login_count: count,
        };
      });
    },

    async completeness(filter, page) {
      const anchor = await anchorOf(db, page);
      return db
        .selectFrom('profiles as p')
        .select([
          'p.id as profile_id',
          fullName.as('full_name'),
          asText('roles').as('roles'),
          asText('classes').as('classes'),
          schoolNames.as('schools'),
          asText('school_ids').as('school_ids'),
          'p.region',
          yesNo(sql`p.snils_hmac is not null`).as('has_snils'),
          yesNo(sql`p.birth_date is not null`).as('has_birth_date'),
          yesNo(sql`p.activated`).as('activated'),
        ])
        .where(profileFilter(filter))
        .where((eb) => eb.or([eb('p.snils_hmac', 'is', null), eb('p.birth_date', 'is', null), eb('p.activated', '=', false)]))
        .$call(inProfileOrder(page, anchor))
        .execute();
    },

    async loginOutcomes(filter) {
      const zone = zoneOf(timeZones(), filter, sql`region`);
      const rows = await db
        .selectFrom('audit_events')
        .select([
          sql<string>`to_char((at at time zone ${zone})::date, 'YYYY-MM-DD')`.as('day'),
          'region',
          sql<string>`coalesce(reason, outcome)`.as('outcome'),
          sql<string>`count(*)`.as('count'),
        ])
        .where('action', '=', LOGIN_AUDIT_ACTION)
        .$if(!!filter.region, (q) => q.where('region', '=', filter.region!))
        .$if(!!filter.from, (q) => q.where('at', '>=', sql<Date>`${filter.from!}::date - ${SLACK}`).where('at', '>=', dayStart(filter.from!, zone)))
        .$if(!!filter.to, (q) => q.where('at', '<', sql<Date>`${filter.to!}::date + 1 + ${SLACK}`).where('at', '<', dayEnd(filter.to!, zone)))
        .groupBy([sql`1`, 'region', sql`3`])
        .orderBy(sql`1`)
        .orderBy('region')
        .orderBy(sql`3`)
        .execute();
      return rows.map((r) => ({ day: r.day, region: r.region, outcome: r.outcome, count: Number(r.count) }));
    },

    async schoolSummary(filter) {
      const zone = zoneOf(timeZones(), filter, sql`p.region`);
      const loggedIn = sql<boolean>`exists (select 1 from audit_events e where e.target = p.id and e.action = ${LOGIN_AUDIT_ACTION} and e.outcome = 'success'${
        filter.from ? sql` and e.at >= ${dayStart(filter.from, zone)}` : sql``
      }${filter.to ? sql` and e.at < ${dayEnd(filter.to, zone)}` : sql``})`;
      const rows = await db
        .selectFrom('profiles as p')
        .innerJoin(sql<{ school: string }>`jsonb_array_elements_text(p.school_ids)`.as('s'), (join) => join.onTrue())
        .select([
          sql<string>`s.value`.as('school'),
          sql<string>`coalesce((select sc.short_name from schools sc where sc.id = s.value), 'организация ' || s.value)`.as('school_name'),
          sql<string>`count(*)`.as('people'),
          sql<string>`count(*) filter (where ${loggedIn})`.as('esia_logged_in'),
          sql<string>`count(*) filter (where p.snils_hmac is null)`.as('without_snils'),
        ])
        .where(profileFilter(filter))
        .$if(!!filter.school, (q) => q.where(sql<boolean>`s.value = ${filter.school!}`))
        .groupBy(sql`s.value`)
        .orderBy(sql`s.value`)
        .execute();
      return rows.map((r) => ({ school: r.school, school_name: r.school_name, people: Number(r.people), esia_logged_in: Number(r.esia_logged_in), without_snils: Number(r.without_snils) }));
    },

    async audit(filter: AuditFilter) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .$if(!!filter.action, (q) => q.where('action', '=', filter.action!))
        .$if(!!filter.actor, (q) => q.where('actor', '=', filter.actor!))
        .$if(!!filter.target, (q) => q.where('target', '=', filter.target!))
        .$if(!!filter.outcome, (q) => q.where('outcome', '=', filter.outcome!))
        .$if(!!filter.from, (q) => q.where('at', '>=', dayStart(filter.from!, UTC)))
        .$if(!!filter.to, (q) => q.where('at', '<', dayEnd(filter.to!, UTC)))
        .$if(!!filter.before, (q) => q.where(sql`id`, '<', sql`${filter.before!}::bigint`))
        .orderBy(sql`id`, 'desc')
        .limit(filter.limit + 1)
        .execute();
      const page = rows.slice(0, filter.limit);
      return {
        events: page.map((r) => ({ ...r, id: String(r.id), at: isoTime(r.at)! })),
        next: rows.length > filter.limit ? String(page[page.length - 1]!.id) : null,
      };
    },
  };
}
