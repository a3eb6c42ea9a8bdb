import type { onRequestHookHandler, onResponseHookHandler, RouteOptions } from 'fastify';

/**
 * Adds a hook to one route from an onRoute hook, after any the route declares itself. A hook
 * that only some routes need, attached this way, costs the other routes nothing, where a
 * global hook runs (and must look the route up) on every request.
 */
export function addRouteHook(route: RouteOptions, name: 'onRequest', hook: onRequestHookHandler): void;
export function addRouteHook(route: RouteOptions, name: 'onResponse', hook: onResponseHookHandler): void;
export function addRouteHook(route: RouteOptions, name: 'onRequest' | 'onResponse', hook: unknown): void {
  const existing: unknown = route[name];
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  Object.assign(route, { [name]: [...list, hook] });
}
