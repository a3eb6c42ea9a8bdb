import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/**
 * The demo diary's backend: validates our access tokens locally, as any diary backend would,
 * with nothing but the issuer's JWKS (RFC 9068 JWT access tokens).
 */
export interface DiaryBackendOptions {
  issuer: string;
  jwksUri: string;
  /** The audience our tokens carry for this diary (its client id or a registered resource). */
  audience: string;
}

export interface VerifiedAccess {
  subject: string;
  scope: string[];
  claims: JWTPayload;
}

export function createDiaryBackend(options: DiaryBackendOptions) {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri));
  return {
    async verify(authorization: string | undefined): Promise<VerifiedAccess> {
      const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
      if (!token) throw new Error('missing bearer token');
      const { payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        clockTolerance: 5,
      });
      if (!payload.sub) throw new Error('token has no subject');
      return { subject: payload.sub, scope: typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [], claims: payload };
    },
  };
}
