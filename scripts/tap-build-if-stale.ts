import { spawnSync } from 'node:child_process';
import { TapConfig } from '@tapjs/config';
import { signature } from '@tapjs/test';

/**
 * Rebuilds tap's test class before `npm test` when it was built with other plugins than
 * package.json's tap config asks for, as it is after every `npm ci` (tap ships built with its
 * default plugins, @tapjs/typescript among them). tap does rebuild by itself, but the run that
 * notices keeps the loaders it started with for every test file it runs: after a fresh install
 * the whole suite ran with ts-node loaded next to tsx, several seconds more per test process.
 * A build that is already right is left alone: rebuilding rewrites node_modules/@tapjs/test.
 */
const config = await TapConfig.load();
if (signature !== config.pluginSignature) {
  console.log('tap was built with other plugins than package.json configures: tap build');
  const built = spawnSync('npx', ['tap', 'build'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
