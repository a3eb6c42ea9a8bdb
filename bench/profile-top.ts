import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

// Summarises a V8 CPU profile (node --cpu-prof; bench:compare --cpu-prof DIR): the frames with
// the most self time, and the broker's own functions with the most total (inclusive) time.
// Usage: npx tsx bench/profile-top.ts FILE.cpuprofile [N]
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, count = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const frame = (n: Node) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? relative(process.cwd(), url.replace('file://', '')).replace(/^node_modules\//, '') : '';
  return `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  self.set(frame(node), (self.get(frame(node)) ?? 0) + us);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const name = frame(byId.get(at)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const top = (map: Map<string, number>, filter: (name: string) => boolean) =>
  [...map].filter(([name]) => filter(name)).sort((a, b) => b[1] - a[1]).slice(0, Number(count));

console.log(`total ${(total / 1e6).toFixed(1)} s sampled`);
console.log('\nself time:');
for (const [name, us] of top(self, () => true)) console.log(`${pct(us)}  ${name}`);
console.log('\ntotal time, the broker\'s own code (dist/src):');
for (const [name, us] of top(inclusive, (name) => name.includes('dist/src/'))) console.log(`${pct(us)}  ${name}`);
