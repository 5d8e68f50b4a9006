/**
 * A private PostgreSQL server for the multi-host test, from Debian's
 * postgresql binaries: initdb in a temporary folder as the `postgres` user,
 * listening on loopback and on the host ends of the test's veth pairs (and
 * nowhere else), with password logins from those addresses only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PgServer {
  /** postgres://runproof:…@<addr>:<port>/runproof for an address it listens on. */
  urlVia(addr: string): string;
  port: number;
  stop(): void;
}

/** The newest installed server's bin folder, or null. */
export function pgBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export async function startPgServer(listen: string[], subnets: string[]): Promise<PgServer> {
  const bin = pgBinDir();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-pg-'));
  const data = path.join(dir, 'data');
  const password = crypto.randomBytes(12).toString('hex');
  fs.writeFileSync(path.join(dir, 'pw'), password);
  fs.chmodSync(dir, 0o755);
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${path.join(dir, 'pw')}`, '-E', 'UTF8', '--no-sync']);
  const hba = ['local all all trust', 'host all all 127.0.0.1/32 scram-sha-256', ...subnets.map((s) => `host all all ${s} scram-sha-256`)];
  fs.writeFileSync(path.join(data, 'pg_hba.conf'), `${hba.join('\n')}\n`);
  const port = await freePort();
  fs.appendFileSync(
    path.join(data, 'postgresql.conf'),
    [`listen_addresses = '${['127.0.0.1', ...listen].join(',')}'`, `port = ${port}`, `unix_socket_directories = '${dir}'`, 'fsync = off', 'max_connections = 200', ''].join('\n'),
  );
  asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
  const psql = (q: string) => asPostgres(path.join(bin, 'psql'), ['-h', dir, '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAtc', q]);
  psql(`CREATE ROLE runproof LOGIN PASSWORD '${password}'`);
  psql('CREATE DATABASE runproof OWNER runproof');
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
    process.off('exit', stop);
  };
  process.on('exit', stop);
  return { port, urlVia: (addr) => `postgres://runproof:${password}@${addr}:${port}/runproof`, stop };
}
