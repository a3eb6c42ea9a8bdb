import type { DiaryProfile } from '../accounts/directory.js';
import { acrForLevel, type EsiaLevel } from '../esia/person.js';

/**
 * Claims by scope (OIDC Core §5.4). `sub` is the diary profile id; SNILS is never a claim.
 * `diary` is ours: roles, school ids and region, what a diary backend authorizes on.
 */
export const CLAIMS_BY_SCOPE = {
  profile: ['family_name', 'given_name', 'middle_name', 'name', 'birthdate'],
  email: ['email', 'email_verified'],
  diary: ['roles', 'school_ids', 'region'],
} as const;

export const ACR_VALUES = ['urn:esia:simplified', 'urn:esia:standard', 'urn:esia:confirmed'] as const;

const LEVELS: readonly EsiaLevel[] = ['simplified', 'standard', 'confirmed'];

/**
 * The lowest ESIA level an `acr_values` request accepts (OIDC Core §3.1.2.1: any listed value
 * will do, so the lowest one counts); values we do not know are ignored. undefined: none asked.
 */
export function acrMinimum(acrValues: string | undefined): EsiaLevel | undefined {
  const asked = (acrValues ?? '').split(' ').filter((value) => (ACR_VALUES as readonly string[]).includes(value));
  const levels = asked.map((value) => LEVELS.indexOf(value.slice('urn:esia:'.length) as EsiaLevel));
  return levels.length > 0 ? LEVELS[Math.min(...levels)] : undefined;
}

export function meetsAcr(level: EsiaLevel, minimum: EsiaLevel | undefined): boolean {
  return minimum === undefined || LEVELS.indexOf(level) >= LEVELS.indexOf(minimum);
}

export function userClaims(profile: DiaryProfile, scope: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: profile.id };
  if (scope.includes('profile')) {
    claims['family_name'] = profile.lastName;
    claims['given_name'] = profile.firstName;
    if (profile.middleName) claims['middle_name'] = profile.middleName;
    // Russian order: Фамилия Имя Отчество.
    claims['name'] = [profile.lastName, profile.firstName, profile.middleName].filter(Boolean).join(' ');
    if (profile.birthDate) claims['birthdate'] = profile.birthDate;
  }
  if (scope.includes('email') && profile.email) {
    claims['email'] = profile.email;
    claims['email_verified'] = profile.emailConfirmed;
  }
  if (scope.includes('diary')) Object.assign(claims, diaryClaims(profile));
  return claims;
}

/** Also carried in the access token, so a diary backend can authorize without a lookup. */
export function diaryClaims(profile: DiaryProfile): { roles: string[]; school_ids: string[]; region: string } {
  return { roles: profile.roles, school_ids: profile.schoolIds, region: profile.region };
}

/** How the person authenticated: the ESIA account level as `acr`, ESIA as the method. */
export function authenticationClaims(level: EsiaLevel, authTime: number): { acr: string; amr: string[]; auth_time: number } {
  return { acr: acrForLevel(level), amr: ['esia'], auth_time: authTime };
}
