/**
 * Attacks on what the server reads from disk, against `runproof serve` on
 * loopback: encoded traversal on both bundle file routes, symlinks planted
 * in a bundle, a symlinked plan file pointing out of the plans folder, a
 * 20,000-row plan, and the framing headers of every HTML page. Secrets
 * (canaries) sit beside the bundle, in the server's environment and in
 * /etc/passwd; a response holding one is a leak.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addCounts } from './harness/counts';
import { writeBundle, planText } from './harness/bundles';
import { traversalPayloads } from './harness/payloads';
import { runAll, type RawRequest, type RawResponse } from './harness/raw-http.mjs';
import { dbEnv, importJson, startServe, tempDir, type Server } from './harness/servers';
import { planIdFor } from '../server/plans';

const COUNTS = 'serving';
const canary = (tag: string) => `RUNPROOF-CANARY-${tag}-${crypto.randomBytes(8).toString('hex')}`;

let dir: string;
let server: Server;
let runId: string;
let markers: string[];
let secretAbs: string;
let planSecret: string;
let evilTarget: string;
let evilLink: string;
/** A run imported with --archive: its files are served from the database. */
let storedId: string;
let storedBundle: string;
let storedOwn: Set<string>;

async function send(reqs: RawRequest[], concurrency = 4): Promise<RawResponse[]> {
  const res = await runAll(reqs, concurrency);
  addCounts(COUNTS, { requests: res.length, filesLeaked: res.filter((r) => r.markersFound.length > 0).length });
  return res;
}

const get = (p: string, headers: Record<string, string> = {}): RawRequest => ({ host: '127.0.0.1', port: server.port, path: p, headers, markers, timeoutMs: 30_000 });

beforeAll(async () => {
  dir = tempDir('serving');
  const secret = canary('outside');
  const near = canary('near');
  const envSecret = canary('env');
  planSecret = canary('plan');
  markers = [secret, near, envSecret, planSecret, 'root:x:0:0'];
  secretAbs = path.join(dir, 'secret.txt');
  fs.writeFileSync(secretAbs, `${secret}\n`);
  fs.mkdirSync(path.join(dir, 'bundles'));
  fs.writeFileSync(path.join(dir, 'bundles/secret-near.txt'), `${near}\n`);
  const bundle = path.join(dir, 'bundles/run1');
  writeBundle(bundle, { epochs: 3 });
  fs.mkdirSync(path.join(bundle, 'sub'));
  fs.writeFileSync(path.join(bundle, 'sub/notes.txt'), 'notes\n');

  // Plans: a 20,000-row plan, and a plan file that is a symlink to one outside the plans folder.
  const plans = path.join(dir, 'plans');
  fs.mkdirSync(path.join(plans, 'big'), { recursive: true });
  fs.writeFileSync(path.join(plans, 'big/plan.md'), planText(20_000, 'Twenty thousand rows'));
  fs.mkdirSync(path.join(dir, 'outside-plans'));
  evilTarget = path.join(dir, 'outside-plans/secret-plan.md');
  fs.writeFileSync(evilTarget, `# Secret plan ${planSecret}\n\n| ID | Task Description | State | How/Why & Guidance |\n| --- | --- | --- | --- |\n| SP1.A | ${planSecret} | [ ] | ${planSecret} |\n`);
  evilLink = path.join(plans, 'evil.md');
  fs.symlinkSync(evilTarget, evilLink);
  fs.symlinkSync(path.join(dir, 'outside-plans'), path.join(plans, 'linked-folder'));

  const env = dbEnv(path.join(dir, 'db/runproof.db'), { RUNPROOF_PLANS_DIR: plans, RUNPROOF_ATTACK_ENV_CANARY: envSecret });
  fs.mkdirSync(path.join(dir, 'db'));
  const imported = importJson([path.join(dir, 'bundles')], env);
  expect(imported.runs.map((r) => r.action)).toEqual(['added']);
  runId = imported.runs[0].id;
  // The same kind of bundle imported with --archive: its files are in the database.
  storedBundle = path.join(dir, 'archived/run2');
  writeBundle(storedBundle, { epochs: 2 });
  const archived = importJson([storedBundle], env, ['--archive']);
  expect(archived.runs.map((r) => r.action)).toEqual(['added']);
  storedId = archived.runs[0].id;
  storedOwn = new Set(['train.log', 'metrics.csv', 'command.txt'].map((f) => fs.readFileSync(path.join(storedBundle, f), 'utf8')));
  for (const [name, target] of [
    ['leak.txt', secretAbs],
    ['rel-leak.txt', '../../secret.txt'],
    ['outside', dir],
    ['chain.txt', 'leak.txt'],
  ])
    fs.symlinkSync(target, path.join(storedBundle, name));

  // Symlinks planted in the bundle after import: the files the routes may be asked for.
  fs.symlinkSync(secretAbs, path.join(bundle, 'leak.txt'));
  fs.symlinkSync('../../secret.txt', path.join(bundle, 'rel-leak.txt'));
  fs.symlinkSync(dir, path.join(bundle, 'outside'));
  fs.symlinkSync(secretAbs, path.join(bundle, 'linked.log'));
  fs.symlinkSync('leak.txt', path.join(bundle, 'chain.txt'));

  server = await startServe('runproof serve --host 127.0.0.1', { host: '127.0.0.1', env });
});

afterAll(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('bundle file routes', () => {
  test('a bundle file is served on both routes (the routes under attack work)', async () => {
    const [api, page] = await send([get(`/api/runs/${runId}/files/train.log`), get(`/runs/${runId}/files/train.log`)]);
    expect(api.status).toBe(200);
    expect(api.body).toContain('`Trainer.fit` stopped: `max_epochs=3` reached.');
    expect(page.status).toBe(200);
    expect(page.body).toContain('GPU available: False, used: False');
  });

  test('encoded traversal payloads on both routes read nothing outside the bundle and never fail with a 5xx', async () => {
    const payloads = traversalPayloads(secretAbs);
    expect(payloads.length).toBeGreaterThanOrEqual(70);
    const routes = [`/api/runs/${runId}/files/`, `/runs/${runId}/files/`];
    const reqs = routes.flatMap((r) => payloads.map((p) => ({ ...get(r + p.path), id: `${r.startsWith('/api') ? 'api' : 'page'} ${p.kind}: ${p.name}` })));
    const res = await send(reqs);
    addCounts(COUNTS, { payloadsTried: reqs.length });

    const leaked = res.filter((r) => r.markersFound.length).map((r) => `${r.id} → ${r.status} (${r.markersFound.join(', ')})`);
    expect(leaked, 'responses holding a secret from outside the bundle').toEqual([]);
    const broken = res.filter((r) => r.status === 0 || r.status >= 500).map((r) => `${r.id} → ${r.status || r.error}`);
    expect(broken, 'payloads answered with a server error or no answer').toEqual([]);
    // A payload the server answered with a file (`train.log#/../..` is train.log: the fragment is dropped)
    // must have got a file of this bundle, byte for byte.
    const bundle = path.join(dir, 'bundles/run1');
    const own = new Set(['train.log', 'metrics.csv', 'command.txt', 'sub/notes.txt'].map((f) => fs.readFileSync(path.join(bundle, f), 'utf8')));
    const foreign = res.filter((r) => r.status === 200 && r.id.startsWith('api') && !own.has(r.body)).map((r) => `${r.id}: ${JSON.stringify(r.body.slice(0, 80))}`);
    expect(foreign, 'payloads served something that is not a file of the bundle').toEqual([]);
    const malformed = res.filter((r) => r.id.includes(' malformed: ') && r.status !== 400 && r.status !== 404).map((r) => `${r.id} → ${r.status}`);
    expect(malformed, 'malformed encodings not refused as a bad request / not found').toEqual([]);
  });
});

describe('bundle file routes of a run whose files are in the database (import --archive)', () => {
  const attack = async (label: string) => {
    const payloads = traversalPayloads(secretAbs);
    const routes = [`/api/runs/${storedId}/files/`, `/runs/${storedId}/files/`];
    const reqs = routes.flatMap((r) => payloads.map((p) => ({ ...get(r + p.path), id: `${label} ${r.startsWith('/api') ? 'api' : 'page'} ${p.kind}: ${p.name}` })));
    const res = await send(reqs);
    addCounts(COUNTS, { payloadsTried: reqs.length });
    expect(
      res.filter((r) => r.markersFound.length).map((r) => `${r.id} → ${r.status} (${r.markersFound.join(', ')})`),
      'responses holding a secret',
    ).toEqual([]);
    expect(
      res.filter((r) => r.status === 0 || r.status >= 500).map((r) => `${r.id} → ${r.status || r.error}`),
      'server errors',
    ).toEqual([]);
    const foreign = res.filter((r) => r.status === 200 && r.id.includes(' api ') && !storedOwn.has(r.body)).map((r) => `${r.id}: ${JSON.stringify(r.body.slice(0, 80))}`);
    expect(foreign, 'served something that is not a stored file of the bundle').toEqual([]);
  };

  test('with symbolic links planted in its folder after the import, payloads read nothing outside the bundle', async () => {
    await attack('folder');
  });

  test('with its folder deleted, its files are still served from the database, and payloads read nothing else', async () => {
    const before = fs.readFileSync(path.join(storedBundle, 'train.log'), 'utf8');
    fs.rmSync(storedBundle, { recursive: true, force: true });
    const whole = (p: string) => ({ ...get(p), keepBytes: 4 << 20 });
    const [api, page, run] = await send([whole(`/api/runs/${storedId}/files/train.log`), whole(`/runs/${storedId}/files/train.log`), whole(`/runs/${storedId}`)]);
    expect(api.status).toBe(200);
    expect(api.body).toBe(before);
    expect(page.status).toBe(200);
    expect(run.status).toBe(200);
    expect(run.body).not.toContain('data-testid="bundle-missing"');
    await attack('deleted');
  });
});

describe('plans', () => {
  test('a plan file that is a symlink to a file outside the plans folder is not indexed or served', async () => {
    const ids = [planIdFor(evilLink), planIdFor(evilTarget), planIdFor(fs.realpathSync(evilTarget)), planIdFor(path.join(dir, 'plans/linked-folder/secret-plan.md'))];
    const pages = ['/plans', '/plans?flagged=1', ...ids.flatMap((id) => [`/plans/${id}`, `/plans/${id}/source`, `/plans/${id}/SP1.A`])];
    const res = await send(pages.map((p) => ({ ...get(p), id: p })));
    expect(res.find((r) => r.id === '/plans')!.status).toBe(200);
    const leaked = res.filter((r) => r.markersFound.length).map((r) => `${r.id} → ${r.status}`);
    expect(leaked, 'plan pages showing the outside file').toEqual([]);
    expect(res.filter((r) => r.status >= 500).map((r) => r.id)).toEqual([]);
  });

  test('/plans with a 20,000-row plan is paged: the page stays under 300 KB and names the plan', async () => {
    const [r] = await send([{ ...get('/plans'), keepBytes: 1 << 20 }]);
    expect(r.status).toBe(200);
    expect(r.body).toContain('Twenty thousand rows');
    expect(r.bytes).toBeLessThan(300 * 1024);
  });
});

describe('framing and content headers', () => {
  test('every HTML page forbids framing, sends nosniff and a referrer policy, and allows scripts only by a per-request nonce', async () => {
    const pages = ['/', '/runs/new', `/runs/${runId}`, `/runs/${runId}/files/train.log`, '/plans', '/login', `/compare?ids=${runId},${runId}`, '/no-such-page'];
    const res = await send([...pages, '/'].map((p, i) => ({ ...get(p), id: `${i}:${p}`, keepBytes: 4 << 20 })));
    const problems: string[] = [];
    const nonces: string[] = [];
    for (const r of res) {
      const csp = r.headers['content-security-policy'] ?? '';
      const xfo = r.headers['x-frame-options'];
      if (!/text\/html/.test(r.headers['content-type'] ?? '')) problems.push(`${r.id}: not HTML (${r.status} ${r.headers['content-type']})`);
      if (!/frame-ancestors\s+'none'/.test(csp)) problems.push(`${r.id}: no frame-ancestors 'none' in CSP ${JSON.stringify(csp)}`);
      if (xfo !== undefined && xfo.toUpperCase() !== 'DENY') problems.push(`${r.id}: X-Frame-Options ${xfo}`);
      if ((r.headers['x-content-type-options'] ?? '').toLowerCase() !== 'nosniff') problems.push(`${r.id}: no X-Content-Type-Options: nosniff`);
      if (!r.headers['referrer-policy']) problems.push(`${r.id}: no Referrer-Policy`);
      const scriptSrc = /(?:^|;)\s*script-src\s+([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src\s+([^;]*)/.exec(csp)?.[1] ?? '';
      const nonce = /'nonce-([A-Za-z0-9+/=_-]+)'/.exec(scriptSrc)?.[1];
      if (!nonce) problems.push(`${r.id}: script-src without a nonce: ${JSON.stringify(scriptSrc)}`);
      if (/'unsafe-eval'/.test(scriptSrc)) problems.push(`${r.id}: script-src allows eval`);
      if (nonce) {
        nonces.push(nonce);
        const scripts = [...r.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
        const without = scripts.filter((s) => !s.includes(`nonce="${nonce}"`));
        if (scripts.length === 0) problems.push(`${r.id}: no script tags to check`);
        if (without.length) problems.push(`${r.id}: ${without.length} script tags without the nonce, e.g. ${without[0].slice(0, 120)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(new Set(nonces).size, 'a fresh nonce per response').toBe(nonces.length);
  });
});
