import { flowLogin, startFlowEnvironment } from '../test/helpers/login-flow.js';
import { backends, runConcurrent, summarize } from './stats.js';

// Whole logins over real HTTP: openid-client → /authorize → the ESIA emulator (signed request,
// consent) → /esia/callback (token exchange, id_token check, person read, matching) → code →
// /token. The person is already linked, as on every login after the first.
const env = await startFlowEnvironment();
const login = flowLogin(env);
await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
await (await login('1000000101')).tokens(); // links, warms up

console.log(`backends: ${backends()}`);
for (const concurrency of [1, 4, 16]) {
  const total = concurrency === 1 ? 30 : 60;
  const { durations, wallMs } = await runConcurrent(total, concurrency, async () => {
    const result = await login('1000000101');
    await result.tokens();
  });
  const s = summarize(durations);
  console.log(`login concurrency=${concurrency}: ${((total / wallMs) * 1000).toFixed(1)} logins/s, p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms`);
}
await env.close();
