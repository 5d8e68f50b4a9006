/**
 * The environment the launch benches share: a throw-away database, bundles
 * and work folders under a new temporary folder, and a `paced` profile
 * (bench/paced-trainer.mjs writes a row every interval_ms, stamped with the
 * time it wrote it). Sets process.env for this process and the servers it
 * starts. The launch benches run on that SQLite file: a RUNPROOF_DATABASE_URL
 * in the environment is dropped, so bench runs never land in a real
 * PostgreSQL database (bench/postgres.ts measures PostgreSQL in its own).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function pacedBenchEnv(root: string, prefix: string): { tmp: string; dbPath: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dbPath = path.join(tmp, 'bench.db');
  const profilesFile = path.join(tmp, 'profiles.json');
  Object.assign(process.env, {
    RUNPROOF_ROOT: root,
    RUNPROOF_DB: dbPath,
    RUNPROOF_BUNDLES_DIR: path.join(tmp, 'bundles'),
    RUNPROOF_WORK_DIR: path.join(tmp, 'work'),
    RUNPROOF_PROFILES: profilesFile,
    NEXT_TELEMETRY_DISABLED: '1',
  });
  delete process.env.RUNPROOF_DATABASE_URL;
  fs.writeFileSync(
    profilesFile,
    JSON.stringify({
      profiles: [
        {
          name: 'paced',
          title: 'Paced rows (bench)',
          argv: ['{node}', '{runproof_root}/bench/paced-trainer.mjs', '{params}', '--output_dir', '{output_dir}'],
          params: [
            { name: 'rows', type: 'int', default: 30, min: 1, max: 10_000 },
            { name: 'interval_ms', type: 'int', default: 200, min: 10, max: 10_000 },
          ],
          timeoutSec: 120,
        },
      ],
    }),
  );
  return { tmp, dbPath };
}

/** `runproof serve` on 127.0.0.1:`port` in a process group of its own (stderr piped), on the environment above. */
export function startBenchServer(root: string, port: number): ChildProcess {
  if (!fs.existsSync(path.join(root, '.next', 'BUILD_ID'))) throw new Error('no production build: run `npm run build` first');
  return spawn(process.execPath, [path.join(root, 'bin/runproof.mjs'), 'serve', '--host', '127.0.0.1', '--port', String(port)], {
    env: process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
}

/** Stop the server's process group (TERM, then KILL half a second later) and remove the bench's folder. */
export async function stopBenchServer(server: ChildProcess, tmp: string): Promise<void> {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(-server.pid!, sig);
    } catch {
      /* gone */
    }
    if (sig === 'SIGTERM') await new Promise((r) => setTimeout(r, 500));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
