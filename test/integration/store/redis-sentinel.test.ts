import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '../../helpers/daemon.js';
import { scratchDir } from '../../helpers/emulator.js';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';
import { freePort, hasRedisServer, startPrivateRedis } from '../../helpers/private-redis.js';

// Redis Sentinel on private ports (a primary, a replica, one sentinel with quorum 1: enough to
// fail over here; production runs three sentinels). The broker finds the primary through the
// sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME); the primary is killed while /readyz is polled,
// the sentinel promotes the replica, and logins go on within the stated bound.
const FAILOVER_BOUND_MS = 15_000;
const hasSentinel = spawnSync('redis-sentinel', ['--version']).status === 0 || spawnSync('/usr/bin/redis-sentinel', ['--version']).status === 0;
const skip = !hasRedisServer() ? 'redis-server is not installed' : !hasSentinel ? 'redis-sentinel is not installed (Debian package redis-sentinel; .ci/run installs it)' : false;

const redisCli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout ?? '';

if (skip) {
  t.test('Redis Sentinel failover', { skip }, () => undefined);
} else {
  const [primaryPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  t.teardown(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  const primary = await startPrivateRedis(primaryPort);
  children.push(primary);
  const replica = await startPrivateRedis(replicaPort, '--replicaof', '127.0.0.1', String(primaryPort));
  children.push(replica);
  await until('the replica in sync', () => redisCli(replicaPort, 'info', 'replication').includes('master_link_status:up'));
  const dir = scratchDir('sentinel-');
  chmodSync(dir, 0o755);
  const sentinelConf = join(dir, 'sentinel.conf');
  writeFileSync(sentinelConf, [`port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor esia-test 127.0.0.1 ${primaryPort} 1`, 'sentinel down-after-milliseconds esia-test 1000', 'sentinel failover-timeout esia-test 5000', ''].join('\n'));
  const sentinel = spawn('redis-sentinel', [sentinelConf], { stdio: 'ignore' });
  children.push(sentinel);
  await until('the sentinel sees the replica', () => /127\.0\.0\.1/.test(redisCli(sentinelPort, 'sentinel', 'replicas', 'esia-test')));

  const env = await startFlowEnvironment({ env: { REDIS_URL: `redis://127.0.0.1:${primaryPort}`, REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, REDIS_SENTINEL_NAME: 'esia-test', REDIS_COMMAND_TIMEOUT_MS: '1000' } });
  t.teardown(() => env.close());
  const login = flowLogin(env);

  t.test('the primary fails during traffic: the replica takes over and logins go on', async (t) => {
    t.same(env.broker.config.storage.redisSentinel, { sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name: 'esia-test' });
    const profile = await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
    t.equal((await (await login('1000000101')).tokens()).claims()!.sub, profile.id, 'a login before the failover');
    t.ok(redisCli(replicaPort, 'dbsize').trim() !== '0', 'the broker wrote to the primary, and it replicated');

    // Traffic: /readyz (a Redis round trip) every 100 ms through the failover.
    const answers: Array<{ at: number; status: number }> = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const status = await fetch(`${env.broker.url}/readyz`).then((r) => r.status, () => 0);
        answers.push({ at: Date.now(), status });
        await sleep(100);
      }
    })();
    // A failed wait below must still stop the poller, or the process never exits.
    t.teardown(() => {
      polling = false;
    });
    await sleep(500);
    const killedAt = Date.now();
    primary.kill('SIGKILL');
    await until('the sentinel promotes the replica', () => redisCli(sentinelPort, 'sentinel', 'get-master-addr-by-name', 'esia-test').includes(String(replicaPort)), FAILOVER_BOUND_MS).catch((error: unknown) => {
      t.comment(redisCli(sentinelPort, 'sentinel', 'master', 'esia-test').replace(/\s+/g, ' '));
      throw error;
    });
    // Sentinel takes down-after (1 s) to notice; anything after that must come back.
    const settled = killedAt + 1500;
    await until('/readyz answers 200 again', () => answers.some((a) => a.at > settled && a.status === 200), FAILOVER_BOUND_MS).catch((error: unknown) => {
      t.comment(answers.filter((a) => a.at > killedAt).map((a) => `${a.at - killedAt}:${a.status}`).join(' '));
      throw error;
    });
    const recovered = answers.find((a) => a.at > settled && a.status === 200)!;
    polling = false;
    await poller;
    t.ok(recovered.at - killedAt < FAILOVER_BOUND_MS, `ready again ${recovered.at - killedAt} ms after the primary died (bound ${FAILOVER_BOUND_MS} ms)`);
    t.ok(answers.every((a) => a.status === 200 || a.status === 503), `only 200 or 503 meanwhile: ${[...new Set(answers.map((a) => a.status))].join(', ')}`);

    const after = await login('1000000101');
    t.equal((await after.tokens()).claims()!.sub, profile.id, 'a whole login after the failover, on the promoted replica');
    t.ok(Number(redisCli(replicaPort, 'dbsize').trim()) > 0, 'whose state is in the new primary');
    t.match(redisCli(replicaPort, 'info', 'replication'), /role:master/);
  });
}
