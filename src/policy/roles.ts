import type { EsiaLevel } from '../esia/person.js';

/** Diary roles (the directory's vocabulary). Staff of a school ("сотрудники ОО") are teacher, staff and admin. */
export const ROLES = ['student', 'parent', 'teacher', 'staff', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** ESIA account levels, lowest first (docs/esia-protocol.md §8). */
export const ESIA_LEVELS = ['simplified', 'standard', 'confirmed'] as const satisfies readonly EsiaLevel[];

/**
 * Age bands of the help pages: «старше 14 лет» / «младше 14 лет» (18 in Ivanovo). A person is an
 * adult from the day they reach the region's threshold: at 14 a Russian gets a passport and so
 * can hold a Standard account (the Irkutsk page, «необходимо наличие паспорта и СНИЛС»).
 */
export const AGE_BANDS = ['adult', 'minor'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];
