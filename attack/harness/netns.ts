/**
 * A second "host" for the attack suite: a network namespace joined to this
 * one by a veth pair with a /30 of 10.250.0.0/16 that this file picks and
 * owns. The namespace has no route anywhere else, so the attacker clients
 * run in it can reach exactly one address: this host's end of the pair.
 * Needs root and `ip netns`.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RawRequest, RawResponse } from './raw-http.mjs';

const CLIENT = path.join(__dirname, 'client.mjs');
const PREFIX = 'rp-atk-';

export interface Netns {
  name: string;
  /** This host's end of the pair: the only address the namespace can reach. */
  hostAddr: string;
  /** The namespace's end: where the attacker's requests come from. */
  nsAddr: string;
  /** This host's end of the veth pair: setting it down cuts the namespace off (the multi-host test's cut link). */
  hostIf: string;
  /** Runs the requests from inside the namespace (one client process). */
  run(requests: RawRequest[], concurrency?: number): Promise<RawResponse[]>;
  close(): void;
}

function ip(args: string[], opts: { quiet?: boolean } = {}): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', opts.quiet ? 'ignore' : 'pipe'] });
}

/** Why the namespace cannot be made here, or null when it can. */
export function netnsUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the attack suite needs root to create a network namespace (ip netns)';
  try {
    ip(['netns', 'list']);
  } catch (e) {
    return `\`ip netns\` is not available: ${(e as Error).message.split('\n')[0]}`;
  }
  return null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces an earlier run of this suite left behind when it was killed (its pid is gone). */
function removeStale(): void {
  let list = '';
  try {
    list = ip(['netns', 'list']);
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(/\s/)[0];
    const m = new RegExp(`^${PREFIX}(\\d+)-\\d+$`).exec(name);
    if (m && !pidAlive(Number(m[1]))) {
      try {
        ip(['netns', 'del', name], { quiet: true });
      } catch {
        /* already gone */
      }
    }
  }
}

function addressesInUse(): string {
  try {
    return ip(['-4', '-o', 'addr', 'show']);
  } catch {
    return '';
  }
}

let counter = 0;

export function createNetns(): Netns {
  removeStale();
  const seq = counter++;
  const name = `${PREFIX}${process.pid}-${seq}`;
  // Interface names have at most 15 characters.
  const tag = `${(process.pid % 100000).toString(36)}${seq}`;
  const hostIf = `rpa${tag}h`;
  const nsIf = `rpa${tag}n`;
  const used = addressesInUse();
  let hostAddr = '';
  let nsAddr = '';
  for (let i = 0; i < 254 * 63; i++) {
    const idx = (process.pid * 7 + seq + i) % (254 * 63);
    const a = 1 + Math.floor(idx / 63);
    const b = (idx % 63) * 4;
    const h = `10.250.${a}.${b + 1}`;
    const n = `10.250.${a}.${b + 2}`;
    if (!used.includes(` ${h}/`) && !used.includes(` ${n}/`)) {
      hostAddr = h;
      nsAddr = n;
      break;
    }
  }
  if (!hostAddr) throw new Error('no free /30 in 10.250.0.0/16 for the attack namespace');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      ip(['link', 'del', hostIf], { quiet: true });
    } catch {
      /* gone with the namespace */
    }
    try {
      ip(['netns', 'del', name], { quiet: true });
    } catch {
      /* never made */
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    process.off('exit', close);
  };
  process.on('exit', close);
  try {
    ip(['netns', 'add', name]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    ip(['link', 'set', nsIf, 'netns', name]);
    ip(['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['netns', 'exec', name, 'ip', 'addr', 'add', `${nsAddr}/30`, 'dev', nsIf]);
    ip(['netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up']);
    ip(['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (e) {
    close();
    throw e;
  }

  let runs = 0;
  const run = (requests: RawRequest[], concurrency = 4): Promise<RawResponse[]> => {
    for (const r of requests) {
      // The one address the attacker may reach; anything else is a bug in a test.
      if (r.host !== hostAddr) throw new Error(`attack request to ${r.host}: only ${hostAddr} may be targeted from the namespace`);
    }
    const jobs = path.join(tmp, `jobs-${runs}.json`);
    const out = path.join(tmp, `out-${runs++}.json`);
    fs.writeFileSync(jobs, JSON.stringify({ concurrency, requests }));
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, CLIENT, jobs, out], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`attack client exited ${code}: ${err.trim()}`));
        resolve(JSON.parse(fs.readFileSync(out, 'utf8')) as RawResponse[]);
      });
    });
  };
  return { name, hostAddr, nsAddr, hostIf, run, close };
}
