/**
 * What a diary tells a person whose login through the broker came back with an error, by the
 * broker's reason code (the word before the colon in `error_description`). The English
 * description after the colon is for logs and developers, never for people.
 *
 * Self-contained on purpose (no imports): a diary integrator may copy this file as it is.
 * `passwordForm` says whether the diary should point at its own login and password form.
 */
export interface ReasonText {
  /** One or two sentences in Russian: what happened and what to do. */
  text: string;
  /** True when the diary's own password form is the way in now (if the region keeps it). */
  passwordForm: boolean;
}

export const REASON_TEXTS: Readonly<Record<string, ReasonText>> = {
  consent_refused: { text: 'Вы отказали в доступе к данным на портале госуслуг. Чтобы войти, начните вход заново и нажмите «Предоставить».', passwordForm: false },
  region_not_enabled: { text: 'В вашем регионе вход через госуслуги не подключён.', passwordForm: true },
  role_not_rolled_out: { text: 'В вашем регионе вход через госуслуги для вашей роли пока не открыт.', passwordForm: true },
  esia_level_too_low: { text: 'Уровень вашей учётной записи госуслуг недостаточен для входа в дневник. Повысить его можно на портале госуслуг (заполнить профиль и дождаться проверки) или в МФЦ.', passwordForm: false },
  acr_not_satisfied: { text: 'Для этого раздела дневника нужна учётная запись госуслуг более высокого уровня.', passwordForm: false },
  login_superseded: { text: 'Этот вход заменён более новым входом в том же браузере. Продолжите вход в другой вкладке или начните его заново.', passwordForm: false },
  profile_not_found: { text: 'Ваш профиль в дневнике не найден. Обратитесь к администратору дневника в вашей образовательной организации.', passwordForm: false },
  profile_not_attached: { text: 'Ваш профиль в дневнике не привязан к образовательной организации. Обратитесь к администратору дневника в вашей образовательной организации.', passwordForm: false },
  profile_not_activated: { text: 'Ваш профиль в дневнике ещё не активирован: войдите один раз с временными логином и паролем, которые выдала образовательная организация.', passwordForm: true },
  name_snils_mismatch: { text: 'ФИО или СНИЛС на госуслугах и в дневнике не совпадают. Исправить данные в дневнике может администратор вашей образовательной организации.', passwordForm: false },
  name_birthdate_mismatch: { text: 'ФИО или дата рождения на госуслугах и в дневнике не совпадают. Исправить данные в дневнике может администратор вашей образовательной организации.', passwordForm: false },
  link_failed: { text: 'Связать учётную запись госуслуг с профилем дневника не удалось. Попробуйте войти ещё раз.', passwordForm: false },
  esia_unavailable: { text: 'Портал госуслуг временно недоступен. Попробуйте войти через несколько минут.', passwordForm: true },
};

/** For OAuth errors that carry no reason code (RFC 6749 §4.1.2.1). */
const ERROR_TEXTS: Readonly<Record<string, ReasonText>> = {
  temporarily_unavailable: { text: 'Сервис входа временно недоступен. Попробуйте войти через несколько минут.', passwordForm: true },
  access_denied: { text: 'Вход через госуслуги не выполнен.', passwordForm: true },
};

const FALLBACK: ReasonText = { text: 'Войти через госуслуги не удалось. Попробуйте ещё раз; если ошибка повторяется, сообщите о ней в поддержку дневника.', passwordForm: true };

/** The reason code an error_description starts with (`esia_level_too_low: …`), if any. */
export function reasonCodeOf(errorDescription: string | undefined): string | undefined {
  const match = /^([a-z][a-z_]{1,63}):/.exec(errorDescription ?? '');
  return match?.[1];
}

/** The Russian text for an error redirect: by reason code, else by OAuth error, else a general one. */
export function reasonText(error: string, errorDescription: string | undefined): ReasonText {
  const code = reasonCodeOf(errorDescription);
  return (code !== undefined ? REASON_TEXTS[code] : undefined) ?? ERROR_TEXTS[error] ?? FALLBACK;
}
