import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Accounts } from '../../accounts/accounts.js';
import type { Deny, LoginContext, Resolution } from '../../accounts/context.js';
import type { DiaryProfile } from '../../accounts/directory.js';
import { schoolsOrNone, type SchoolDirectory } from '../../accounts/schools.js';
import type { SchoolNames } from '../pages/account-labels.js';
import type { RegionsHolder } from '../../config/regions.js';
import type { EsiaPerson } from '../../esia/person.js';
import type { Interaction, InteractionService } from '../../oidc/interaction.js';
import type { LoginOutcomes } from './login-outcome.js';
import { reasonFailure } from './reason-failure.js';
import { refusalSituation } from './refusal-situation.js';
import { brandOf, type Brand } from '../pages/brand.js';
import type { ClientRepo } from '../../oidc/clients.js';
import { completeInteraction, staleLoginPage } from '../oidc/interaction-http.js';
import { manualLinkPage } from '../pages/manual-link-page.js';
import { profileChooserPage } from '../pages/profile-chooser-page.js';
import { refusalPage } from '../pages/refusal-page.js';
import type { EsiaPersonHandler } from '../routes/esia-callback.js';
import type { PendingResolutions } from './pending-resolution.js';

/**
 * The resolution leg: the person ESIA vouched for meets the region rules and the diary
 * directory (accounts.resolve, which applies policy.decide). Every outcome is mapped to a
 * response here and only here: the code goes back to the diary, or a chooser, the manual-link
 * form, or a refusal page whose "back" link carries the OAuth error to the diary.
 */
export interface LoginFlowDeps {
  accounts: Accounts;
  regions: RegionsHolder;
  interactions: InteractionService;
  pending: PendingResolutions;
  /** Audit event and metric of every finished login, together. */
  outcomes: LoginOutcomes;
  /** Names for the profiles' school ids; absent or failing, the pages show the codes. */
  schools?: SchoolDirectory | undefined;
  /** The client registry: each page speaks of the client's diary (its name, help and support). */
  clients?: Pick<ClientRepo, 'find'> | undefined;
}

export const LOGIN_PATHS = { choose: '/login/choose', link: '/login/link', proceed: '/login/continue', cancel: '/login/cancel' } as const;

type Reply = Promise<FastifyReply>;

/** A refusal as the routes hand it over: a Deny, or a reason and detail of their own. */
export type Refusal = Pick<Deny, 'reason' | 'ageBand' | 'age' | 'roles'> & { detail?: string | undefined };

/** Giving up on the manual link (the page's «back» link). */
export const cancelUrl = (xsrf: string) => `${LOGIN_PATHS.cancel}?xsrf=${encodeURIComponent(xsrf)}`;

export function createLoginFlow(deps: LoginFlowDeps) {
  /** The diary of this login, as its registration names it; the neutral words when unknown. */
  async function brandFor(interaction: Pick<Interaction, 'clientId'>): Promise<Brand> {
    return brandOf(await deps.clients?.find(interaction.clientId).catch(() => null));
  }

  function context(interaction: Interaction, request: FastifyRequest): LoginContext {
    return { regions: deps.regions.current(), regionCode: interaction.region, now: new Date(), clientId: interaction.clientId, requestId: request.id };
  }

  function html(reply: FastifyReply, status: number, body: string): FastifyReply {
    return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
  }

  /** The step is gone (taken, expired, another browser's): a logged-in person is shown the way to their diary. */
  const expired = (request: FastifyRequest, reply: FastifyReply) => staleLoginPage(request, reply);

  /** The short names of these profiles' schools; a login never fails or waits on them. */
  async function schoolNames(request: FastifyRequest, profiles: readonly DiaryProfile[]): Promise<SchoolNames> {
    const found = await schoolsOrNone(deps.schools, profiles.flatMap((p) => p.schoolIds), (error) => request.log.warn({ err: error }, 'school directory unavailable: showing school codes'));
    return (id) => found.get(id)?.shortName;
  }

  async function enter(request: FastifyRequest, reply: FastifyReply, interaction: Interaction, person: EsiaPerson, profile: DiaryProfile, ctx: LoginContext): Reply {
    await deps.pending.finish(interaction.id);
    // The helper answers (redirect with the code, or an expired page); the reply tells which.
    await completeInteraction(request, reply, interaction.id, {
      profileId: profile.id,
      esiaOid: person.oid,
      level: person.level,
      authTime: person.authTime,
      esiaSessionId: person.esiaSessionId,
    });
    if (reply.statusCode === 302) {
      await deps.outcomes.succeeded(person, profile, ctx);
      request.log.info({ interactionId: interaction.id, profileId: profile.id }, 'login completed');
    }
    return reply;
  }

  /** `refusal` may carry the age band and roles the rules applied (a Deny): the page names those rules. */
  async function refuse(request: FastifyRequest, reply: FastifyReply, interaction: Interaction, person: EsiaPerson, refusal: Refusal, ctx: LoginContext): Reply {
    await deps.pending.finish(interaction.id);
    await deps.outcomes.refused(person.oid, { reason: refusal.reason, detail: refusal.detail }, ctx);
    request.log.info({ interactionId: interaction.id, reason: refusal.reason, detail: refusal.detail }, 'login refused');
    const failure = reasonFailure(refusal.reason);
    const backUrl = await deps.interactions.fail(interaction.id, failure).catch(() => undefined);
    const situation = refusalSituation(ctx.regions, interaction.region, ctx.now, { ...refusal, birthDate: person.birthDate });
    return html(reply, failure.error === 'temporarily_unavailable' ? 503 : 403, refusalPage(refusal.reason, { backUrl, situation, brand: await brandFor(interaction) }));
  }

  /** One place from a resolution to what the browser gets. */
  async function respond(request: FastifyRequest, reply: FastifyReply, interaction: Interaction, person: EsiaPerson, resolution: Resolution | Deny, ctx: LoginContext): Reply {
    switch (resolution.kind) {
      case 'linked':
        return enter(request, reply, interaction, person, resolution.profile, ctx);
      case 'choose': {
        const { xsrf } = await deps.pending.save(interaction.id, person, { kind: 'choose' });
        const names = await schoolNames(request, resolution.profiles);
        return html(reply, 200, profileChooserPage({ brand: await brandFor(interaction), profiles: resolution.profiles, defaultProfileId: resolution.defaultProfileId, action: LOGIN_PATHS.choose, xsrf, schoolNames: names }));
      }
      case 'manual-link': {
        const { xsrf } = await deps.pending.save(interaction.id, person, { kind: 'manual-link' });
        return html(reply, 200, manualLinkPage({ brand: await brandFor(interaction), action: LOGIN_PATHS.link, xsrf, backUrl: cancelUrl(xsrf) }));
      }
      case 'deny':
        return refuse(request, reply, interaction, person, resolution, ctx);
    }
  }

  const personHandler: EsiaPersonHandler = {
    async handle({ interactionId, person, request, reply }) {
      const interaction = await deps.interactions.get(interactionId);
      if (!interaction) return expired(request, reply);
      const ctx = context(interaction, request);
      return respond(request, reply, interaction, person, await deps.accounts.resolve(person, ctx), ctx);
    },
  };

  return { personHandler, context, respond, enter, refuse, expired, html, schoolNames, brandFor };
}

export type LoginFlow = ReturnType<typeof createLoginFlow>;
