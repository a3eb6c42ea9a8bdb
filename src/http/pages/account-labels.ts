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

/** The school directory's short names (docs/admin.md); a school it lacks is shown by its code. */
export type SchoolNames = (schoolId: string) => string | undefined;

export function fullName(profile: Pick<DiaryProfile, 'lastName' | 'firstName' | 'middleName'>): string {
  return [profile.lastName, profile.firstName, profile.middleName].filter(Boolean).join(' ');
}

export function rolesText(roles: readonly Role[]): string {
  return roles.map((role) => ROLE_LABELS[role]).join(', ');
}

/** A school the directory does not name: a short neutral word and the code (no error, no wrap). */
export const unnamedSchool = (schoolId: string): string => `организация ${schoolId}`;

export function schoolsText(schoolIds: readonly string[], names: SchoolNames = () => undefined): string {
  return schoolIds.map((id) => names(id) ?? unnamedSchool(id)).join('; ');
}

/** Classes are shown for pupils (the Irkutsk page: «Ученик · 5-в»): what tells a parent's children apart. */
export function classesText(profile: Pick<DiaryProfile, 'roles' | 'classes'>): string | undefined {
  if (!profile.roles.includes('student') || profile.classes.length === 0) return undefined;
  return `${profile.classes.join(', ')} класс`;
}

/** What tells one profile from another: school names (and a pupil's class), e.g. «МАОУ «Лицей № 12» · 5-в класс». */
export function profilePlace(profile: Pick<DiaryProfile, 'roles' | 'classes' | 'schoolIds'>, names?: SchoolNames): string {
  return [profile.schoolIds.length > 0 ? schoolsText(profile.schoolIds, names) : undefined, classesText(profile)].filter(Boolean).join(' · ');
}
