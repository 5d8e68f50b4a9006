#!/usr/bin/env node
// The multi-host test's trainer: records that this host ran this run (one line in a claims file, so a run that ran
// twice shows twice), prints an epoch line a second, and exits 0 after --ms milliseconds. Stands in for a smoke run
// whose contents do not matter here: only who ran it, once, and how it ended.
import fs from 'node:fs';
import os from 'node:os';

const args = process.argv.slice(2);
// The last `--name value` counts (a profile may spell the flag itself and also place `{param:name}`, which adds it).
const opt = (name, dflt) => {
  const i = args.lastIndexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const ms = Number(opt('ms', '3000'));
if (!Number.isFinite(ms) || ms < 0) {
  console.error(`sleeper: --ms takes milliseconds, got ${opt('ms')}`);
  process.exit(2);
}
const claims = process.env.RUNPROOF_TEST_CLAIMS;
if (claims) fs.appendFileSync(claims, `${process.env.RUNPROOF_RUN_MARKER ?? '?'} ${os.hostname()} ${process.pid}\n`);
const started = Date.now();
let epoch = 0;
const tick = setInterval(() => {
  console.log(`Epoch ${epoch++}: sleeping (${Date.now() - started} ms of ${ms})`);
}, 1000);
setTimeout(() => {
  clearInterval(tick);
  console.log('`Trainer.fit` stopped: `max_epochs=1` reached.');
  process.exit(0);
}, ms);
