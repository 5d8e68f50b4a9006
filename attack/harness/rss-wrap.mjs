// Runs `runproof <args>` in this process and, as it exits, writes the
// process's peak resident set size (kilobytes, process.resourceUsage) to the
// file named by RUNPROOF_ATTACK_RSS_FILE: how much memory an import took,
// with no dependency on GNU time.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const out = process.env.RUNPROOF_ATTACK_RSS_FILE;
process.on('exit', () => {
  if (out) fs.writeFileSync(out, String(process.resourceUsage().maxRSS));
});
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/runproof.mjs');
// bin/runproof.mjs reads process.argv.slice(2): this file stands where it would.
await import(pathToFileURL(bin).href);
