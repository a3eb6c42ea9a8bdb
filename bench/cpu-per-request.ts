import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startBrokerSide } from './compare/broker-side.js';
import { startChild } from './compare/children.js';

// CPU time the serving process spends per answer (utime + stime from /proc) for discovery,
// JWKS, userinfo and introspection, next to a bare Fastify JSON GET measured the same way in the
// same run. Unlike requests/s this barely moves when other processes share the cores.
// Build first (npm run build).
// Usage: npx tsx bench/cpu-per-request.ts [--seconds 5] [--rounds 3]
//   [--only discovery,jwks,userinfo,introspection] [--cpu-prof DIR]
const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, 'cpu-prof': { type: 'string' }, only: { type: 'string' } },
});
const seconds = Number(args.seconds);
const TICK_US = 10_000; // USER_HZ is 100 on Linux

function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

async function perRequest(pid: number, url: string, headers: Record<string, string> = {}, body?: string): Promise<{ us: number; answers: number }> {
  const before = cpuUs(pid);
  const result = await autocannon({ url, headers, connections: 32, duration: seconds, ...(body === undefined ? {} : { method: 'POST', body }) });
  const answers = result['2xx'];
  if (answers === 0 || result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers`);
  return { us: (cpuUs(pid) - before) / answers, answers };
}

const bare = await startChild<{ url: string }>('bare.ts');
const profDir = args['cpu-prof'];
const broker = await startBrokerSide({ logins: 1, nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
const access = broker.tokens[0]!.access_token;
const targets: [string, number, string, Record<string, string>?, string?][] = [
  ['bare Fastify JSON GET', bare.child.pid!, `${bare.info.url}/`],
  ['discovery', broker.child.pid!, `${broker.url}/.well-known/openid-configuration`],
  ['JWKS', broker.child.pid!, `${broker.url}/jwks`],
  ['userinfo', broker.child.pid!, `${broker.url}/userinfo`, { authorization: `Bearer ${access}` }],
  ['introspection', broker.child.pid!, `${broker.url}/introspect`, { authorization: broker.basic, 'content-type': 'application/x-www-form-urlencoded' }, `token=${access}`],
];
const wanted = targets.filter(([name]) => name.startsWith('bare') || !args.only || args.only.split(',').includes(name.toLowerCase()));
const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
const best = new Map<string, number>();
for (let round = 0; round < Number(args.rounds); round++) {
  for (const [name, pid, url, headers, body] of wanted) {
    const { us } = await perRequest(pid, url, headers, body);
    best.set(name, Math.min(best.get(name) ?? Infinity, us));
  }
}
await broker.close();
await bare.close();
const bareUs = best.get('bare Fastify JSON GET')!;
console.log(`load average before ${load}, after ${loadavg().map((l) => l.toFixed(2)).join(' / ')}; ${args.rounds} rounds of ${seconds} s, the lowest CPU per answer of each`);
for (const [name, us] of best) console.log(`${name.padEnd(24)} ${us.toFixed(1).padStart(6)} µs CPU per answer   bare ÷ this ${(bareUs / us * 100).toFixed(0).padStart(4)}%`);
