/**
 * The environment the launch benches share: a throw-away database, bundles
 * and work folders under a new temporary folder, and a `paced` profile
 * (bench/paced-trainer.mjs writes a row every interval_ms, stamped with the
 * time it wrote it). Sets process.env for this process and the servers it
 * starts. The launch benches run on that SQLite file: a RUNPROOF_DATABASE_URL
 * in the environment is dropped, so bench runs never land in a real
 * PostgreSQL database (bench/postgres.ts measures PostgreSQL in its own).
 */
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
