import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_GOST_ENGINE, createOpenssl, gostConf, type Openssl } from '../../src/esia/openssl.js';

/** GOST helpers for tests: our openssl wrapper, and an independent CLI call to check it against. */
export function testOpenssl(): Openssl {
  return createOpenssl({ bin: 'openssl', enginePath: DEFAULT_GOST_ENGINE });
}

let conf: string | undefined;
/** Runs openssl synchronously with the gost engine, outside our code: the reference to check against. */
export function opensslCli(args: string[], input?: Buffer | string): Buffer {
  if (!conf) {
    conf = join(mkdtempSync(join(tmpdir(), 'gost-cli-')), 'gost.cnf');
    writeFileSync(conf, gostConf(DEFAULT_GOST_ENGINE));
  }
  return execFileSync('openssl', args, { input: input ?? '', env: { ...process.env, OPENSSL_CONF: conf }, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function scratchDir(prefix = 'esia-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
