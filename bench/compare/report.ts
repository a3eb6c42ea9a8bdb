import type { LoginCpu } from './login-cpu.js';
import type { Measured } from './load.js';

export interface Row {
  name: string;
  figure: string;
  peer: Measured | undefined;
  broker: Measured;
  note: string;
  /** Discovery and JWKS: this figure ÷ the bare GET in each interleaved round (the row is the median round). */
  roundsVsBare?: number[];
}

export interface Run {
  date: string;
  machine: { cpus: number; cpu: string; memoryGb: number; node: string };
  /** The broker's node flags: the image's, then --node-arg's (absent in runs before they were noted). */
  brokerNodeFlags?: string[];
  loadAverage: { before: number[]; after: number[] };
  load: { connections: number; duration: number };
  bare: Measured | undefined;
  /** Interleaved rounds of bare GET, discovery and JWKS. */
  documentRounds?: number;
  rows: Row[];
  loginCpu?: (LoginCpu & { signer: string | undefined }) | undefined;
}

const cell = (m: Measured | undefined) => (m ? `${m.rps.toLocaleString('en')}/s, p99 ${m.p99} ms${m.failed ? `, ${m.failed} failed` : ''}${m.cpuMsPerAnswer !== undefined ? `, ${m.cpuMsPerAnswer} ms CPU each` : ''}${m.postgresCpuMsPerAnswer !== undefined ? ` (+ ${m.postgresCpuMsPerAnswer} ms in Postgres)` : ''}` : '—');
const ratio = (ours: number, theirs: number | undefined) => (theirs ? `${(ours / theirs).toFixed(2)}×` : '—');

const percent = (r: number) => `${Math.round(100 * r)}%`;
/** The median of the interleaved rounds, then every round in the order run. */
function medianWithRounds(ratios: number[]): string {
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return ratios.length > 1 ? `${percent(median)} (rounds: ${ratios.map(percent).join(', ')})` : percent(median);
}

/** The issue's table: each figure for the peer and for us, our ratio to the peer (and to a bare Fastify GET). */
export function renderMarkdown(run: Run): string {
  const lines = [
    `## bench:compare — ${run.date.slice(0, 16).replace('T', ' ')} UTC`,
    `${run.machine.cpus} × ${run.machine.cpu}, ${run.machine.memoryGb} GB, Node ${run.machine.node}${run.brokerNodeFlags ? ` (the broker's flags: ${run.brokerNodeFlags.join(' ') || 'none'})` : ''}; load average before ${run.loadAverage.before.join(' / ')}, after ${run.loadAverage.after.join(' / ')}; ${run.load.connections} connections, ${run.load.duration} s per figure${run.documentRounds && run.documentRounds > 1 ? `; discovery and JWKS in ${run.documentRounds} interleaved rounds with the bare GET, the median round shown` : ''}.`,
    '',
    '| figure | node-oidc-provider | esia-broker | esia-broker ÷ peer | esia-broker ÷ bare Fastify GET |',
    '|---|---|---|---|---|',
  ];
  for (const row of run.rows) {
    const vsBare = row.roundsVsBare ? medianWithRounds(row.roundsVsBare) : '';
    lines.push(`| ${row.figure} | ${cell(row.peer)} | ${cell(row.broker)} | ${ratio(row.broker.rps, row.peer?.rps)} | ${vsBare} |`);
  }
  if (run.bare) lines.push(`| bare Fastify JSON GET${run.documentRounds && run.documentRounds > 1 ? ' (median round)' : ''} | | ${cell(run.bare)} | | 100% |`);
  if (run.loginCpu) {
    const c = run.loginCpu;
    lines.push(`| broker's own CPU per whole login (authorize → ESIA → callback → token), ESIA_SIGNER=${c.signer}, ${c.logins} logins ${c.concurrency === 1 ? 'one at a time' : `${c.concurrency} at a time`} after ${c.warmUp} to warm up | — | ${c.ownMs} ms (${c.userMs} user, ${c.systemMs} system; + ${c.childrenMs} ms in spawned openssl) | | |`);
  }
  const notes = run.rows.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`);
  return `${[...lines, '', ...notes].join('\n')}\n`;
}
