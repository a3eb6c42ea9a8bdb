import t from 'tap';
import type { DiaryProfile } from '../../../src/accounts/directory.js';
import { createGrantStanding } from '../../../src/accounts/grant-standing.js';
import type { AccountLink } from '../../../src/accounts/links.js';
import { parseRegionTable } from '../../../src/policy/region-schema.js';
import { shipped } from '../../helpers/seed-regions.js';

/** May the ESIA account still enter the profile a grant was issued for? One case per way it stops. */
const OID = '1000000101';
const profile: DiaryProfile = {
  id: 'p-1', login: 'p1', lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12',
  snilsHash: undefined, snilsLast4: undefined, email: undefined, emailConfirmed: false, roles: ['parent'], schoolIds: ['school-1'], classes: [], activated: true, region: '38',
};
const linkTo = (esiaOid: string): AccountLink => ({ esiaOid, profileId: profile.id, method: 'snils', isDefault: false, createdAt: new Date(), lastLoginAt: null });

function withRegion38(mode: string) {
  const raw = [...shipped.regions.values()].map((r) => (r.code === '38' ? { ...r, mode } : r));
  const parsed = parseRegionTable({ regions: raw });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.table;
}
const without38 = () => {
  const parsed = parseRegionTable({ regions: [...shipped.regions.values()].filter((r) => r.code !== '38') });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.table;
};

const cases: Array<{ name: string; profile?: DiaryProfile | null; link?: AccountLink | null; regions?: () => ReturnType<typeof without38>; expect: { reason: string; detail: string } | undefined }> = [
  { name: 'linked, activated, attached, region enabled: stands', expect: undefined },
  { name: 'the profile was deleted', profile: null, expect: { reason: 'profile_not_found', detail: 'profile_deleted' } },
  { name: 'the link was removed', link: null, expect: { reason: 'profile_not_found', detail: 'link_removed' } },
  { name: 'the profile is now linked to another ESIA account', link: linkTo('1000000999'), expect: { reason: 'profile_not_found', detail: 'link_removed' } },
  { name: 'deactivated', profile: { ...profile, activated: false }, expect: { reason: 'profile_not_activated', detail: 'profile_not_activated' } },
  { name: 'attached to no school', profile: { ...profile, schoolIds: [] }, expect: { reason: 'profile_not_attached', detail: 'profile_not_attached' } },
  { name: 'its region switched off', regions: () => withRegion38('off'), expect: { reason: 'region_not_enabled', detail: 'region_off' } },
  { name: 'its region left the table', regions: without38, expect: { reason: 'region_not_enabled', detail: 'region_not_listed' } },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const standing = createGrantStanding({
      links: { linkOfProfile: async () => (c.link === undefined ? linkTo(OID) : c.link) },
      directory: { findById: async () => (c.profile === undefined ? profile : c.profile) },
      regions: c.regions ?? (() => shipped),
    });
    const refusal = await standing(OID, profile.id);
    if (c.expect) t.match(refusal, { kind: 'deny', ...c.expect });
    else t.equal(refusal, undefined);
  });
}
