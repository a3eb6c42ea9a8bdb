import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import type { HttpSeries, Metrics } from '../metrics/metrics.js';
import { addRouteHook } from './route-hooks.js';

/**
 * Counts and times every request by its route pattern (never the raw URL: bounded labels).
 * Each route gets its own onResponse hook, attached as it is registered (install this before
 * any route), that knows its pattern, so no request looks its route up, and keeps its series
 * per method and status. Requests no route matched count under `unmatched`.
 */
export function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onRoute', (route) => addRouteHook(route, 'onResponse', countRequests(metrics, route.url)));
  const unmatched = countRequests(metrics, 'unmatched');
  app.addHook('onResponse', function countUnmatched(request, reply, done) {
    if (request.is404) unmatched.call(this, request, reply, done);
    else done();
  });
}

function countRequests(metrics: Metrics, route: string): onResponseHookHandler {
  const seriesOf = routeSeries(metrics, route);
  return (request, reply, done) => {
    seriesOf(request.method, reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  };
}

/**
 * One route's series by method and status, each looked up once (bounded: a route answers a few
 * methods with a few statuses). The route hooks and the public documents' fast path count
 * through it, so both fill the same series.
 */
export function routeSeries(metrics: Metrics, route: string): (method: string, status: number) => HttpSeries {
  const series = new Map<string, HttpSeries>();
  return (method, status) => {
    const key = `${method} ${status}`;
    let one = series.get(key);
    if (!one) {
      one = metrics.httpSeries({ route, method, status: String(status) });
      series.set(key, one);
    }
    return one;
  };
}
