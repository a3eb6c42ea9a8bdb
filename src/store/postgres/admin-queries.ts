import { sql, type ExpressionBuilder } from 'kysely';
import type { AdminQueries, AuditFilter, ReportFilter } from '../../admin/reports.js';
import { LOGIN_AUDIT_ACTION } from '../../admin/reports.js';
import type { Db } from './database.js';
import type { Database } from './schema.js';

const fullName = sql<string>`concat_ws(' ', p.last_name, p.first_name, p.middle_name)`;
const yesNo = (condition: ReturnType<typeof sql>) => sql<'yes' | 'no'>`case when ${condition} then 'yes' else 'no' end`;
const asText = (json: 'roles' | 'school_ids') => sql<string>`(select coalesce(string_agg(value, ' '), '') from jsonb_array_elements_text(p.${sql.ref(json)}))`;
const dayStart = (day: string) => sql<Date>`${day}::date`;
const dayEnd = (day: string) => sql<Date>`(${day}::date + interval '1 day')`;

type ProfileScope = ExpressionBuilder<Database & { p: Database['profiles'] }, 'p'>;

function profileFilter(filter: ReportFilter) {
  return (eb: ProfileScope) => {
    const conditions = [];
    if (filter.region) conditions.push(eb('p.region', '=', filter.region));
    if (filter.school) conditions.push(sql<boolean>`p.school_ids @> ${JSON.stringify([filter.school])}::jsonb`);
    if (filter.role) conditions.push(sql<boolean>`p.roles @> ${JSON.stringify([filter.role])}::jsonb`);
    return eb.and(conditions);
  };
}

function isoTime(value: Date | string | null): string | null {
  if (value === null) return null;
  return (typeof value === 'string' ? new Date(value) : value).toISOString();
}

export function createAdminQueries(db: Db): AdminQueries {
  return {
    async loginActivity(filter) {
      const logins = db
        .selectFrom('audit_events')
        .select(['target', sql<Date>`min(at)`.as('first_at'), sql<Date>`max(at)`.as('last_at'), sql<string>`count(*)`.as('count')])
        .where('action', '=', LOGIN_AUDIT_ACTION)
        .where('outcome', '=', 'success')
        .$if(!!filter.from, (q) => q.where('at', '>=', dayStart(filter.from!)))
        .$if(!!filter.to, (q) => q.where('at', '<', dayEnd(filter.to!)))
        .groupBy('target')
        .as('l');
      const rows = await db
        .selectFrom('profiles as p')
        .leftJoin(logins, 'l.target', 'p.id')
        .select(['p.id', fullName.as('full_name'), asText('roles').as('roles'), asText('school_ids').as('school_ids'), 'p.region', 'l.first_at', 'l.last_at', 'l.count'])
        .where(profileFilter(filter))
        .orderBy('p.last_name')
        .orderBy('p.first_name')
        .orderBy('p.id')
        .execute();
      return rows.map((r) => ({
        profile_id: r.id,
        full_name: r.full_name,
        roles: r.roles,
        school_ids: r.school_ids,
        region: r.region,
        esia_login: r.count ? 'yes' : 'no',
        first_esia_login: isoTime(r.first_at),
        last_esia_login: isoTime(r.last_at),
        esia_login_count: Number(r.count ?? 0),
      }));
    },

    async completeness(filter) {
      return db
        .selectFrom('profiles as p')
        .select([
          'p.id as profile_id',
          fullName.as('full_name'),
          asText('roles').as('roles'),
          asText('school_ids').as('school_ids'),
          'p.region',
          yesNo(sql`p.snils_hmac is not null`).as('has_snils'),
          yesNo(sql`p.birth_date is not null`).as('has_birth_date'),
          yesNo(sql`p.activated`).as('activated'),
        ])
        .where(profileFilter(filter))
        .where((eb) => eb.or([eb('p.snils_hmac', 'is', null), eb('p.birth_date', 'is', null), eb('p.activated', '=', false)]))
        .orderBy('p.last_name')
        .orderBy('p.first_name')
        .orderBy('p.id')
        .execute();
    },

    async loginOutcomes(filter) {
      const rows = await db
        .selectFrom('audit_events')
        .select([
          sql<string>`to_char(date_trunc('day', at), 'YYYY-MM-DD')`.as('day'),
          'region',
          sql<string>`coalesce(reason, outcome)`.as('outcome'),
          sql<string>`count(*)`.as('count'),
        ])
        .where('action', '=', LOGIN_AUDIT_ACTION)
        .$if(!!filter.region, (q) => q.where('region', '=', filter.region!))
        .$if(!!filter.from, (q) => q.where('at', '>=', dayStart(filter.from!)))
        .$if(!!filter.to, (q) => q.where('at', '<', dayEnd(filter.to!)))
        .groupBy([sql`1`, 'region', sql`3`])
        .orderBy(sql`1`)
        .orderBy('region')
        .orderBy(sql`3`)
        .execute();
      return rows.map((r) => ({ day: r.day, region: r.region, outcome: r.outcome, count: Number(r.count) }));
    },

    async audit(filter: AuditFilter) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .$if(!!filter.action, (q) => q.where('action', '=', filter.action!))
        .$if(!!filter.actor, (q) => q.where('actor', '=', filter.actor!))
        .$if(!!filter.target, (q) => q.where('target', '=', filter.target!))
        .$if(!!filter.outcome, (q) => q.where('outcome', '=', filter.outcome!))
        .$if(!!filter.from, (q) => q.where('at', '>=', dayStart(filter.from!)))
        .$if(!!filter.to, (q) => q.where('at', '<', dayEnd(filter.to!)))
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
