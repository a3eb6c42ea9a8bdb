import { REASON_CODES } from './reasons.js';

/**
 * Every way a login ends: success or one reason code. /metrics counts these (the `outcome`
 * label) and the outcomes report lists them, both written by one recorder
 * (src/http/login/login-outcome.ts), so the two cannot disagree about what happened.
 */
export const LOGIN_OUTCOMES = ['success', ...REASON_CODES] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

/** How the /admin page names an outcome (next to its code): short, in the administrator's words. */
export const OUTCOME_NAMES: Readonly<Record<LoginOutcome, string>> = {
  success: 'успешный вход',
  consent_refused: 'отказ в доступе к данным на госуслугах',
  region_not_enabled: 'вход через госуслуги в регионе не подключён',
  role_not_rolled_out: 'вход для этой роли ещё не открыт',
  esia_level_too_low: 'учётная запись госуслуг ниже нужного уровня',
  profile_not_found: 'профиль в дневнике не найден',
  profile_not_attached: 'профиль не привязан к ОО',
  profile_not_activated: 'профиль не активирован',
  name_snils_mismatch: 'ФИО или СНИЛС не совпадают',
  name_birthdate_mismatch: 'ФИО или дата рождения не совпадают',
  link_failed: 'не удалось связать учётные записи',
  esia_unavailable: 'госуслуги были недоступны',
};

export function isLoginOutcome(value: string): value is LoginOutcome {
  return (LOGIN_OUTCOMES as readonly string[]).includes(value);
}
