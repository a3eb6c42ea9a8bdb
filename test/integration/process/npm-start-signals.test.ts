import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../../helpers/spawn-broker.js';

/**
 * `npm start` as an operator runs it, signalled the way an operator would signal it: at the npm
 * process. npm forwards SIGTERM and SIGINT but not SIGHUP; whatever npm does, no broker may be
 * left running without it.
 */
function npmStart() {
  const dataDir = mkdtempSync(join(tmpdir(), 'esia-broker-npm-start-'));
  // A clean environment: none of the outer npm's npm_* variables, so npm sets its own.
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  npm.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  const ready = (async () => {
    for (let i = 0; i < 4800; i += 1) {
      const match = /"address":"(http:\/\/[^"]+)".*"brokerPid":(\d+).*"msg":"esia-broker ready"/.exec(out);
      if (match?.[1] && match[2]) return { url: match[1], pid: Number(match[2]) };
      if (npm.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`the broker never got ready:\n${out}`);
  })();
  return { npm, ready, exited, output: () => out, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** The parent pid and state of a process from /proc; undefined once it is gone. A zombie counts as gone. */
function processInfo(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? undefined : { ppid: Number(ppid), state: state ?? '' };
  } catch {
    return undefined;
  }
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processInfo(pid)) return true;
    await sleep(100);
  }
  return !processInfo(pid);
}

function teardown(started: ReturnType<typeof npmStart>) {
  return () => {
    started.npm.kill('SIGKILL');
    started.ready.then(({ pid }) => processInfo(pid) && process.kill(pid, 'SIGKILL')).catch(() => undefined);
    started.cleanup();
  };
}

// Each start migrates a fresh embedded database (a minute on a loaded machine): two starts in all.
t.test('SIGHUP: to the broker it reloads the regions; to npm, which dies of it, the broker stops too', async (t) => {
  const started = npmStart();
  t.teardown(teardown(started));
  const { url, pid } = await started.ready;
  t.equal(processInfo(pid)?.ppid, started.npm.pid, 'the broker is npm\'s own child: no shell or loader in between to swallow a signal');

  process.kill(pid, 'SIGHUP');
  for (let i = 0; i < 400 && !/region table reloaded/.test(started.output()); i += 1) await sleep(50);
  t.match(started.output(), /"msg":"region table reloaded"/, 'SIGHUP to the pid of the ready line reloads the regions');
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'and the broker keeps serving');
  t.equal(started.npm.exitCode, null, 'npm still waits for it');

  started.npm.kill('SIGHUP'); // npm does not forward SIGHUP: it dies of it
  await started.exited;
  t.ok(await goneWithin(pid, 60_000), `no broker survives npm (pid ${pid})`);
  t.match(started.output(), /the npm process that started the broker is gone/, 'the broker said why it stops');
  t.match(started.output(), /"msg":"stopped"/, 'and stopped cleanly, not killed');
  await t.rejects(fetch(`${url}/healthz`), 'nothing listens any more');
});

t.test('SIGTERM to the npm process of `npm start` stops the broker cleanly', async (t) => {
  const started = npmStart();
  t.teardown(teardown(started));
  const { url, pid } = await started.ready;
  t.equal(processInfo(pid)?.ppid, started.npm.pid, 'npm\'s own child');
  started.npm.kill('SIGTERM');
  await started.exited;
  t.ok(await goneWithin(pid, 60_000), `no broker survives npm (pid ${pid})`);
  t.match(started.output(), /"signal":"SIGTERM".*"msg":"shutting down/, 'the broker got the SIGTERM npm forwarded');
  t.match(started.output(), /"msg":"stopped"/, 'and stopped cleanly');
  await t.rejects(fetch(`${url}/healthz`), 'nothing listens any more');
});
