import t from 'tap';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { createMetrics } from '../../../src/metrics/metrics.js';

// The live-heap gauge follows what the heap keeps across major collections, not its garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settle = () => new Promise((resolve) => setTimeout(resolve, 50)); // the GC observer is told a moment later

const metrics = createMetrics();
const liveMb = async () => {
  const body = await metrics.registry.metrics();
  const value = /^esia_broker_heap_live_bytes (\S+)$/m.exec(body)?.[1];
  return value === undefined ? NaN : Number(value) / 2 ** 20;
};

// The gauge is the least of the last three major collections' readings.
const collect = async (times: number) => {
  for (let i = 0; i < times; i++) {
    gc();
    await settle();
  }
};

t.test('rises by what is kept, falls when it is let go, ignores garbage', async (t) => {
  await collect(3);
  const base = await liveMb();
  t.ok(base > 1, `the heap kept after a major GC: ${base.toFixed(1)} MB`);

  const kept: number[][] = Array.from({ length: 64 }, () => new Array<number>(64 * 1024).fill(1.5)); // ~32 MB of doubles
  await collect(1);
  t.ok((await liveMb()) - base < 25, 'one collection that kept more does not move it: it may have been garbage caught mid-marking');
  await collect(2);
  const holding = await liveMb();
  t.ok(holding - base > 25, `holding ~32 MB: ${base.toFixed(1)} → ${holding.toFixed(1)} MB`);

  for (let i = 0; i < 64; i++) new Array<number>(64 * 1024).fill(i + 0.5); // garbage only
  t.equal(await liveMb(), holding, 'garbage made since moves nothing until the next major GC');

  kept.length = 0;
  gc();
  await settle();
  const released = await liveMb();
  t.ok(holding - released > 25, `let go: ${holding.toFixed(1)} → ${released.toFixed(1)} MB`);
});
