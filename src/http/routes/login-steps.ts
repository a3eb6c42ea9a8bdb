import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Accounts } from '../../accounts/accounts.js';
import type { InteractionService } from '../../oidc/interaction.js';
import { LOGIN_PATHS, cancelUrl, type LoginFlow } from '../login/login-flow.js';
import type { PendingResolutions, PendingStep } from '../login/pending-resolution.js';
import { readInteractionIds, readSupersededIds, sendSuperseded, supersededRedirect } from '../oidc/interaction-http.js';
import { linkSuccessPage } from '../pages/link-success-page.js';
import { manualLinkPage } from '../pages/manual-link-page.js';
import { readable } from '../../validation/readable-text.js';

/**
 * The person's answers to the resolution pages: the profile chosen, the diary login and
 * password, "continue" after a manual link, "cancel". Each is bound to the browser (the signed
 * eb_interaction cookie) and to the page (its xsrf token), and re-runs the rules server-side.
 */
export interface LoginStepsDeps {
  flow: LoginFlow;
  accounts: Accounts;
  interactions: InteractionService;
  pending: PendingResolutions;
}

const token = readable(z.string().max(128)).optional();
const chooseForm = z.object({ xsrf: token, profile_id: readable(z.string().min(1).max(128)) });
const linkForm = z.object({ xsrf: token, login: readable(z.string().trim().max(200)).default(''), password: z.string().max(200).default('') });
const tokenQuery = z.object({ xsrf: token });

export function registerLoginSteps(app: FastifyInstance, deps: LoginStepsDeps): void {
  const { flow } = deps;
  const page = { config: { surface: 'page' as const } };

  /** The interaction and its pending step, or the "expired" page when either is gone or foreign. */
  async function current(request: FastifyRequest, xsrf: string | undefined, kind: PendingStep['kind']) {
    const pending = await deps.pending.findListed(readInteractionIds(request), xsrf);
    const interaction = pending && (await deps.interactions.get(pending.interactionId));
    if (!interaction || !pending || pending.step.kind !== kind) return null;
    return { interaction, pending, ctx: flow.context(interaction, request) };
  }

  /**
   * No step of this browser's: the "expired" page, unless the page was a login the browser
   * gave up for newer ones, whose tab goes home to its diary saying so.
   */
  async function gone(request: FastifyRequest, reply: FastifyReply, xsrf: string | undefined) {
    const pending = await deps.pending.findListed(readSupersededIds(request), xsrf);
    const redirectUrl = pending && (await supersededRedirect(request, pending.interactionId));
    return redirectUrl ? sendSuperseded(request, reply, redirectUrl) : flow.expired(request, reply);
  }

  app.post(LOGIN_PATHS.choose, page, async (request, reply) => {
    const form = chooseForm.parse(request.body);
    const step = await current(request, form.xsrf, 'choose');
    if (!step) return gone(request, reply, form.xsrf);
    const resolution = await deps.accounts.chooseProfile(step.pending.person, form.profile_id, step.ctx);
    return flow.respond(request, reply, step.interaction, step.pending.person, resolution, step.ctx);
  });

  app.post(LOGIN_PATHS.link, page, async (request, reply) => {
    const form = linkForm.parse(request.body);
    const step = await current(request, form.xsrf, 'manual-link');
    if (!step) return gone(request, reply, form.xsrf);
    const { interaction, pending, ctx } = step;
    const brand = await flow.brandFor(interaction);
    const again = (status: number, error: Parameters<typeof manualLinkPage>[0]['error']) =>
      flow.html(reply, status, manualLinkPage({ brand, action: LOGIN_PATHS.link, xsrf: pending.xsrf, login: form.login, error, backUrl: cancelUrl(pending.xsrf) }));
    if (!form.login || !form.password) return again(400, { kind: 'missing-fields' });

    const result = await deps.accounts.manualLink(pending.person, { login: form.login, password: form.password, ip: request.ip }, ctx);
    switch (result.kind) {
      case 'invalid-credentials':
        return again(401, { kind: 'invalid-credentials', attemptsLeft: result.attemptsLeft });
      case 'locked':
        reply.header('retry-after', String(result.retryAfterSeconds));
        return again(429, { kind: 'locked', retryAfterSeconds: result.retryAfterSeconds });
      case 'deny':
        return flow.refuse(request, reply, interaction, pending.person, result, ctx);
      case 'linked': {
        // The Irkutsk page: «Отлично! Теперь вы можете входить…»; the code is issued when the person goes on,
        // so a person who lingers on this page does not outlive a 60-second code.
        const next = await deps.pending.save(interaction.id, pending.person, { kind: 'linked', profileId: result.profile.id });
        const schoolNames = await flow.schoolNames(request, [result.profile]);
        return flow.html(reply, 200, linkSuccessPage({ brand, continueUrl: `${LOGIN_PATHS.proceed}?xsrf=${encodeURIComponent(next.xsrf)}`, profile: result.profile, schoolNames }));
      }
    }
  });

  app.get(LOGIN_PATHS.proceed, page, async (request, reply) => {
    const { xsrf } = tokenQuery.parse(request.query);
    const step = await current(request, xsrf, 'linked');
    if (!step || step.pending.step.kind !== 'linked') return gone(request, reply, xsrf);
    // The rules run again: the link may have been removed or the profile changed meanwhile.
    const resolution = await deps.accounts.resolve(step.pending.person, step.ctx);
    const entered = resolution.kind === 'linked' && resolution.profile.id === step.pending.step.profileId;
    return flow.respond(request, reply, step.interaction, step.pending.person, entered ? resolution : { kind: 'deny', reason: 'link_failed', detail: 'not_a_choice' }, step.ctx);
  });

  // The person gave up on the manual link: the diary learns access_denied, the person why.
  app.get(LOGIN_PATHS.cancel, page, async (request, reply: FastifyReply) => {
    const { xsrf } = tokenQuery.parse(request.query);
    const step = await current(request, xsrf, 'manual-link');
    if (!step) return gone(request, reply, xsrf);
    return flow.refuse(request, reply, step.interaction, step.pending.person, { reason: 'profile_not_found', detail: 'manual_link_cancelled' }, step.ctx);
  });
}
