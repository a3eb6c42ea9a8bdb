#!/usr/bin/env node
// `npx esia-emulator`: the ESIA emulator for any ESIA client (docs/emulator.md). The compiled
// one when dist/ exists (the Docker image, after `npm run build`), otherwise the TypeScript
// source through tsx (a development checkout).
import { existsSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/src/emulator/main.js', root);

if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('src/emulator/main.ts', root).href);
}
