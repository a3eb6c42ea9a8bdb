import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import type { Orders, Report } from '../../../bench/soak/generator.js';

// bench/soak.ts's load generator runs as its own process and reports, per minute and for the
// whole run, each kind's percentiles and its own event-loop delay. Here it runs a second of the
// soak's mix against a stand-in broker that rotates refresh tokens. No speed is asserted.
t.test('the soak generator reports per kind, from its own process', async (t) => {
  let issued = 0;
  const valid = new Set(['r0', 'r1']);
  const seen = new Set<string>();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const path = request.url ?? '';
      seen.add(path);
      if (path === '/token') {
        const token = new URLSearchParams(body).get('refresh_token') ?? '';
        if (!valid.delete(token)) return void response.writeHead(400).end('{"error":"invalid_grant"}');
        const next = `r${(issued += 1) + 1}`;
        valid.add(next);
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `a${issued}`, refresh_token: next }));
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"active":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };

  const generator = fork(join(import.meta.dirname, '..', '..', '..', 'bench', 'soak', 'generator.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  t.teardown(() => void generator.kill());
  const reports: Report[] = [];
  const orders: Orders = { url: `http://127.0.0.1:${port}`, basic: 'Basic eDp5', tokens: [{ access_token: 'a0', refresh_token: 'r0' }, { access_token: 'a0', refresh_token: 'r1' }], rate: 100, minutes: 1 / 60 };
  generator.send(orders);
  await new Promise<void>((resolve) => {
    generator.on('message', (message: Report) => {
      reports.push(message);
      if (message.type === 'done') {
        generator.disconnect();
        resolve();
      }
    });
  });

  t.same(reports.map((r) => r.type), ['soaking', 'minute', 'done'], 'a given rate skips the flat-out probe; one (short) minute, then the whole run');
  const minute = reports[1] as Extract<Report, { type: 'minute' }>;
  t.ok(minute.answers >= 99, 'every request due in the second is answered'); // 99 or 100: 1/60 of a minute in floating point
  t.equal(minute.failed, 0, 'refresh chains rotate without a break');
  t.same(Object.keys(minute.kinds).sort(), ['introspect', 'refresh', 'userinfo'], 'percentiles per kind');
  t.equal(minute.kinds['introspect']!.n + minute.kinds['userinfo']!.n + minute.kinds['refresh']!.n, minute.all.n);
  t.ok(minute.all.p99 >= minute.all.p50 && minute.all.p50 > 0);
  t.ok(minute.lateness.n === minute.answers && minute.lateness.max >= minute.lateness.p99, 'how late each request left the generator');
  t.ok(minute.loop.n > 0 && minute.loop.max > 0, "the generator's own event-loop delay");
  const done = reports[2] as Extract<Report, { type: 'done' }>;
  t.equal(done.whole.all.n, minute.answers);
  t.same(done.refusals, {});
  t.ok(seen.has('/introspect') && seen.has('/userinfo') && seen.has('/token'));
});
