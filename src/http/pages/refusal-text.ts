import type { EsiaLevel } from '../../esia/person.js';
import type { EffectivePolicy, GroupPolicy } from '../../policy/effective-policy.js';
import { REASONS, type ReasonCode } from '../../policy/reasons.js';
import type { AgeBand, Role } from '../../policy/roles.js';

/**
 * What a refusal page says, built from the effective policy of the person's region (the same
 * one GET /regions/NN publishes): the age threshold, the ESIA levels asked of the person's age
 * band, whether ESIA is the only way in, and the region's own login page. Without a region
 * (not in the table) or without a birth date the page says only what holds for everyone.
 */
export interface RefusalSituation {
  /** The region's effective policy on the login day; undefined when the region is not in the table. */
  region: EffectivePolicy | undefined;
  /** The age band the rules applied; 'unknown': no birth date was known, the adult rules applied. */
  ageBand: AgeBand | 'unknown';
  /** The matched profile's roles, when a profile was matched. */
  roles?: readonly Role[] | undefined;
}

export interface RefusalText {
  title: string;
  explanation: string;
  whatToDo: string[];
}

export const UNKNOWN_SITUATION: RefusalSituation = { region: undefined, ageBand: 'unknown' };

const LEVEL_NAMES: Readonly<Record<EsiaLevel, string>> = { simplified: 'Упрощённая', standard: 'Стандартная', confirmed: 'Подтверждённая' };
/** «для учеников …»: genitive plural after «для». */
const ROLES_FOR: Readonly<Record<Role, string>> = { student: 'учеников', parent: 'родителей', teacher: 'учителей', staff: 'сотрудников', admin: 'администраторов' };
const ROLE_NAMES: Readonly<Record<Role, string>> = { student: 'ученик', parent: 'родитель', teacher: 'учитель', staff: 'сотрудник', admin: 'администратор' };

/** The bank that renamed itself in 2024 goes by its new name. */
const BANKS = 'Сбербанк, Т-Банк, Почта Банк';

function bandWords(band: AgeBand, adultAge: number): string {
  return band === 'adult' ? `с ${adultAge} лет` : `младше ${adultAge} лет`;
}

function levelsText(levels: readonly EsiaLevel[]): string {
  const names = levels.map((level) => LEVEL_NAMES[level]);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} или ${names.at(-1)}`;
}

/** The groups of the person: their band (the adult rules without a birth date) and, when known, their roles. */
function groupsOf(region: EffectivePolicy, situation: RefusalSituation): GroupPolicy[] {
  const band: AgeBand = situation.ageBand === 'minor' ? 'minor' : 'adult';
  const roles = situation.roles?.length ? situation.roles : undefined;
  return region.groups.filter((g) => g.ageBand === band && (!roles || roles.includes(g.role)));
}

const inRegion = (region: EffectivePolicy, capital = true) => `${capital ? 'В' : 'в'} вашем регионе (${region.name})`;

/** «Пока уровень не повышен: войдите…»: an optional lead-in before an offer. */
const lead = (when: string, sentence: string) => (when ? `${when}${sentence.charAt(0).toLowerCase()}${sentence.slice(1)}` : sentence);

/** Whether the diary's own password form is a way in for this person, in the region's words. */
function passwordFormStep(situation: RefusalSituation, when = ''): string {
  const region = situation.region;
  if (!region) return lead(when, 'Воспользуйтесь стандартной формой входа электронного дневника (логин и пароль), если она доступна в вашем регионе.');
  if (region.mode === 'off') return lead(when, `Войдите по логину и паролю электронного дневника на странице входа вашего региона: ${region.loginUrl}`);
  const groups = groupsOf(region, situation);
  const withForm = groups.filter((g) => g.passwordForm);
  if (withForm.length === 0) return `${inRegion(region)} вход в электронный дневник возможен только через госуслуги.`;
  if (withForm.length === groups.length) return lead(when, `Войти в электронный дневник можно и по логину и паролю на странице входа вашего региона: ${region.loginUrl}`);
  const who = withForm.map((g) => `${ROLES_FOR[g.role]} ${bandWords(g.ageBand, region.adultAge)}`).join(', ');
  return `${inRegion(region)} вход по логину и паролю (${region.loginUrl}) сохранён только для ${who}; для остальных — только через госуслуги.`;
}

const PROFILE_STEP = 'Войдите на портал госуслуг (esia.gosuslugi.ru), нажмите «Заполнить профиль» и укажите ФИО, пол, дату рождения, гражданство, паспортные данные и СНИЛС.';
const CHECK_STEP = 'Дождитесь завершения проверки сведений (от 15 минут до 5 дней): учётная запись станет Стандартной автоматически.';
const confirmedStep = (first: boolean) =>
  `${first ? 'Обратитесь' : 'Или обратитесь'} в центр обслуживания (МФЦ) с паспортом и СНИЛС: там сразу создадут Подтверждённую учётную запись. Подтверждённую учётную запись можно создать и онлайн через интернет-банк (${BANKS}).`;

/** How to reach one of `levels` from a lower level. */
function raiseSteps(levels: readonly EsiaLevel[]): string[] {
  return levels.includes('standard') ? [PROFILE_STEP, CHECK_STEP, confirmedStep(false)] : [confirmedStep(true)];
}

function levelTooLow(situation: RefusalSituation): RefusalText {
  const { title } = REASONS.esia_level_too_low;
  const region = situation.region;
  if (!region) {
    const generic = REASONS.esia_level_too_low;
    return { title, explanation: generic.explanation, whatToDo: [...generic.whatToDo] };
  }
  const band: AgeBand = situation.ageBand === 'minor' ? 'minor' : 'adult';
  const group = region.groups.find((g) => g.ageBand === band);
  const levels = group?.requiredLevels ?? [];
  const who = `пользователям ${bandWords(band, region.adultAge)}`;
  const childAccount = band === 'minor' && group?.childAccountRequired === true;
  const need = `нужна ${levelsText(levels)} учётная запись на портале госуслуг${childAccount ? ', зарегистрированная из профиля родителя или прикреплённая к нему' : ''}`;
  const explanation =
    situation.ageBand === 'unknown'
      ? `Портал госуслуг не сообщил дату вашего рождения, поэтому действуют правила для пользователей с ${region.adultAge} лет: ${inRegion(region, false)} для входа в электронный дневник через госуслуги ${need}. Ваша учётная запись этому не соответствует.`
      : `${inRegion(region)} ${who} для входа в электронный дневник через госуслуги ${need}. Ваша учётная запись этому не соответствует.`;
  const steps: string[] = [];
  if (childAccount) steps.push('Попросите родителя зарегистрировать вашу учётную запись из его профиля на портале госуслуг или прикрепить её к его профилю, затем повторите вход.');
  if (!levels.includes('simplified')) steps.push(...raiseSteps(levels));
  if (situation.ageBand === 'unknown') steps.push(`Если вам меньше ${region.adultAge} лет, укажите дату рождения в профиле на портале госуслуг и повторите вход.`);
  steps.push(passwordFormStep(situation, 'Пока уровень не повышен: '));
  return { title, explanation, whatToDo: steps };
}

function roleClosed(situation: RefusalSituation): RefusalText {
  const { title, whatToDo } = REASONS.role_not_rolled_out;
  const region = situation.region;
  if (!region) return { title, explanation: REASONS.role_not_rolled_out.explanation, whatToDo: [...whatToDo] };
  const closed = groupsOf(region, situation).filter((g) => g.access === 'closed');
  const roles = [...new Set(closed.map((g) => ROLE_NAMES[g.role]))];
  const whose = roles.length > 0 ? `с ролью «${roles.join('», «')}»` : 'с вашей ролью';
  return {
    title,
    explanation: `${inRegion(region)} вход в электронный дневник через портал госуслуг для пользователей ${whose} ещё не открыт.`,
    whatToDo: [passwordFormStep(situation), 'Сроки перехода на вход через госуслуги уточните у администратора дневника в образовательной организации.'],
  };
}

function regionOff(situation: RefusalSituation): RefusalText {
  const { title, explanation } = REASONS.region_not_enabled;
  const region = situation.region;
  return {
    title,
    explanation: region ? `${inRegion(region)} вход в электронный дневник через портал госуслуг не подключён.` : explanation,
    whatToDo: [passwordFormStep(situation)],
  };
}

/** Reasons whose way out depends on the region only through the password form, if at all. */
function withPasswordForm(code: ReasonCode, situation: RefusalSituation, when: string): RefusalText {
  const reason = REASONS[code];
  return { title: reason.title, explanation: reason.explanation, whatToDo: [...reason.whatToDo, passwordFormStep(situation, when)] };
}

export function refusalText(code: ReasonCode, situation: RefusalSituation = UNKNOWN_SITUATION): RefusalText {
  switch (code) {
    case 'esia_level_too_low':
      return levelTooLow(situation);
    case 'role_not_rolled_out':
      return roleClosed(situation);
    case 'region_not_enabled':
      return regionOff(situation);
    case 'esia_unavailable': {
      const reason = REASONS.esia_unavailable;
      return { title: reason.title, explanation: reason.explanation, whatToDo: ['Повторите вход через несколько минут.', passwordFormStep(situation, 'Если ошибка повторяется: ')] };
    }
    case 'name_snils_mismatch':
    case 'name_birthdate_mismatch':
      return withPasswordForm(code, situation, 'Пока данные не исправлены: ');
    default: {
      const reason = REASONS[code];
      return { title: reason.title, explanation: reason.explanation, whatToDo: [...reason.whatToDo] };
    }
  }
}
