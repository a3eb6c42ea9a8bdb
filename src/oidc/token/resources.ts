import { InvalidTarget } from '../../errors/oauth-errors.js';

/**
 * RFC 8707 §2.2: at the token endpoint, `resource` may only narrow what was authorized.
 * None requested: every authorized resource.
 */
export function narrowResources(authorized: readonly string[], requested: readonly string[]): string[] {
  if (requested.length === 0) return [...authorized];
  const outside = requested.filter((r) => !authorized.includes(r));
  if (outside.length > 0) throw new InvalidTarget('resource was not part of the authorization');
  return [...new Set(requested)];
}
