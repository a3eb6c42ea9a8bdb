import { regionGate } from '../policy/decide.js';
import type { RegionTable } from '../policy/region-schema.js';
import { deny, type Deny } from './context.js';
import type { Directory } from './directory.js';
import { standingFailure } from './eligibility.js';
import type { LinkStore } from './links.js';

/**
 * May this ESIA account still enter this diary profile, for tokens issued at an earlier login?
 * The profile still exists → still linked to this account → standingFailure (attached,
 * activated: the login's own checks) → regionGate (the one /authorize applies). The person's ESIA facts (level, age) were checked at that login and
 * stay what they were; what an admin, an import or the region table can change since is
 * checked here, on every refresh, userinfo and introspection.
 */
export type GrantStanding = (esiaOid: string, profileId: string) => Promise<Deny | undefined>;

export interface GrantStandingDeps {
  links: Pick<LinkStore, 'linkOfProfile'>;
  directory: Pick<Directory, 'findById'>;
  /** The live region table (deps.regions.current): a region switched off takes effect at once. */
  regions: () => RegionTable;
}

export function createGrantStanding(deps: GrantStandingDeps): GrantStanding {
  return async (esiaOid, profileId) => {
    const [link, profile] = await Promise.all([deps.links.linkOfProfile(profileId), deps.directory.findById(profileId)]);
    if (!profile) return deny('profile_not_found', 'profile_deleted');
    if (link?.esiaOid !== esiaOid) return deny('profile_not_found', 'link_removed');
    const failure = standingFailure(profile);
    if (failure) return failure;
    const closed = regionGate(deps.regions().get(profile.region));
    return closed ? deny(closed.reason, closed.detail) : undefined;
  };
}
