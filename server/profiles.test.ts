/**
 * Profile availability on the web server: probes run as real child processes
 * without blocking the event loop, are shared while under way, and say why a
 * profile cannot run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getProfile, listProfilesAsync } from './profiles';

const saved = process.env.RUNPROOF_PROFILES;
const tmps: string[] = [];
afterEach(() => {
  if (saved === undefined) delete process.env.RUNPROOF_PROFILES;
  else process.env.RUNPROOF_PROFILES = saved;
  for (const t of tmps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

function profilesFile(profiles: unknown[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-profiles-'));
  tmps.push(dir);
  const file = path.join(dir, 'profiles.json');
  fs.writeFileSync(file, JSON.stringify({ profiles }));
  return file;
}

const base = (name: string, probe: string[]) => ({
  name,
  title: name,
  argv: ['{node}', '-e', '0'],
  params: [],
  requires: { probe },
});

describe('listProfilesAsync', () => {
  it('runs probes as children while the event loop keeps turning, and names the failure', async () => {
    const tag = `${process.pid}-${Date.now()}`;
    process.env.RUNPROOF_PROFILES = profilesFile([
      base('slow-ok', ['{node}', '-e', `setTimeout(() => {}, 600) /* ${tag} */`]),
      base('exits-3', ['{node}', '-e', `console.error('no torch here'); process.exit(3) /* ${tag} */`]),
      base('no-binary', [`/nonexistent/python-${tag}`, '-c', 'pass']),
    ]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const t0 = Date.now();
    const list = await listProfilesAsync();
    clearInterval(timer);
    const byName = new Map(list.map((e) => [e.profile.name, e]));
    expect(byName.get('slow-ok')?.available).toBe(true);
    expect(byName.get('exits-3')?.available).toBe(false);
    expect(byName.get('exits-3')?.reason).toContain('no torch here');
    expect(byName.get('no-binary')?.reason).toContain('ENOENT');
    // The 600 ms probe did not hold the loop: timers fired while it ran.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(ticks).toBeGreaterThanOrEqual(5);
    // The blocking path (the CLI, a launch) finds the answer cached: no second child.
    const t1 = Date.now();
    expect(getProfile('slow-ok')?.available).toBe(true);
    expect(Date.now() - t1).toBeLessThan(400);
  });

  it('reports an exit status when the probe prints nothing', async () => {
    process.env.RUNPROOF_PROFILES = profilesFile([base('silent', ['{node}', '-e', `process.exit(5) /* ${process.pid}-${Date.now()} */`])]);
    const entry = (await listProfilesAsync()).find((e) => e.profile.name === 'silent');
    expect(entry?.reason).toMatch(/exit 5/);
  });
});
