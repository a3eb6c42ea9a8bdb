import type { EsiaLevel } from '../esia/person.js';

/**
 * Token families (one per code exchange: the grant) and the refresh tokens rotating inside
 * them (RFC 9700 §4.14.2). Tokens are opaque; only their SHA-256 is stored. A token's
 * successor is derived from it with a keyed hash, so a retried refresh inside the grace
 * window can be handed the same successor without the broker ever storing a usable token.
 */
export interface Family {
  id: string;
  clientId: string;
  profileId: string;
  esiaOid: string;
  level: EsiaLevel;
  /** Seconds since epoch. */
  authTime: number;
  scope: string[];
  resource: string[];
  sessionSid: string | undefined;
  expiresAt: Date;
  revokedAt: Date | null;
  /** Why it was revoked: refresh_token_reuse, code_replay, logout, revoked_by_client, link_removed, profile_not_activated… */
  revokedReason: string | null;
  /** RFC 9449 §5: a public client's refresh tokens are bound to this DPoP key thumbprint. */
  dpopJkt?: string | undefined;
}

export interface TokenRow {
  hash: string;
  expiresAt: Date;
  usedAt: Date | null;
  successorHash: string | null;
}

/** What the repository sees under the row lock: the token, its family, and its successor if any. */
export interface RotationView {
  token: TokenRow;
  family: Family;
  successor: TokenRow | null;
}

export type RotationDecision =
  | { action: 'rotate' }
  | { action: 'grace' }
  | { action: 'revoke-family'; reason: 'refresh_token_reuse' }
  | { action: 'refuse'; why: 'unknown' | 'other_client' | 'revoked' | 'expired' | 'other_dpop_key' };

export type RotationOutcome = { decision: RotationDecision; family: Family | null };

/** Implemented in store/postgres. */
export interface FamilyRepo {
  /**
   * Writes the family and, when given, its first refresh token (expiring with the family), both
   * or neither: a failure never leaves a family without the token the client was promised.
   */
  createFamily(family: Omit<Family, 'revokedAt' | 'revokedReason'>, firstTokenHash?: string): Promise<void>;
  addToken(familyId: string, tokenHash: string, expiresAt: Date): Promise<void>;
  findFamily(id: string): Promise<Family | null>;
  findToken(tokenHash: string): Promise<{ token: TokenRow; family: Family } | null>;
  /**
   * Locks the token row, asks decide() what to do and applies it in the same transaction:
   * rotate (mark used, insert the successor), grace (nothing), revoke-family (owing the client
   * a back-channel logout token), refuse.
   */
  rotate(tokenHash: string, successorHash: string, now: Date, decide: (view: RotationView | null) => RotationDecision): Promise<RotationOutcome>;
  /**
   * The common case of rotate() in one statement, for a token the caller has read unused: marks
   * it used with its successor and inserts the successor, only while the token is still unused
   * and unexpired and its family live and unrevoked. Waits for no lock. False when it wrote
   * nothing (a parallel refresh got there first or holds the token, a revocation, expiry): the
   * caller falls back to rotate(), which decides afresh under its locks.
   */
  rotateUnused(tokenHash: string, successorHash: string, familyId: string, now: Date): Promise<boolean>;
  revokeFamily(id: string, reason: string): Promise<void>;
  /**
   * Revokes the session's families, except offline_access ones; returns their ids. Owes a
   * back-channel logout token to each client with a live grant in the session.
   */
  revokeSessionFamilies(sessionSid: string, reason: string): Promise<string[]>;
  /** Deletes families (and their tokens) that expired before `before`; returns how many. */
  purgeExpired(before: Date): Promise<number>;
}

/** The rotation rule, pure: what a refresh with this token by this client should do now. */
export function decideRotation(view: RotationView | null, clientId: string, now: number, graceMs: number, successorHash: string, dpopJkt?: string): RotationDecision {
  if (!view) return { action: 'refuse', why: 'unknown' };
  const { token, family, successor } = view;
  // A token presented by another client is refused, not treated as reuse: that client
  // cannot have been the one the token was issued to (RFC 6749 §6).
  if (family.clientId !== clientId) return { action: 'refuse', why: 'other_client' };
  // Nor is one presented without its DPoP key (RFC 9449 §5): whoever holds it lacks the key.
  if (family.dpopJkt !== undefined && family.dpopJkt !== dpopJkt) return { action: 'refuse', why: 'other_dpop_key' };
  if (family.revokedAt) return { action: 'refuse', why: 'revoked' };
  if (token.expiresAt.getTime() <= now || family.expiresAt.getTime() <= now) return { action: 'refuse', why: 'expired' };
  if (token.usedAt === null) return { action: 'rotate' };
  const withinGrace = now - token.usedAt.getTime() <= graceMs;
  if (withinGrace && token.successorHash === successorHash && successor && successor.usedAt === null) return { action: 'grace' };
  return { action: 'revoke-family', reason: 'refresh_token_reuse' };
}
