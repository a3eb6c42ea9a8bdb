import { readFile } from 'node:fs/promises';

/** Where a command reads and writes: stdout for data, stderr for messages. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** A file's text, or stdin's for `-`. */
  read(path: string): Promise<string>;
}

/** Bad command line: exit code 2 with the usage text. */
export class UsageError extends Error {}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  async read(path) {
    if (path !== '-') return readFile(path, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};
