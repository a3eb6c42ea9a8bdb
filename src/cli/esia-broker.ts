import { processIo } from './cli-io.js';
import { runCli } from './run.js';

/** Process entry of `npx esia-broker` (bin/esia-broker.js runs this, compiled or through tsx). */
process.exitCode = await runCli(process.argv.slice(2), processIo);
