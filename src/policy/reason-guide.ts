import type { ReasonCode } from './reasons.js';

/**
 * For diary integrators: when each refusal happens and what the diary should do with it. The
 * person's side (the Russian page) lives in reasons.ts; docs/oidc.md's reason-code catalogue is
 * rendered from both (reason-catalogue.ts), so a new code cannot be left out of it.
 */
export interface ReasonGuide {
  /** When the broker refuses with this code. */
  when: string;
  /** What the diary frontend should do when the code comes back in error_description. */
  diaryShould: string;
}

const PASSWORD_FORM = 'Offer its own login and password form (ESIA is not the way in for this person yet); do not send them to /authorize again.';
const SHOW_AND_STOP = 'Show its start page; the person already read the reason and what to do on the broker\'s page. Do not retry on its own.';

/**
 * Codes the diary gets in error_description with no page of ours before it: the browser goes
 * straight back to the diary, so the diary says everything the person reads.
 */
export const REDIRECT_ONLY_CODES = ['acr_not_satisfied', 'login_superseded'] as const;
export type RedirectOnlyCode = (typeof REDIRECT_ONLY_CODES)[number];
/** Every code a refused login can carry back to the diary: the catalogue in docs/oidc.md. */
export type CatalogueCode = ReasonCode | RedirectOnlyCode;

export const REDIRECT_ONLY_GUIDE: Readonly<Record<RedirectOnlyCode, ReasonGuide & { error: 'access_denied' }>> = {
  acr_not_satisfied: {
    error: 'access_denied',
    when: 'The request\'s `acr_values` asks for a higher ESIA account level than the person has (also with an existing SSO session).',
    diaryShould: 'Tell the person (in Russian) that this part of the diary needs a higher Gosuslugi account level, confirmed at Gosuslugi; logging in again does not help. Offer what the lower level allows.',
  },
  login_superseded: {
    error: 'access_denied',
    when: 'The browser started more logins than it may keep pending at once (five: tabs, or the diary opened again and again), so this one, its oldest, was given up. Its tab gets here when it comes back from ESIA or posts a login step.',
    diaryShould: 'Show its start page with the way in: the person finishes the login in a newer tab or simply starts again. Not an error to report.',
  },
};

export const REASON_GUIDE: Readonly<Record<ReasonCode, ReasonGuide>> = {
  consent_refused: {
    when: 'The person pressed «Отказать» on ESIA\'s consent page (ESIA-007004 or `access_denied` on the callback).',
    diaryShould: 'Show its start page with both ways in; the person may simply try again. Not an error to report.',
  },
  region_not_enabled: {
    when: 'The `region` of the request is not in the region table or is switched off (`mode: off`). Refused at `/authorize` before ESIA, straight back to the diary without a page; after ESIA (the region was switched off during the login) with the page.',
    diaryShould: PASSWORD_FORM,
  },
  role_not_rolled_out: {
    when: 'The region closed ESIA login to one of the profile\'s roles (its `closedTo`), or the profile has no role at all. Checked once the profile is known, after ESIA.',
    diaryShould: PASSWORD_FORM,
  },
  esia_level_too_low: {
    when: 'The ESIA account level is below what the region requires for the person\'s age band (e.g. a Simplified account from the age threshold on), or the region wants a child account for minors and ESIA did not send one. ESIA-007055 also lands here.',
    diaryShould: 'Offer the password form where the region keeps it; the person must raise their ESIA account level before ESIA login works.',
  },
  profile_not_found: {
    when: 'No diary profile could be tied to the ESIA account: the person left the manual-link form, or the profile behind a grant was deleted or unlinked (on refresh: `profile_not_found (link_removed)`, `(profile_deleted)`).',
    diaryShould: 'Offer the password form; a person with no profile is registered by the school\'s diary administrator. On refresh: end the diary session.',
  },
  profile_not_attached: {
    when: 'The matched profile is attached to no school.',
    diaryShould: SHOW_AND_STOP + ' The school\'s diary administrator attaches the profile.',
  },
  profile_not_activated: {
    when: 'The matched profile was never activated (never entered with the temporary login and password).',
    diaryShould: 'Offer the password form: one login with the temporary credentials activates the profile, then ESIA login works.',
  },
  name_snils_mismatch: {
    when: 'An adult\'s verified SNILS is in the diary under another name, or a profile linked by hand holds another SNILS or name.',
    diaryShould: SHOW_AND_STOP + ' The data is corrected at ESIA or by the school\'s diary administrator.',
  },
  name_birthdate_mismatch: {
    when: 'The name or birth date from ESIA differs from the profile\'s (a minor linking by hand, or a profile found by e-mail).',
    diaryShould: SHOW_AND_STOP + ' The data is corrected at ESIA or by the school\'s diary administrator.',
  },
  link_failed: {
    when: 'Linking would take over a link: the ESIA account is already linked to another profile, or the profile to another ESIA account; also a forged choice on the chooser.',
    diaryShould: SHOW_AND_STOP + ' The old link is removed by the person (the broker\'s linked-accounts page) or an administrator first.',
  },
  esia_unavailable: {
    when: 'ESIA did not answer, answered with an error, or its answer could not be trusted (timeouts, 5xx, the circuit breaker open, a refused signature, a bad id_token). The page is 503 for an outage, 502 for an answer we refused.',
    diaryShould: 'Offer to try again in a few minutes, and the password form where the region keeps it. `error` is `temporarily_unavailable`.',
  },
};
