import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Accounts } from '../../accounts/accounts.js';
import { createKeyedHash } from '../../crypto/key-encryption.js';
import { safeEqual } from '../../crypto/random.js';
import type { SessionService } from '../../oidc/sessions.js';
import { readSessionId } from '../oidc/interaction-http.js';
import { clearSessionCookie } from '../oidc/cookies.js';
import { html, page } from '../pages/html.js';
import { schoolsOrNone, type SchoolDirectory } from '../../accounts/schools.js';
import { linkedAccountsPage } from '../pages/linked-accounts-page.js';
import { readable } from '../../validation/readable-text.js';

/**
 * A person signed in through ESIA sees which diary profiles their ESIA account is
 * linked to and can undo a link (audited). Unlinking ends the broker session, so no client
 * gets into the unlinked profile through single sign-on afterwards.
 */
export interface AccountLinksDeps {
  accounts: Accounts;
  sessions: SessionService;
  keyEncryptionKey: string;
  /** Names for the profiles' school ids (codes when absent or failing). */
  schools?: SchoolDirectory | undefined;
}

const PATH = '/account/links';
const unlinkForm = z.object({ xsrf: z.string().max(128).default(''), profile_id: readable(z.string().min(1).max(128)) });

export function registerAccountLinks(app: FastifyInstance, deps: AccountLinksDeps): void {
  // The form token is derived from the session id: nothing to store, useless without the cookie.
  const xsrfOf = createKeyedHash(deps.keyEncryptionKey, 'account-links-xsrf');
  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
  const signedOut = (reply: FastifyReply) =>
    send(reply, 401, page('Войдите через госуслуги', html`<h1>Войдите через госуслуги</h1><p>Чтобы увидеть связанные профили, войдите в электронный дневник через госуслуги, затем откройте эту страницу снова.</p>`));

  /** The page, with the school names of its profiles. */
  async function linksPage(request: FastifyRequest, entries: Awaited<ReturnType<Accounts['linksOf']>>, xsrf: string, unlinked?: boolean) {
    const ids = entries.flatMap((e) => e.profile?.schoolIds ?? []);
    const found = await schoolsOrNone(deps.schools, ids, (error) => request.log.warn({ err: error }, 'school directory unavailable: showing school codes'));
    return linkedAccountsPage({ entries, action: `${PATH}/unlink`, xsrf, schoolNames: (id) => found.get(id)?.shortName, ...(unlinked !== undefined ? { unlinked } : {}) });
  }

  async function sessionOf(request: FastifyRequest) {
    return deps.sessions.find(readSessionId(request));
  }

  app.get(PATH, { config: { surface: 'page' } }, async (request, reply) => {
    const session = await sessionOf(request);
    if (!session) return signedOut(reply);
    const entries = await deps.accounts.linksOf(session.esiaOid);
    return send(reply, 200, await linksPage(request, entries, xsrfOf(session.id)));
  });

  app.post(`${PATH}/unlink`, { config: { surface: 'page' } }, async (request, reply) => {
    const form = unlinkForm.parse(request.body);
    const session = await sessionOf(request);
    if (!session || !safeEqual(form.xsrf, xsrfOf(session.id))) return signedOut(reply);
    const removed = await deps.accounts.unlink({ kind: 'person', esiaOid: session.esiaOid }, session.esiaOid, form.profile_id, { requestId: request.id });
    const entries = await deps.accounts.linksOf(session.esiaOid);
    if (removed) {
      await deps.sessions.end(session.id);
      clearSessionCookie(reply, request.server.oidcProvider);
    }
    return send(reply, removed ? 200 : 404, await linksPage(request, entries, xsrfOf(session.id), removed));
  });
}
