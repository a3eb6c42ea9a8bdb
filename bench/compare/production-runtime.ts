import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How production runs the broker, read from the files that decide it, so the benches measure what
 * ships: the node flags of the image's CMD, and the memory limit of a production pod.
 */
export function imageNodeFlags(root: string): string[] {
  const line = readFileSync(join(root, 'Dockerfile'), 'utf8').match(/^CMD (\[.*\])$/m)?.[1];
  const command = line ? (JSON.parse(line) as string[]) : [];
  if (command[0] !== 'node') throw new Error(`the Dockerfile's CMD is not a node command: ${line}`);
  return command.slice(1).filter((word) => word.startsWith('--'));
}

export function podMemoryLimitMb(root: string): number {
  const manifest = readFileSync(join(root, 'deploy/k8s/overlays/production/replicas.yaml'), 'utf8');
  const mi = /limits:\s*\n\s*memory:\s*(\d+)Mi\b/.exec(manifest)?.[1];
  if (!mi) throw new Error('no memory limit (in Mi) in the production overlay');
  return Number(mi);
}
