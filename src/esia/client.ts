import { z } from 'zod';
import type { EsiaConfig } from '../config/esia.js';
import { randomId, safeEqual } from '../crypto/random.js';
import { deadlineSignal } from './deadline-signal.js';
import { EsiaError } from './errors.js';
import type { EsiaHttp } from './http.js';
import type { IdTokenVerifier } from './id-token.js';
import { normalisePerson, rawCollectionSchema, rawContactSchema, rawDocumentSchema, rawPersonSchema } from './normalise.js';
import type { EsiaPerson } from './person.js';
import { ENDPOINTS, encodeSignature, esiaTimestamp, v1SignedString, v2AuthorizeString, v3TokenString } from './protocol.js';
import type { EsiaSigner } from './signer.js';

/**
 * The upstream ESIA client (docs/esia-protocol.md §2–7): the signed authorization URL, the code exchange
 * with a fresh state checked against the response, id_token validation, and the person with
 * contacts and documents embedded in one read — all under one deadline.
 */
export interface EsiaClient {
  /** The browser redirect to ESIA for a login whose callback will carry `state`. */
  authorizationUrl(state: string): Promise<string>;
  /** Exchanges the callback's code and reads the person (the whole back channel). */
  completeLogin(code: string): Promise<EsiaPerson>;
  /** GET {ESIA}/idp/ext/Logout?client_id=…&redirect_url=… (note redirect_url, §1). */
  logoutUrl(redirectUrl: string): string;
}

type ClientSettings = Pick<EsiaConfig, 'url' | 'clientId' | 'redirectUri' | 'scope' | 'scopeOrg' | 'protocol' | 'secretEncoding' | 'timeoutMs'>;

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  id_token: z.string().min(1),
  state: z.string(),
  token_type: z.string().optional(),
  expires_in: z.number().optional(),
});

const CONTACT_SCOPES = ['email', 'mobile', 'contacts'];

export function createEsiaClient(deps: { settings: ClientSettings; signer: EsiaSigner; http: EsiaHttp; idTokens: IdTokenVerifier; now?: () => number }): EsiaClient {
  const { settings, signer, http } = deps;
  const now = deps.now ?? Date.now;
  const endpoints = ENDPOINTS[settings.protocol];
  const scopes = new Set(settings.scope.split(' '));
  const wantsContacts = [...scopes].some((s) => CONTACT_SCOPES.includes(s));
  const wantsDocuments = scopes.has('id_doc');
  const embeds = [...(wantsContacts ? ['contacts.elements'] : []), ...(wantsDocuments ? ['documents.elements'] : [])];
  const personEmbed = embeds.length > 0 ? `?embed=(${embeds.join(',')})` : '';

  /**
   * client_secret (+ client_certificate_hash on v2) for the parameters being sent, within the
   * deadline: a slow signer (busy slots, a hung openssl, a slow HSM) is our own slowness, so it
   * becomes 'unavailable' for the person but never reaches ESIA's circuit breaker.
   */
  async function sign(parts: { state: string; timestamp: string; code?: string }, deadline: number): Promise<Record<string, string>> {
    const { signal, clear } = deadlineSignal(deadline - now());
    try {
      return await beforeAbort(signParts(parts, signal), signal);
    } catch (error) {
      if (error instanceof EsiaError) throw error;
      if (signal.aborted) throw new EsiaError('unavailable', 'signing: deadline passed (the local signer is too slow)');
      throw new EsiaError('client_rejected', `signing failed: ${error instanceof Error ? error.message : 'error'}`);
    } finally {
      clear();
    }
  }

  async function signParts(parts: { state: string; timestamp: string; code?: string }, signal: AbortSignal): Promise<Record<string, string>> {
    const signed = { clientId: settings.clientId, scope: settings.scope, scopeOrg: settings.scopeOrg, redirectUri: settings.redirectUri, ...parts };
    if (settings.protocol === 'v1') {
      return { client_secret: encodeSignature(await signer.signCms(Buffer.from(v1SignedString(signed), 'utf8'), signal), settings.secretEncoding) };
    }
    const text = parts.code === undefined ? v2AuthorizeString(signed) : v3TokenString({ ...signed, code: parts.code });
    const [signature, hash] = await Promise.all([signer.signRaw(Buffer.from(text, 'utf8'), signal), signer.certificateHash()]);
    return { client_secret: encodeSignature(signature, settings.secretEncoding), client_certificate_hash: hash };
  }

  async function exchange(code: string, deadline: number) {
    const state = randomId(); // a new UUID for /te, never the /ac one (§2.1)
    const timestamp = esiaTimestamp(new Date(now()));
    const form = new URLSearchParams({
      client_id: settings.clientId,
      code,
      grant_type: 'authorization_code',
      redirect_uri: settings.redirectUri,
      scope: settings.scope,
      ...(settings.protocol === 'v2' && settings.scopeOrg ? { scope_org: settings.scopeOrg } : {}),
      state,
      timestamp,
      token_type: 'Bearer',
      ...(await sign({ state, timestamp, code }, deadline)),
    });
    const body = await http.call({
      operation: 'token',
      method: 'POST',
      url: settings.url + endpoints.token,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      deadline,
    });
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) throw new EsiaError('bad_response', 'token response malformed (is openid in ESIA_SCOPES?)');
    if (!safeEqual(parsed.data.state, state)) throw new EsiaError('bad_response', 'token response state does not match the request');
    return parsed.data;
  }

  /** A collection's elements: inline objects, or links (URLs) where ESIA did not inline them. */
  function elementsOf<T>(operation: 'contacts' | 'documents', body: unknown, item: z.ZodType<T>): Array<T | string> {
    const parsed = rawCollectionSchema(item).safeParse(body);
    if (!parsed.success) throw new EsiaError('bad_response', `${operation} malformed`);
    return parsed.data.elements as Array<T | string>;
  }

  async function collection<T>(operation: 'contacts' | 'documents', path: string, item: z.ZodType<T>, auth: Record<string, string>, deadline: number): Promise<T[]> {
    const body = await http.call({ operation, method: 'GET', url: `${settings.url}${path}?embed=(elements)`, headers: auth, deadline });
    return elementsOf(operation, body, item).filter((element): element is T => typeof element !== 'string');
  }

  /**
   * A collection the person came back with (?embed=(contacts.elements,…)), or undefined when it is
   * not there inline (absent, or its elements are links): then it is read on its own.
   */
  function embedded<T>(operation: 'contacts' | 'documents', value: unknown, item: z.ZodType<T>): T[] | undefined {
    if (value === undefined) return undefined;
    const elements = elementsOf(operation, value, item);
    return elements.every((element) => typeof element !== 'string') ? (elements as T[]) : undefined;
  }

  return {
    async authorizationUrl(state) {
      const timestamp = esiaTimestamp(new Date(now()));
      const params = new URLSearchParams({
        client_id: settings.clientId,
        redirect_uri: settings.redirectUri,
        scope: settings.scope,
        ...(settings.protocol === 'v2' && settings.scopeOrg ? { scope_org: settings.scopeOrg } : {}),
        response_type: 'code',
        state,
        timestamp,
        access_type: 'online',
        ...(await sign({ state, timestamp }, now() + settings.timeoutMs)),
      });
      return `${settings.url}${endpoints.authorize}?${params.toString()}`;
    },

    async completeLogin(code) {
      const deadline = now() + settings.timeoutMs;
      const tokens = await exchange(code, deadline);
      const claims = await deps.idTokens.verify(tokens.id_token);
      const base = ENDPOINTS.person(claims.oid);
      const auth = { authorization: `Bearer ${tokens.access_token}` };
      // One read instead of three: ESIA inlines the collections on request. One that does not
      // come back inline is read on its own, as before.
      const person = await http.call({ operation: 'person', method: 'GET', url: settings.url + base + personEmbed, headers: auth, deadline });
      const parsedPerson = rawPersonSchema.safeParse(person);
      if (!parsedPerson.success) throw new EsiaError('bad_response', 'person malformed');
      const inline = parsedPerson.data as Record<string, unknown>;
      const [contacts, documents] = await Promise.all([
        wantsContacts ? (embedded('contacts', inline['contacts'], rawContactSchema) ?? collection('contacts', `${base}/ctts`, rawContactSchema, auth, deadline)) : [],
        wantsDocuments ? (embedded('documents', inline['documents'], rawDocumentSchema) ?? collection('documents', `${base}/docs`, rawDocumentSchema, auth, deadline)) : [],
      ]);
      return normalisePerson({ claims, person: parsedPerson.data, contacts, documents });
    },

    logoutUrl(redirectUrl) {
      return `${settings.url}${ENDPOINTS.logout}?${new URLSearchParams({ client_id: settings.clientId, redirect_url: redirectUrl }).toString()}`;
    },
  };
}

/** Settles with work, or rejects once signal aborts: the deadline holds even if work ignores it. */
function beforeAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
