/**
 * Why a login was refused: one code per cause (catalogue: docs/oidc.md, "Reason codes"), each
 * with what the person reads (Russian, in the words of the diary service's help pages), the
 * OAuth error the diary frontend gets, and the metric/audit label (the code itself). The page
 * completes the text with the rules of the person's region (http/pages/refusal-text.ts); these
 * words hold wherever the person is.
 */
export const REASON_CODES = [
  'consent_refused',
  'region_not_enabled',
  'role_not_rolled_out',
  'esia_level_too_low',
  'profile_not_found',
  'profile_not_attached',
  'profile_not_activated',
  'name_snils_mismatch',
  'name_birthdate_mismatch',
  'link_failed',
  'esia_unavailable',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  code: ReasonCode;
  /** Page heading. */
  title: string;
  /** What is wrong, in plain words. */
  explanation: string;
  /** What the person can do about it. */
  whatToDo: string[];
  /** The OAuth error the frontend receives (RFC 6749 §4.1.2.1). */
  oauthError: 'access_denied' | 'temporarily_unavailable';
  /** error_description for the frontend: short, English, no personal data. */
  description: string;
}

const SCHOOL_ADMIN = 'Обратитесь к сотруднику вашей образовательной организации, который является администратором в электронном дневнике.';

export const REASONS: Readonly<Record<ReasonCode, Reason>> = {
  consent_refused: {
    code: 'consent_refused',
    title: 'Вы отказали в доступе к данным',
    explanation: 'На портале госуслуг была нажата кнопка «Отказать». Без разрешения на доступ к данным учётной записи войти в дневник через госуслуги невозможно.',
    whatToDo: ['Начните вход заново и на странице госуслуг нажмите «Предоставить».'],
    oauthError: 'access_denied',
    description: 'the person refused consent at ESIA',
  },
  region_not_enabled: {
    code: 'region_not_enabled',
    title: 'Вход через госуслуги недоступен в вашем регионе',
    explanation: 'Для вашего региона вход в электронный дневник через портал госуслуг не подключён.',
    whatToDo: ['Воспользуйтесь стандартной формой входа электронного дневника (логин и пароль).'],
    oauthError: 'access_denied',
    description: 'ESIA login is not enabled for this region',
  },
  role_not_rolled_out: {
    code: 'role_not_rolled_out',
    title: 'Вход через госуслуги для вашей роли пока закрыт',
    explanation: 'В вашем регионе вход через портал госуслуг для пользователей с вашей ролью ещё не открыт.',
    whatToDo: ['Воспользуйтесь стандартной формой входа электронного дневника (логин и пароль).', 'Сроки перехода на вход через госуслуги уточните у администратора дневника в образовательной организации.'],
    oauthError: 'access_denied',
    description: 'ESIA login is not open to this role in this region',
  },
  esia_level_too_low: {
    code: 'esia_level_too_low',
    title: 'Учётная запись госуслуг ниже требуемого уровня',
    // The page names the person's region, its threshold and levels (http/pages/refusal-text.ts);
    // this text is for when the region is not known.
    explanation: 'Пользователям с 14 лет (в некоторых регионах — с 18 лет) для входа в дневник нужна Стандартная или Подтверждённая учётная запись на портале госуслуг. Ваша учётная запись этому не соответствует.',
    whatToDo: [
      'Войдите на портал госуслуг (esia.gosuslugi.ru), нажмите «Заполнить профиль» и укажите ФИО, пол, дату рождения, гражданство, паспортные данные и СНИЛС.',
      'Дождитесь завершения проверки сведений (от 15 минут до 5 дней): учётная запись станет Стандартной автоматически.',
      'Или обратитесь в центр обслуживания (МФЦ) с паспортом и СНИЛС: там сразу создадут Подтверждённую учётную запись. Подтверждённую учётную запись можно создать и онлайн через интернет-банк (Сбербанк, Т-Банк, Почта Банк).',
    ],
    oauthError: 'access_denied',
    description: 'the ESIA account level is below what this region requires',
  },
  profile_not_found: {
    code: 'profile_not_found',
    title: 'Профиль в электронном дневнике не найден',
    explanation: 'Мы не нашли ваш профиль в электронном дневнике по данным, полученным с портала госуслуг.',
    whatToDo: [
      'Если у вас есть логин и пароль от дневника, свяжите учётные записи вручную на странице входа.',
      `Если профиля нет, ${SCHOOL_ADMIN.charAt(0).toLowerCase()}${SCHOOL_ADMIN.slice(1)} Он зарегистрирует вас и выдаст данные для входа.`,
    ],
    oauthError: 'access_denied',
    description: 'no diary profile matches this ESIA account',
  },
  profile_not_attached: {
    code: 'profile_not_attached',
    title: 'Профиль не привязан к образовательной организации',
    explanation: 'Ваш профиль в электронном дневнике не привязан ни к одной образовательной организации.',
    whatToDo: [SCHOOL_ADMIN, 'Попросите привязать ваш профиль к образовательной организации.'],
    oauthError: 'access_denied',
    description: 'the diary profile is not attached to any school',
  },
  profile_not_activated: {
    code: 'profile_not_activated',
    title: 'Профиль в дневнике ещё не активирован',
    explanation: 'Ваш профиль в электронном дневнике ещё не активирован: в него ни разу не входили с временным логином и паролем, выданными образовательной организацией.',
    whatToDo: ['Войдите в дневник один раз с временными логином и паролем, задайте постоянный пароль, затем повторите вход через госуслуги.', SCHOOL_ADMIN],
    oauthError: 'access_denied',
    description: 'the diary profile is not activated',
  },
  name_snils_mismatch: {
    code: 'name_snils_mismatch',
    title: 'ФИО или СНИЛС не совпадают',
    explanation: 'ФИО и СНИЛС в вашей учётной записи госуслуг и в профиле электронного дневника не совпадают.',
    whatToDo: [
      'Проверьте ФИО и СНИЛС в профиле на портале госуслуг: их вы можете исправить сами.',
      `Чтобы исправить ФИО или СНИЛС в дневнике: ${SCHOOL_ADMIN.charAt(0).toLowerCase()}${SCHOOL_ADMIN.slice(1)} Сами исправить эти данные в дневнике вы не можете.`,
    ],
    oauthError: 'access_denied',
    description: 'name or SNILS differ between ESIA and the diary profile',
  },
  name_birthdate_mismatch: {
    code: 'name_birthdate_mismatch',
    title: 'ФИО или дата рождения не совпадают',
    explanation: 'ФИО или дата рождения в вашей учётной записи госуслуг и в профиле электронного дневника не совпадают.',
    whatToDo: [
      'Проверьте ФИО и дату рождения в профиле на портале госуслуг.',
      `Если ошибка в дневнике (например, указана некорректная дата рождения): ${SCHOOL_ADMIN.charAt(0).toLowerCase()}${SCHOOL_ADMIN.slice(1)}`,
    ],
    oauthError: 'access_denied',
    description: 'name or birth date differ between ESIA and the diary profile',
  },
  link_failed: {
    code: 'link_failed',
    title: 'Не удалось связать учётные записи',
    explanation: 'Связать учётную запись госуслуг с профилем электронного дневника не удалось.',
    whatToDo: [
      'Проверьте логин и пароль от дневника и попробуйте ещё раз.',
      'Забыли логин или пароль? Восстановите доступ в дневнике или обратитесь к администратору дневника в образовательной организации.',
      'Если ваша учётная запись госуслуг или профиль дневника уже связаны с другой учётной записью, сначала отвяжите старую связь (или попросите об этом администратора дневника), затем повторите вход.',
    ],
    oauthError: 'access_denied',
    description: 'linking the ESIA account to a diary profile failed',
  },
  esia_unavailable: {
    code: 'esia_unavailable',
    title: 'Портал госуслуг временно недоступен',
    explanation: 'Не удалось получить ответ от портала госуслуг (ЕСИА). Это временная неполадка, ваши данные не пострадали.',
    whatToDo: ['Повторите вход через несколько минут.', 'Если ошибка повторяется, воспользуйтесь стандартной формой входа дневника, если она доступна в вашем регионе.'],
    oauthError: 'temporarily_unavailable',
    description: 'ESIA is unavailable, try again later',
  },
};
