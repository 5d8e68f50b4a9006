/**
 * What a worker can run on the host it runs on: the GPUs `nvidia-smi`
 * reports, the labels it carries, and each configured profile's availability
 * here (the same checks as the launch form's, server/profiles.ts, but they
 * describe the worker's host, not the web server's).
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { parseNvidiaSmiCsv, type GpuInfo } from '../lib/workers/gpus';
import { hostLabel } from '../lib/workers/labels';
import type { ProfileAvailability } from '../lib/workers/match';
import { availabilityAsync, configuredProfiles, templateContext } from './profiles';

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total,uuid', '--format=csv,noheader,nounits'];

/**
 * The host's NVIDIA GPUs. No `nvidia-smi` on PATH (or one that fails: no
 * driver loaded) means none, with why; a line it cannot read is reported and
 * the others count.
 */
export function readGpus(command = 'nvidia-smi'): Promise<{ gpus: GpuInfo[]; note: string | null }> {
  return new Promise((resolve) => {
    execFile(command, NVIDIA_SMI_ARGS, { timeout: 15_000, encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e?.code === 'ENOENT') return resolve({ gpus: [], note: null });
      if (e) return resolve({ gpus: [], note: `${command} failed: ${`${stderr || stdout}`.trim().split('\n')[0] || e.message}` });
      const { gpus, problems } = parseNvidiaSmiCsv(stdout);
      resolve({ gpus, note: problems.length ? problems.map((p) => `${command} line ${p.line}: ${p.message}`).join('; ') : null });
    });
  });
}

/** A worker's labels: the ones it was given and its host name (so a launch can ask for a host). */
export function workerLabels(given: readonly string[], hostname = os.hostname()): string[] {
  const h = hostLabel(hostname);
  return [...new Set([...given, ...(h ? [h] : [])])].sort();
}

/**
 * Each configured profile's availability on this host, reported as each
 * check finishes (a probe importing torch takes seconds; the reference
 * profile needs none and should not wait for it). A profiles file that cannot
 * be read makes every profile unavailable, with the file's error as the reason.
 */
export async function checkProfilesHere(onProgress?: (so_far: ProfileAvailability[]) => void): Promise<ProfileAvailability[]> {
  let entries;
  const ctx = templateContext();
  try {
    entries = configuredProfiles(ctx);
  } catch (e) {
    return [{ name: '*', available: false, reason: (e as Error).message }];
  }
  const done = new Map<string, ProfileAvailability>();
  const ordered = () => entries.flatMap(({ profile }) => done.get(profile.name) ?? []);
  await Promise.all(
    entries.map(async ({ profile }) => {
      let a: { available: boolean; reason: string | null };
      try {
        a = await availabilityAsync(profile, ctx);
      } catch (e) {
        a = { available: false, reason: (e as Error).message };
      }
      done.set(profile.name, { name: profile.name, ...a });
      onProgress?.(ordered());
    }),
  );
  return ordered();
}
