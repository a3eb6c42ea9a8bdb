import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { within } from '../../helpers/within.js';

const SINK = join(import.meta.dirname, '..', '..', '..', 'src', 'observability', 'stdout-sink.ts');

/**
 * A child process that logs `lines` lines of 1 KB through the sink on its stdout (a pipe to us),
 * `batch` at a time with a pause between (as a server logs), drains for at most `drainMs`,
 * reports the sink's state on stderr and exits.
 */
function logger(lines: number, { pauseMs = 0, batch = lines, backlog = 256 * 1024, drainMs = 300 } = {}) {
  const script = `
    import { createLogSink } from ${JSON.stringify(SINK)};
    const sink = createLogSink({ maxBacklogBytes: ${backlog} });
    await new Promise((r) => setTimeout(r, ${pauseMs}));
    for (let i = 0; i < ${lines}; i += 1) {
      sink.write(String(i).padStart(8, '0') + 'x'.repeat(1015) + '\\n');
      if ((i + 1) % ${batch} === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await sink.drain(${drainMs});
    process.stderr.write(JSON.stringify(sink.state()));
    process.exit(0);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit, state: async () => (await exit, JSON.parse(err) as { broken: boolean; backlogBytes: number; dropped: number }) };
}

t.test('a stalled reader: writes never block, the backlog stays bounded, the process exits', async (t) => {
  const run = logger(20_000);
  t.teardown(() => run.child.kill('SIGKILL'));
  run.child.stdout.pause(); // we stop reading: the pipe fills, the child meets EAGAIN
  t.equal(await within(run.exit, 20_000, 'timed out'), 0, 'exits 0 although 20 MB could not be written');
  const state = await run.state();
  t.equal(state.broken, false);
  t.ok(state.backlogBytes <= 256 * 1024, `backlog bounded (${state.backlogBytes} bytes)`);
  t.ok(state.dropped > 0, `lines beyond the backlog were dropped (${state.dropped})`);
});

t.test('a reader that is gone: the sink stops writing for good and the process exits', async (t) => {
  const run = logger(1000, { pauseMs: 200 });
  t.teardown(() => run.child.kill('SIGKILL'));
  run.child.stdout.destroy(); // EPIPE on the first write
  t.equal(await within(run.exit, 20_000, 'timed out'), 0, 'exits 0');
  const state = await run.state();
  t.equal(state.broken, true, 'the sink knows the pipe is broken');
  t.equal(state.backlogBytes, 0, 'and holds nothing');
});

t.test('a reader that keeps reading gets every line, in order', async (t) => {
  // 3 MB in all fits the 4 MB backlog: however slowly we read, nothing may be dropped.
  const run = logger(3000, { batch: 50, backlog: 4 * 1024 * 1024, drainMs: 15_000 });
  let out = '';
  run.child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  t.equal(await within(run.exit, 20_000, 'timed out'), 0);
  t.same(await run.state(), { broken: false, backlogBytes: 0, dropped: 0 });
  const numbers = out.split('\n').filter(Boolean).map((line) => Number(line.slice(0, 8)));
  t.same(numbers, Array.from({ length: 3000 }, (_, i) => i), 'all 3000 lines arrived, in order');
});
