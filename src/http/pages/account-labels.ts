import type { DiaryProfile, Role } from '../../accounts/directory.js';

/** Words the diary itself uses for roles (the Irkutsk page: «Учитель, Родитель», «Ученик», «Сотрудник»). */
export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  student: 'Ученик',
  parent: 'Родитель',
  teacher: 'Учитель',
  staff: 'Сотрудник',
  admin: 'Администратор',
};

/** The hidden form field that carries the anti-CSRF token (same name as the logout form's). */
export const XSRF_FIELD = 'xsrf';

/** School names are not in the directory: the route may pass a lookup; else the id is shown. */
export type SchoolNames = (schoolId: string) => string | undefined;

export function fullName(profile: Pick<DiaryProfile, 'lastName' | 'firstName' | 'middleName'>): string {
  return [profile.lastName, profile.firstName, profile.middleName].filter(Boolean).join(' ');
}

export function rolesText(roles: readonly Role[]): string {
  return roles.map((role) => ROLE_LABELS[role]).join(', ');
}

export function schoolsText(schoolIds: readonly string[], names: SchoolNames = () => undefined): string {
  return schoolIds.map((id) => names(id) ?? `Образовательная организация ${id}`).join('; ');
}
