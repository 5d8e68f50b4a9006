/**
 * The suite's counts. Each test file adds to its own part file under
 * test-results/attack-parts/ (files run in separate processes); the global
 * teardown sums the parts into test-results/attack.json, which
 * scripts/test-all.mjs prints.
 */
import fs from 'node:fs';
import path from 'node:path';

export const RESULTS = path.resolve(__dirname, '../../test-results');
export const PARTS = path.join(RESULTS, 'attack-parts');

export interface AttackCounts {
  /** Traversal payloads sent (each payload on each file route counts once). */
  payloadsTried: number;
  /** Responses or stored evidence that held a secret from outside a bundle. */
  filesLeaked: number;
  /** Launch or cancel attempts without a login that went through. */
  launchAttempts: number;
  bypasses: number;
  /** Wrong passwords the server accepted for checking during the brute force. */
  loginGuessesChecked: number;
  loginGuessesSent: number;
  /** HTTP requests sent, all cases together. */
  requests: number;
  /** Bad or oversized inputs imported. */
  inputsImported: number;
  /** Those that the import reported (a problem entry naming the file). */
  inputsReported: number;
  /** Peak RSS of the 600 MB log's import, MB (a measurement, set once). */
  importPeakRssMb: number;
}

export const ZERO: AttackCounts = {
  payloadsTried: 0,
  filesLeaked: 0,
  launchAttempts: 0,
  bypasses: 0,
  loginGuessesChecked: 0,
  loginGuessesSent: 0,
  requests: 0,
  inputsImported: 0,
  inputsReported: 0,
  importPeakRssMb: 0,
};

/** Adds to this file's part (`name` = the test file's short name). */
export function addCounts(name: string, add: Partial<AttackCounts>): void {
  fs.mkdirSync(PARTS, { recursive: true });
  const file = path.join(PARTS, `${name}.json`);
  const cur: AttackCounts = fs.existsSync(file) ? { ...ZERO, ...JSON.parse(fs.readFileSync(file, 'utf8')) } : { ...ZERO };
  for (const [k, v] of Object.entries(add) as Array<[keyof AttackCounts, number]>) cur[k] += v;
  fs.writeFileSync(file, JSON.stringify(cur));
}

export function sumParts(): AttackCounts {
  const total = { ...ZERO };
  if (!fs.existsSync(PARTS)) return total;
  for (const f of fs.readdirSync(PARTS).filter((n) => n.endsWith('.json'))) {
    const part = JSON.parse(fs.readFileSync(path.join(PARTS, f), 'utf8')) as Partial<AttackCounts>;
    for (const k of Object.keys(ZERO) as Array<keyof AttackCounts>) total[k] += part[k] ?? 0;
  }
  return total;
}
