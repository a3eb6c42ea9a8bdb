import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from './context.js';
import { CONTACT_SCOPES, DOCUMENT_SCOPES, elementId, identityDocumentId, KID_SCOPES, type Persona } from './personas.js';
import { singleValues } from './params.js';
import type { Grant } from './tokens.js';

/**
 * The person REST API (docs/esia-protocol.md §7; docs/emulator.md): Bearer auth (401 for a bad or expired token),
 * 403 when the token's scope lacks the data or names another oid, collections as
 * {stateFacts, size, eTag, elements: [URLs]} and ?embed=(elements) / ?embed=(contacts.elements,…).
 */
type Kind = 'ctts' | 'docs' | 'addrs';
const EMBED_NAMES: Record<string, Kind> = { contacts: 'ctts', documents: 'docs', addresses: 'addrs' };
const PERSON_SCOPES = ['fullname', 'birthdate', 'birthplace', 'gender', 'snils', 'inn', 'id_doc'];

export function registerRestRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = (oid: string) => `${ctx.baseUrl}/rs/prns/${oid}`;

  function authorise(request: FastifyRequest, reply: FastifyReply): { grant: Grant; persona: Persona; scopes: Set<string> } | undefined {
    const header = request.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const grant = token ? ctx.accessTokens.get(token) : undefined;
    if (!grant) {
      void reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({ code: 'ESIA-008010', message: 'Authentication failed' });
      return undefined;
    }
    const oid = (request.params as { oid: string }).oid;
    const persona = ctx.personas.get(grant.oid);
    if (oid !== grant.oid || !persona) {
      void reply.code(403).send({ code: 'ESIA-007019', message: 'Access denied' });
      return undefined;
    }
    return { grant, persona, scopes: new Set(grant.scope.split(' ')) };
  }

  function forbidden(reply: FastifyReply) {
    return reply.code(403).send({ code: 'ESIA-007019', message: 'Access denied' });
  }

  function elements(persona: Persona, kind: Kind, scopes: Set<string>): Array<Record<string, unknown>> {
    if (kind === 'ctts') {
      const types = new Set([...scopes].flatMap((scope) => CONTACT_SCOPES[scope] ?? []));
      return persona.contacts.flatMap((c, i) => (types.has(c.type) ? [{ stateFacts: ['Identifiable'], id: elementId(persona, 'ctts', i), ...c, eTag: etag(c) }] : []));
    }
    if (kind === 'docs') {
      const types = new Set([...scopes].flatMap((scope) => DOCUMENT_SCOPES[scope] ?? []));
      return persona.documents.flatMap((d, i) => (types.has(d.type) ? [{ stateFacts: ['Identifiable'], id: elementId(persona, 'docs', i), ...d, eTag: etag(d) }] : []));
    }
    if (!scopes.has('addresses')) return [];
    return persona.addresses.map((a, i) => ({ stateFacts: ['Identifiable'], id: elementId(persona, 'addrs', i), ...a, eTag: etag(a) }));
  }

  function allowed(kind: Kind, scopes: Set<string>): boolean {
    const needed = kind === 'ctts' ? Object.keys(CONTACT_SCOPES) : kind === 'docs' ? Object.keys(DOCUMENT_SCOPES) : ['addresses'];
    return needed.some((scope) => scopes.has(scope));
  }

  function collection(persona: Persona, kind: Kind, scopes: Set<string>, inline: boolean) {
    const items = elements(persona, kind, scopes);
    return {
      stateFacts: ['hasSize'],
      size: items.length,
      eTag: etag(items),
      elements: inline ? items : items.map((item) => `${base(persona.oid)}/${kind}/${String(item['id'])}`),
    };
  }

  app.get('/rs/prns/:oid', async (request, reply) => {
    const auth = authorise(request, reply);
    if (!auth) return reply;
    if (!PERSON_SCOPES.some((scope) => auth.scopes.has(scope))) return forbidden(reply);
    const body = personView(auth.persona, auth.scopes);
    for (const [name, kind] of ctx.faults.personEmbedIgnored ? [] : embeds(request.query)) {
      if (kind && allowed(kind, auth.scopes)) body[name] = collection(auth.persona, kind, auth.scopes, true);
    }
    return reply.send(body);
  });

  for (const kind of ['ctts', 'docs', 'addrs'] as const) {
    app.get(`/rs/prns/:oid/${kind}`, async (request, reply) => {
      const auth = authorise(request, reply);
      if (!auth) return reply;
      if (!allowed(kind, auth.scopes)) return forbidden(reply);
      const inline = embeds(request.query).some(([name]) => name === '');
      return reply.send(collection(auth.persona, kind, auth.scopes, inline));
    });
    app.get(`/rs/prns/:oid/${kind}/:id`, async (request, reply) => {
      const auth = authorise(request, reply);
      if (!auth) return reply;
      if (!allowed(kind, auth.scopes)) return forbidden(reply);
      const item = elements(auth.persona, kind, auth.scopes).find((element) => String(element['id']) === (request.params as { id: string }).id);
      return item ? reply.send(item) : reply.code(404).send({ code: 'ESIA-000404', message: 'Not found' });
    });
  }

  // A parent's children (kid_* scopes): links to /rs/prns/{oid}/kids/{kidOid}, each the child's
  // person object with the fields the kid_* scopes allow, and its documents under /docs.
  function kidOf(request: FastifyRequest, reply: FastifyReply): { kid: Persona; scopes: Set<string> } | undefined {
    const auth = authorise(request, reply);
    if (!auth) return undefined;
    const scopes = new Set([...auth.scopes].flatMap((scope) => (KID_SCOPES[scope] ? [KID_SCOPES[scope]] : [])));
    const kidOid = (request.params as { kidOid: string }).kidOid;
    const kid = auth.persona.kids.includes(kidOid) ? ctx.personas.get(kidOid) : undefined;
    if (scopes.size === 0 || !kid) return void forbidden(reply);
    return { kid, scopes };
  }
  app.get('/rs/prns/:oid/kids', async (request, reply) => {
    const auth = authorise(request, reply);
    if (!auth) return reply;
    if (![...auth.scopes].some((scope) => KID_SCOPES[scope])) return forbidden(reply);
    const kidScopes = new Set([...auth.scopes].flatMap((scope) => (KID_SCOPES[scope] ? [KID_SCOPES[scope]] : [])));
    const kids = auth.persona.kids.flatMap((oid) => (ctx.personas.has(oid) ? [oid] : []));
    const inline = embeds(request.query).some(([name]) => name === '');
    const items = kids.map((oid) => (inline ? { oid: Number(oid), ...personView(ctx.personas.get(oid)!, kidScopes) } : `${base(auth.persona.oid)}/kids/${oid}`));
    return reply.send({ stateFacts: ['hasSize'], size: items.length, eTag: etag(kids), elements: items });
  });
  app.get('/rs/prns/:oid/kids/:kidOid', async (request, reply) => {
    const found = kidOf(request, reply);
    return found ? reply.send({ oid: Number(found.kid.oid), ...personView(found.kid, found.scopes) }) : reply;
  });
  app.get('/rs/prns/:oid/kids/:kidOid/docs', async (request, reply) => {
    const found = kidOf(request, reply);
    if (!found) return reply;
    if (!allowed('docs', found.scopes)) return forbidden(reply);
    const items = elements(found.kid, 'docs', found.scopes);
    return reply.send({ stateFacts: ['hasSize'], size: items.length, eTag: etag(items), elements: items });
  });

  // Organisations (usr_org): /roles inline memberships, /orgs links to /rs/orgs/{oid} (§1).
  app.get('/rs/prns/:oid/roles', async (request, reply) => {
    const auth = authorise(request, reply);
    if (!auth) return reply;
    if (!auth.scopes.has('usr_org')) return forbidden(reply);
    const items = auth.persona.organizations.map((org) => ({ ...org, oid: Number(org.oid) }));
    return reply.send({ stateFacts: ['hasSize'], size: items.length, elements: items });
  });
  app.get('/rs/prns/:oid/orgs', async (request, reply) => {
    const auth = authorise(request, reply);
    if (!auth) return reply;
    if (!auth.scopes.has('usr_org')) return forbidden(reply);
    const items = auth.persona.organizations.map((org) => `${ctx.baseUrl}/rs/orgs/${org.oid}`);
    return reply.send({ stateFacts: ['hasSize'], size: items.length, elements: items });
  });
  app.get('/rs/orgs/:orgOid', async (request, reply) => {
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const grant = token ? ctx.accessTokens.get(token) : undefined;
    if (!grant) return reply.code(401).send({ code: 'ESIA-008010', message: 'Authentication failed' });
    const org = ctx.personas.get(grant.oid)?.organizations.find((o) => o.oid === (request.params as { orgOid: string }).orgOid);
    if (!org || !grant.scope.split(' ').includes('usr_org')) return forbidden(reply);
    return reply.send({ oid: Number(org.oid), fullName: org.fullName, shortName: org.shortName, ogrn: org.ogrn });
  });
}

/** The person object with the fields the scopes allow (§5), in ESIA's formats. */
function personView(p: Persona, scopes: Set<string>): Record<string, unknown> {
  const view: Record<string, unknown> = { stateFacts: ['EntityRoot'] };
  if (scopes.has('fullname')) Object.assign(view, { firstName: p.firstName, lastName: p.lastName, ...(p.middleName ? { middleName: p.middleName } : {}) });
  if (scopes.has('birthdate') && p.birthDate) view['birthDate'] = p.birthDate;
  if (scopes.has('birthplace') && p.birthPlace) view['birthPlace'] = p.birthPlace;
  if (scopes.has('gender') && p.gender) view['gender'] = p.gender;
  Object.assign(view, { trusted: p.trusted });
  if (scopes.has('id_doc') && p.citizenship) view['citizenship'] = p.citizenship;
  if (scopes.has('snils') && p.snils) view['snils'] = p.snils;
  if (scopes.has('inn') && p.inn) view['inn'] = p.inn;
  const rIdDoc = identityDocumentId(p);
  if (scopes.has('id_doc') && rIdDoc !== undefined) view['rIdDoc'] = rIdDoc;
  Object.assign(view, { updatedOn: 1_700_000_000, status: 'REGISTERED', verifying: p.verifying, containsUpCfmCode: false, eTag: etag(p) });
  return view;
}

/** ?embed=(elements) → [['', kind-less]]; ?embed=(contacts.elements,documents.elements) → names. */
function embeds(query: unknown): Array<[string, Kind | undefined]> {
  const embed = singleValues(query)['embed'];
  const inner = embed ? /^\((.*)\)$/.exec(embed)?.[1] : undefined;
  if (!inner) return [];
  return inner.split(',').flatMap((part): Array<[string, Kind | undefined]> => {
    if (part === 'elements') return [['', undefined]];
    const name = /^(\w+)\.elements$/.exec(part)?.[1];
    return name ? [[name, EMBED_NAMES[name]]] : [];
  });
}

function etag(value: unknown): string {
  let hash = 0;
  for (const ch of JSON.stringify(value)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash.toString(16).toUpperCase().padStart(8, '0').repeat(5);
}
