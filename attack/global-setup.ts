/**
 * Before the suite: empty count parts, and the production build the servers
 * need, made once for the whole run (a failed build is recorded, and only
 * the cases that start a server fail on it). After it: the counts summed
 * into test-results/attack.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PARTS, RESULTS, sumParts } from './harness/counts';
import { BUILD_STATE, ensureBuild } from './harness/servers';

export function setup(): void {
  fs.rmSync(PARTS, { recursive: true, force: true });
  fs.mkdirSync(PARTS, { recursive: true });
  try {
    ensureBuild();
    fs.writeFileSync(BUILD_STATE, 'ok');
  } catch (e) {
    fs.writeFileSync(BUILD_STATE, `failed: ${(e as Error).message}`);
  }
}

export function teardown(): void {
  fs.writeFileSync(path.join(RESULTS, 'attack.json'), `${JSON.stringify(sumParts(), null, 2)}\n`);
}
