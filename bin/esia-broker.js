#!/usr/bin/env node
// `npx esia-broker <command>`: the compiled CLI when dist/ exists (the Docker image, after
// `npm run build`), otherwise the TypeScript source through tsx (a development checkout).
import { existsSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/src/cli/esia-broker.js', root);

if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('src/cli/esia-broker.ts', root).href);
}
