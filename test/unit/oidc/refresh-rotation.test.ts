import t from 'tap';
import { decideRotation, type Family, type RotationView } from '../../../src/oidc/refresh-tokens.js';

const NOW = Date.parse('2026-09-01T10:00:00Z');
const GRACE = 5000;
const family: Family = {
  id: 'f1', clientId: 'diary', profileId: 'p1', esiaOid: '1', level: 'standard', authTime: 0,
  scope: ['openid'], resource: [], sessionSid: undefined, expiresAt: new Date(NOW + 3600_000), revokedAt: null, revokedReason: null,
};
const token = { hash: 'h0', expiresAt: new Date(NOW + 3600_000), usedAt: null, successorHash: null };
const successor = { hash: 'h1', expiresAt: new Date(NOW + 3600_000), usedAt: null, successorHash: null };
const view = (patch: Partial<RotationView> = {}): RotationView => ({ token, family, successor: null, ...patch });
const used = (msAgo: number) => ({ ...token, usedAt: new Date(NOW - msAgo), successorHash: 'h1' });

// Each row: the situation, and what a refresh by `client` must do (RFC 9700 §4.14.2).
const cases: Array<[string, RotationView | null, string, ReturnType<typeof decideRotation>]> = [
  ['unknown token', null, 'diary', { action: 'refuse', why: 'unknown' }],
  ['first use rotates', view(), 'diary', { action: 'rotate' }],
  ['another client is refused, the family lives', view(), 'other', { action: 'refuse', why: 'other_client' }],
  ['revoked family', view({ family: { ...family, revokedAt: new Date(NOW - 1) } }), 'diary', { action: 'refuse', why: 'revoked' }],
  ['expired token', view({ token: { ...token, expiresAt: new Date(NOW) } }), 'diary', { action: 'refuse', why: 'expired' }],
  ['expired family', view({ family: { ...family, expiresAt: new Date(NOW - 1) } }), 'diary', { action: 'refuse', why: 'expired' }],
  ['retry within grace gets the same successor', view({ token: used(1000), successor }), 'diary', { action: 'grace' }],
  ['reuse after grace revokes the family', view({ token: used(GRACE + 1), successor }), 'diary', { action: 'revoke-family', reason: 'refresh_token_reuse' }],
  ['reuse within grace after the successor was used revokes', view({ token: used(1000), successor: { ...successor, usedAt: new Date(NOW - 500) } }), 'diary', { action: 'revoke-family', reason: 'refresh_token_reuse' }],
  ['a successor that does not derive from this token revokes', view({ token: { ...used(1000), successorHash: 'other' }, successor }), 'diary', { action: 'revoke-family', reason: 'refresh_token_reuse' }],
];

for (const [name, situation, client, expected] of cases) {
  t.same(decideRotation(situation, client, NOW, GRACE, 'h1'), expected, name);
}

// RFC 9449 §5: a family bound to a DPoP key refreshes only with a proof by that key; without
// one, or with another, nothing is used up (not reuse: the presenter lacks the key).
const bound = view({ family: { ...family, dpopJkt: 'jkt-1' } });
t.same(decideRotation(bound, 'diary', NOW, GRACE, 'h1', 'jkt-1'), { action: 'rotate' }, 'a bound family with its key rotates');
t.same(decideRotation(bound, 'diary', NOW, GRACE, 'h1', 'jkt-2'), { action: 'refuse', why: 'other_dpop_key' }, 'another key is refused');
t.same(decideRotation(bound, 'diary', NOW, GRACE, 'h1'), { action: 'refuse', why: 'other_dpop_key' }, 'no proof is refused');
t.same(decideRotation(view({ token: used(GRACE + 1), successor, family: { ...family, dpopJkt: 'jkt-1' } }), 'diary', NOW, GRACE, 'h1', 'jkt-2'), { action: 'refuse', why: 'other_dpop_key' }, 'a used bound token with another key revokes nothing');
t.same(decideRotation(view(), 'diary', NOW, GRACE, 'h1', 'jkt-1'), { action: 'rotate' }, 'an unbound family takes any proof (a confidential client)');
