import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A memory cgroup of a given size for the broker to run in, as its container does in production:
 * Node sizes V8's heap from the memory it is allowed (process.constrainedMemory()), so a broker
 * run bare on a large machine gets a heap ten times the one it has in its pod, and its RSS
 * says little about production. Needs root (or a delegated cgroup) and the cgroup file system;
 * cgroup v2 (memory.max) or v1 (memory.limit_in_bytes).
 */
export interface MemoryCgroup {
  /** Wraps a command so that it runs inside the cgroup from its first instruction. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  remove(): void;
}

export function createMemoryCgroup(name: string, limitMb: number): MemoryCgroup {
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  const v1 = own.find((line) => line.split(':')[1]?.split(',').includes('memory'));
  const v2 = own.find((line) => line.startsWith('0::'));
  const bytes = String(limitMb * 2 ** 20);
  let dir: string | undefined;
  const problems: string[] = [];
  if (v1) {
    dir = join('/sys/fs/cgroup/memory', v1.split(':')[2] ?? '/', name);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
    } catch (error) {
      problems.push(`cgroup v1 at ${dir}: ${(error as Error).message}`);
      dir = undefined;
    }
  }
  if (!dir && v2 && existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const parent = join('/sys/fs/cgroup', v2.slice(3));
    dir = join(parent, name);
    try {
      // A v2 cgroup hands the memory controller to its children only when asked to.
      if (!readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').includes('memory')) writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.max'), bytes);
    } catch (error) {
      problems.push(`cgroup v2 at ${dir}: ${(error as Error).message}`);
      dir = undefined;
    }
  }
  if (!dir) throw new Error(`cannot limit the broker's memory to ${limitMb} MB (${problems.join('; ') || 'no memory cgroup found'}); run as root, or pass --memory-limit 0 to run it unlimited`);
  const procs = join(dir, 'cgroup.procs');
  return {
    wrap: (command, args) => ({ command: '/bin/sh', args: ['-c', `echo $$ > '${procs}' && exec "$@"`, 'sh', command, ...args] }),
    remove() {
      try {
        rmdirSync(dir);
      } catch {
        // still busy (a straggler) or gone: the kernel frees it with its last process
      }
    },
  };
}
