/**
 * Before the suite: empty count parts. After it: the counts summed into
 * test-results/attack.json. (The build the servers need is made by the
 * first server start, harness/servers.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { PARTS, RESULTS, sumParts } from './harness/counts';

export function setup(): void {
  fs.rmSync(PARTS, { recursive: true, force: true });
  fs.mkdirSync(PARTS, { recursive: true });
}

export function teardown(): void {
  fs.writeFileSync(path.join(RESULTS, 'attack.json'), `${JSON.stringify(sumParts(), null, 2)}\n`);
}
