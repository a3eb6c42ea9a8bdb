import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/observability/logger.js';

// A field named like one of pino's own keys became a second JSON key that wins on parse: the
// "ESIA login completed" line once read as level "standard" in every log pipeline.
function captured(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

t.test("a field named like pino's keys never overrides them", async (t) => {
  const { lines, stream } = captured();
  const logger = createLogger({ level: 'debug', destination: stream });
  logger.info({ level: 'standard', time: 'noon', pid: 'p', hostname: 'h', msg: 'other', oid: 7 }, 'ESIA login completed');
  logger.child({ reqId: 'r1' }).warn({ level: 'confirmed' }, 'child line');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(lines.length, 2);
  const [first, second] = lines;
  t.equal(first?.level, 30, 'numeric level stays');
  t.equal(first?.msg, 'ESIA login completed');
  t.not(first?.time, 'noon');
  t.not(first?.pid, 'p');
  t.not(first?.hostname, 'h');
  t.equal(first?.field_level, 'standard', 'the caller value is kept under another name');
  t.equal(first?.field_msg, 'other');
  t.equal(first?.oid, 7);
  t.equal(second?.level, 40);
  t.equal(second?.field_level, 'confirmed');
});
