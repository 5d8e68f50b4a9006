#!/usr/bin/env node
// Runs every test (Biome's format and lint check, vitest, the attack suite,
// the multi-host test, then Playwright in Chromium)
// and ends with one plain line CI can read: `tests: N passed, N failed[, N
// skipped]`. Just before it, the attack suite's counts (README, Security tests):
// `attack: N payloads tried, N files leaked, N login bypasses, …`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

fs.mkdirSync('test-results', { recursive: true });
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;

if (!fs.existsSync('.next/BUILD_ID')) {
  console.log('No production build yet: running `next build` first (the browser tests need it).');
  if (run('node_modules/.bin/next', ['build']) !== 0) process.exit(1);
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  console.error(`The browser tests need Chromium at ${chromium}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  process.exit(1);
}

let passed = 0,
  failed = 0,
  skipped = 0;
// A vitest JSON report added to the totals. A file whose setup failed reports its tests as skipped: they count as failed.
const addVitest = (file, what) => {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    let lost = 0;
    for (const f of r.testResults ?? []) {
      if (f.status === 'failed' && f.message) lost += (f.assertionResults ?? []).filter((t) => t.status === 'pending' || t.status === 'skipped').length;
    }
    passed += r.numPassedTests;
    failed += r.numFailedTests + lost;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0) - lost;
  } catch {
    failed += 1;
    console.error(`${what} wrote no report`);
  }
};
// Format and lint (biome.json): one check, counted as one test. `npm run format` fixes the formatting.
const lintStatus = run('node_modules/.bin/biome', ['ci', '.']);
if (lintStatus === 0) passed += 1;
else {
  failed += 1;
  console.error('biome ci failed: `npm run format` fixes the formatting; lint findings name their file and line above');
}

const unitStatus = run('node_modules/.bin/vitest', ['run', '--reporter=default', '--reporter=json', '--outputFile=test-results/unit.json']);
addVitest('test-results/unit.json', 'vitest');

// The attack suite: real servers attacked from a network namespace (needs root and `ip netns`; see attack/).
fs.rmSync('test-results/attack.json', { force: true });
fs.rmSync('test-results/attack-vitest.json', { force: true });
const attackStatus = run('node_modules/.bin/vitest', ['run', '--config', 'attack/vitest.config.mts', '--reporter=default', '--reporter=json', '--outputFile=test-results/attack-vitest.json']);
addVitest('test-results/attack-vitest.json', 'the attack suite');
let attackLine = 'attack: no counts (the attack suite did not finish)';
try {
  const c = JSON.parse(fs.readFileSync('test-results/attack.json', 'utf8'));
  attackLine = `attack: ${c.payloadsTried} payloads tried, ${c.filesLeaked} files leaked, ${c.bypasses} login bypasses in ${c.launchAttempts} launch/cancel attempts, ${c.loginGuessesChecked} of ${c.loginGuessesSent} brute-force guesses checked, ${c.inputsReported} of ${c.inputsImported} bad inputs reported, ${c.requests} requests`;
} catch {
  failed += 1;
}

// The multi-host test: PostgreSQL here, two worker hosts made of network namespaces (needs root, `ip netns`, Debian's postgresql; see multihost/).
fs.rmSync('test-results/multihost-vitest.json', { force: true });
const multihostStatus = run('node_modules/.bin/vitest', ['run', '--config', 'multihost/vitest.config.mts', '--reporter=default', '--reporter=json', '--outputFile=test-results/multihost-vitest.json']);
addVitest('test-results/multihost-vitest.json', 'the multi-host test');

fs.rmSync('test-results/e2e.json', { force: true });
const e2eStatus = run('node_modules/.bin/playwright', ['test']);
try {
  const s = JSON.parse(fs.readFileSync('test-results/e2e.json', 'utf8')).stats;
  passed += s.expected;
  failed += s.unexpected + s.flaky;
  skipped += s.skipped;
} catch {
  failed += 1;
  console.error('playwright wrote no report');
}

console.log(`\n${attackLine}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(unitStatus === 0 && attackStatus === 0 && multihostStatus === 0 && e2eStatus === 0 && failed === 0 ? 0 : 1);
