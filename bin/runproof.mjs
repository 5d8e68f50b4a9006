#!/usr/bin/env node
// Entry point of the `runproof` command: loads the TypeScript CLI through tsx
// so the checkout needs no separate compile step.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.env.RUNPROOF_ROOT ??= root;
const { main } = await tsImport('../cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
