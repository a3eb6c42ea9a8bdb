import { sign } from 'node:crypto';
import { randomId, randomToken } from '../crypto/random.js';
import type { Openssl } from '../esia/openssl.js';
import type { Persona } from './personas.js';
import type { TokenAlg } from './registry.js';

/**
 * Tokens shaped like ESIA's (docs/esia-protocol.md §6; docs/emulator.md): headers with ver/typ/sbt, claims with
 * urn:esia:*, an http issuer with a trailing slash, numeric oids, no nonce, no aud on the
 * access token. RS256 through Node; GOST R 34.10-2012 through openssl (OpenSSL byte order).
 */
export interface TokenKeys {
  rsaKeyPem: string;
  rsaCertPem: string;
  gostKeyFile: string;
  gostCertPem: string;
}

export interface Grant {
  clientId: string;
  oid: string;
  /** Granted scopes, space-separated, as requested. */
  scope: string;
  sid: string;
  authTime: number;
  offline: boolean;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function signJwt(openssl: Openssl, keys: TokenKeys, alg: TokenAlg, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const input = `${b64({ ...header, alg })}.${b64(payload)}`;
  const signature =
    alg === 'RS256'
      ? sign('sha256', Buffer.from(input), keys.rsaKeyPem)
      : await openssl.run(['dgst', '-md_gost12_256', '-sign', keys.gostKeyFile], { input: Buffer.from(input) });
  return `${input}.${signature.toString('base64url')}`;
}

export interface MintContext {
  openssl: Openssl;
  keys: TokenKeys;
  alg: TokenAlg;
  issuer: string;
  nowSec: number;
  accessTtlSec: number;
  idTtlSec: number;
}

/** Each granted scope carries ?oid= in the access token's scope claim; openid does not (§4). */
export function accessScopeClaim(scope: string, oid: string): string {
  return scope
    .split(' ')
    .map((name) => (name === 'openid' ? name : `${name}?oid=${oid}`))
    .join(' ');
}

export async function mintTokens(ctx: MintContext, grant: Grant, persona: Persona) {
  const iat = ctx.nowSec;
  const oid = Number(grant.oid);
  const access = await signJwt(ctx.openssl, ctx.keys, ctx.alg, { ver: 1, typ: 'JWT', sbt: 'access' }, {
    nbf: iat, iat, exp: iat + ctx.accessTtlSec,
    scope: accessScopeClaim(grant.scope, grant.oid),
    iss: ctx.issuer, 'urn:esia:sid': grant.sid, 'urn:esia:sbj_id': oid, client_id: grant.clientId,
  });
  let idToken: string | undefined;
  if (grant.scope.split(' ').includes('openid')) {
    const subject: Record<string, unknown> = { 'urn:esia:sbj:typ': 'P' };
    if (persona.trusted) subject['urn:esia:sbj:is_tru'] = true; // present only for confirmed accounts
    subject['urn:esia:sbj:oid'] = oid;
    subject['urn:esia:sbj:nam'] = `OID.${grant.oid}`;
    if (persona.lvl) subject['urn:esia:sbj:lvl'] = persona.lvl;
    idToken = await signJwt(ctx.openssl, ctx.keys, ctx.alg, { ver: 0, typ: 'JWT', sbt: 'id' }, {
      aud: grant.clientId, sub: oid, nbf: iat, iat, exp: iat + ctx.idTtlSec,
      amr: 'PWD', 'urn:esia:amd': 'PWD', auth_time: grant.authTime,
      iss: ctx.issuer, 'urn:esia:sid': grant.sid, 'urn:esia:sbj': subject,
    });
  }
  return { accessToken: access, idToken, refreshToken: grant.offline ? randomId() : undefined };
}

export function newCode(): string {
  return randomToken(48);
}
