import t from 'tap';
import { esiaCodeOf, translateEsiaError } from '../../../src/esia/errors.js';

// One table for every ESIA answer we know (docs/esia-protocol.md §9): failure and the reason a person sees.
const table: Array<[string, Parameters<typeof translateEsiaError>[0], string, string]> = [
  ['consent refused on the callback', { error: 'access_denied', description: 'ESIA-007004: The resource owner or authorization server denied the request.' }, 'consent_refused', 'consent_refused'],
  ['access_denied without a code', { error: 'access_denied' }, 'consent_refused', 'consent_refused'],
  ['007053 comes as access_denied but is our key', { error: 'access_denied', description: 'ESIA-007053: OAuthErrorEnum.clientSecretWrong' }, 'client_rejected', 'esia_unavailable'],
  ['007005 unauthorized_client', { error: 'unauthorized_client', description: 'ESIA-007005: The client is not authorized…' }, 'client_rejected', 'esia_unavailable'],
  ['007002 no certificate', { description: 'ESIA-007002: …', status: 400 }, 'client_rejected', 'esia_unavailable'],
  ['007014 missing parameter at /te', { error: 'invalid_request', description: 'ESIA-007014: The request doesn`t contain the mandatory parameter [state, client_id].', status: 400 }, 'request_rejected', 'esia_unavailable'],
  ['007019 noGrants', { description: 'ESIA-007019: OAuthErrorEnum.noGrants' }, 'request_rejected', 'esia_unavailable'],
  ['007023 redirect not registered', { description: 'ESIA-007023: …' }, 'request_rejected', 'esia_unavailable'],
  ['007015 wrong time', { error: 'invalid_request', description: 'ESIA-007015: Неверное время запроса' }, 'clock_skew', 'esia_unavailable'],
  ['007011 invalid grant', { error: 'invalid_grant', description: 'ESIA-007011: …', status: 400 }, 'grant_invalid', 'esia_unavailable'],
  ['007008 maintenance', { error: 'temporarily_unavailable', description: 'ESIA-007008: …', status: 503 }, 'unavailable', 'esia_unavailable'],
  ['007007 server error', { description: 'ESIA-007007: …', status: 500 }, 'unavailable', 'esia_unavailable'],
  ['007055 unconfirmed account', { description: 'ESIA-007055: Вход в систему осуществляется с неподтвержденной учетной записью' }, 'account_not_allowed', 'esia_level_too_low'],
  ['HTTP 500 with an HTML body', { status: 500 }, 'unavailable', 'esia_unavailable'],
  ['HTTP 502 with an unknown code', { description: 'ESIA-009999: ?', status: 502 }, 'unavailable', 'esia_unavailable'],
  ['HTTP 401 from the REST API', { status: 401 }, 'request_rejected', 'esia_unavailable'],
  ['HTTP 403 from the REST API', { description: 'ESIA-007019', status: 403 }, 'request_rejected', 'esia_unavailable'],
  ['access_denied at /te is not a consent refusal', { error: 'access_denied', status: 400 }, 'request_rejected', 'esia_unavailable'],
  ['unknown code on the callback', { error: 'invalid_request', description: 'ESIA-007777: new' }, 'unavailable', 'esia_unavailable'],
  ['callback with an unknown error', { error: 'weird' }, 'bad_response', 'esia_unavailable'],
  ['server_error without a code', { error: 'server_error' }, 'unavailable', 'esia_unavailable'],
];

for (const [name, input, failure, reason] of table) {
  t.test(name, async (t) => {
    const error = translateEsiaError(input);
    t.equal(error.failure, failure);
    t.equal(error.reason, reason);
    t.notMatch(error.message, /clientSecretWrong|mandatory|Неверное|denied the request|неподтвержденной/, 'ESIA text stays out, the code is enough');
  });
}

t.test('the ESIA code is read from the start of error_description', async (t) => {
  t.equal(esiaCodeOf('ESIA-007053: OAuthErrorEnum.clientSecretWrong'), '007053');
  t.equal(esiaCodeOf('  ESIA-007004:x'), '007004');
  t.equal(esiaCodeOf('see ESIA-007004'), undefined);
  t.equal(esiaCodeOf(undefined), undefined);
  t.equal(translateEsiaError({ description: 'ESIA-007053: x' }).esiaCode, '007053');
});
