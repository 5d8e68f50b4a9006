/**
 * The servers under attack, each a real child process on a throw-away
 * database: `runproof serve` as npm start runs it, and `next start` as
 * someone might run the app instead. Each runs in its own process group so
 * stopping it stops everything it started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/runproof.mjs');
const NEXT = path.join(ROOT, 'node_modules/.bin/next');

/** A throw-away folder; removed by the caller. */
export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rp-atk-${tag}-`));
}

/** Environment for a server or command on the database `dbPath`, with everything it writes beside it. */
export function dbEnv(dbPath: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const dir = path.dirname(dbPath);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    RUNPROOF_DB: dbPath,
    RUNPROOF_BUNDLES_DIR: path.join(dir, 'bundles-launched'),
    RUNPROOF_WORK_DIR: path.join(dir, 'work'),
    RUNPROOF_PLANS_DIR: path.join(dir, 'no-plans'),
  };
  // Whatever the calling shell has set must not leak into a server under test.
  for (const k of ['RUNPROOF_PASSWORD', 'RUNPROOF_HOST', 'RUNPROOF_PORT', 'RUNPROOF_TRUST_PROXY', 'RUNPROOF_PROFILES', 'RUNPROOF_PLANS_WRITABLE', 'PTYCHOPINN_DIR']) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `runproof <args>` on the given environment, to its end. */
export function runproof(args: string[], env: NodeJS.ProcessEnv, opts: { timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** `runproof import <dirs> --json`, parsed. Throws with the output when it fails. */
export function importJson(dirs: string[], env: NodeJS.ProcessEnv, flags: string[] = []) {
  const r = runproof(['import', ...dirs, '--json', ...flags], env);
  if (r.status !== 0) throw new Error(`runproof import exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as {
    added: number;
    updated: number;
    unchanged: number;
    problems: Array<{ file: string; line: number | null; message: string }>;
    runs: Array<{ id: string; dir: string; logFile: string | null; action: string; status: string | null }>;
  };
}

/** Queues a `reference` run (no worker runs it, so it stays queued). */
export function queueRun(env: NodeJS.ProcessEnv): string {
  const r = runproof(['launch', 'reference', '--set', 'max_epochs=1', '--json'], env);
  if (r.status !== 0) throw new Error(`runproof launch exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { id: string }).id;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Server {
  label: string;
  port: number;
  /** An address this host reaches it at. */
  probeHost: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function getStatus(host: string, port: number, p: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: p, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** What the global setup's build did (`ok` or `failed: …`); absent when a file runs without it. */
export const BUILD_STATE = path.join(ROOT, 'test-results/attack-parts/build-state');

let built = false;

/**
 * The build, before anything reads .next (action ids, a server): made once by
 * the global setup for the whole run, so files never rebuild under each
 * other; made here only when a file runs without that setup.
 */
export function ensureBuildOnce(): void {
  if (built) return;
  const state = fs.existsSync(BUILD_STATE) ? fs.readFileSync(BUILD_STATE, 'utf8') : null;
  if (state === null) ensureBuild();
  else if (state !== 'ok') throw new Error(`no server can start: ${state.replace(/^failed: /, '')} (see the build output above)`);
  built = true;
}

function startChild(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, port: number, probeHost: string): Promise<Server> {
  ensureBuildOnce();
  const proc = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let exited = false;
  // If this test process ends without stopping it (a crash, a timeout), the server's group goes with it.
  const reap = () => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.on('exit', reap);
  proc.on('exit', () => (exited = true));
  const stop = async () => {
    if (proc.pid === undefined) return;
    if (exited) {
      reap();
      process.off('exit', reap);
      return;
    }
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await gone;
    clearTimeout(t);
    // Anything the group left behind goes too.
    reap();
    process.off('exit', reap);
  };
  const server: Server = { label, port, probeHost, proc, output: () => out, stop };
  return (async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${label} exited before it was ready:\n${out.slice(-3000)}`);
      if ((await getStatus(probeHost, port, '/api/runs')) === 200) return server;
      await new Promise((r) => setTimeout(r, 150));
    }
    await stop();
    throw new Error(`${label} was not ready within 60 s:\n${out.slice(-3000)}`);
  })();
}

/** `runproof serve --host <host> --no-worker` (what npm start runs, without a worker: launched runs stay queued). */
export async function startServe(label: string, opts: { host: string; env: NodeJS.ProcessEnv; worker?: boolean }): Promise<Server> {
  const port = await freePort();
  const args = [BIN, 'serve', '--host', opts.host, '--port', String(port)];
  if (!opts.worker) args.push('--no-worker');
  return startChild(label, process.execPath, args, opts.env, port, opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host);
}

/** `next start -H <host>`: the app started some other way than `runproof serve`. */
export async function startNext(label: string, opts: { host: string; env: NodeJS.ProcessEnv }): Promise<Server> {
  const port = await freePort();
  return startChild(label, NEXT, ['start', '-H', opts.host, '-p', String(port)], opts.env, port, opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host);
}

export type ProxyVariant = 'none' | 'x-real-ip' | 'x-forwarded-for';

export interface TestProxy {
  variant: ProxyVariant;
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny same-host reverse proxy, as someone might put in front of a
 * loopback server: it listens on `host` and forwards to 127.0.0.1:`target`,
 * passing the client's headers on and adding no forwarding header, only
 * X-Real-IP, or X-Forwarded-For (appended, as nginx's
 * $proxy_add_x_forwarded_for does).
 */
export async function startProxy(variant: ProxyVariant, host: string, target: number): Promise<TestProxy> {
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    const peer = req.socket.remoteAddress ?? '';
    if (variant === 'x-real-ip') headers['x-real-ip'] = peer;
    if (variant === 'x-forwarded-for') headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${peer}` : peer;
    const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    variant,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Builds the app when there is no build, or the build is older than the newest app source. */
export function ensureBuild(): void {
  const id = path.join(ROOT, '.next/BUILD_ID');
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) t = Math.max(t, newest(p));
      else if (/\.(ts|tsx|css|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) t = Math.max(t, fs.statSync(p).mtimeMs);
    }
    return t;
  };
  const sources = Math.max(...['app', 'components', 'server', 'db', 'lib'].map((d) => newest(path.join(ROOT, d))), fs.statSync(path.join(ROOT, 'next.config.ts')).mtimeMs);
  if (fs.existsSync(id) && fs.statSync(id).mtimeMs >= sources) return;
  // One heavy build at a time on a shared machine (flock), unless the caller already holds that lock for the whole suite.
  const lock = process.env.RUNPROOF_HEAVY_LOCK !== 'held' && fs.existsSync('/usr/bin/flock');
  const [cmd, args]: [string, string[]] = lock ? ['flock', ['/tmp/runproof-heavy.lock', NEXT, 'build']] : [NEXT, ['build']];
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('next build failed: the attack suite needs a production build');
}
