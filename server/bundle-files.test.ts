import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBundleFile } from './bundle-files';

let base: string;
let bundle: string;

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-files-'));
  bundle = path.join(base, 'reports', 'run1');
  fs.mkdirSync(path.join(bundle, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(bundle, 'train.log'), 'ok\n');
  fs.writeFileSync(path.join(bundle, 'sub', 'metrics.csv'), 'epoch,step\n');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'SECRET');
  fs.writeFileSync(path.join(base, 'reports', 'run1-other.txt'), 'SIBLING');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(bundle, 'link-out'));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('serving bundle files', () => {
  it('serves files inside the bundle, encoded or not', () => {
    expect(resolveBundleFile(bundle, 'train.log')).toMatchObject({ ok: true, relative: 'train.log', sizeBytes: 3 });
    expect(resolveBundleFile(bundle, ['sub', 'metrics.csv'])).toMatchObject({ ok: true, relative: 'sub/metrics.csv' });
    expect(resolveBundleFile(bundle, 'sub%2Fmetrics.csv')).toMatchObject({ ok: true });
  });

  // Encodings that bypassed MLflow's artifact checks, and friends.
  const attacks = [
    '../secret.txt', '../../secret.txt', '..%2fsecret.txt', '..%2Fsecret.txt', '%2e%2e/secret.txt', '%2e%2e%2fsecret.txt',
    '%252e%252e%252fsecret.txt', '%25252e%25252e%25252fsecret.txt', '..\\secret.txt', '..%5csecret.txt', '..%255csecret.txt',
    '/etc/passwd', '%2fetc%2fpasswd', '//etc/passwd', 'C:/Windows/win.ini', 'sub/../../secret.txt', 'sub/%2e%2e/%2e%2e/secret.txt',
    'train.log%00.png', 'train.log\0', '..;/secret.txt', 'train.log;/../../secret.txt', '..%3b/secret.txt', 'train.log#/../../secret.txt',
    'train.log?x=/../../secret.txt', '....//secret.txt', '../run1-other.txt', '%c0%ae%c0%ae/secret.txt', 'link-out', '.', '', 'sub',
    '%', '%zz', '..%c0%afsecret.txt', 'sub/..%2f..%2fsecret.txt',
  ];

  it.each(attacks)('refuses %j and reads nothing outside the bundle', (p) => {
    const r = resolveBundleFile(bundle, p);
    if (r.ok) {
      // Anything served must really be inside the bundle root.
      expect(fs.realpathSync(r.file).startsWith(fs.realpathSync(bundle) + path.sep)).toBe(true);
      expect(fs.readFileSync(r.file, 'utf8')).not.toMatch(/SECRET|SIBLING/);
    } else {
      expect([400, 404]).toContain(r.status);
    }
  });

  it('refuses a symlink that points outside', () => {
    expect(resolveBundleFile(bundle, 'link-out')).toMatchObject({ ok: false, status: 404 });
  });
});
