import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundleFile, openInside, resolveBundleFile } from './bundle-files';

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
    '../secret.txt',
    '../../secret.txt',
    '..%2fsecret.txt',
    '..%2Fsecret.txt',
    '%2e%2e/secret.txt',
    '%2e%2e%2fsecret.txt',
    '%252e%252e%252fsecret.txt',
    '%25252e%25252e%25252fsecret.txt',
    '..\\secret.txt',
    '..%5csecret.txt',
    '..%255csecret.txt',
    '/etc/passwd',
    '%2fetc%2fpasswd',
    '//etc/passwd',
    'C:/Windows/win.ini',
    'sub/../../secret.txt',
    'sub/%2e%2e/%2e%2e/secret.txt',
    'train.log%00.png',
    'train.log\0',
    '..;/secret.txt',
    'train.log;/../../secret.txt',
    '..%3b/secret.txt',
    'train.log#/../../secret.txt',
    'train.log?x=/../../secret.txt',
    '....//secret.txt',
    '../run1-other.txt',
    '%c0%ae%c0%ae/secret.txt',
    'link-out',
    '.',
    '',
    'sub',
    '%',
    '%zz',
    '..%c0%afsecret.txt',
    'sub/..%2f..%2fsecret.txt',
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

  it.each(['%', '%zz', '%E0%A4', '%E0%A4.log', 'train%2', '%c0%ae%c0%ae/secret.txt', '%C0%AF', '%ED%A0%80', '%F8%88%80%80%80', '%FF', 'sub/%', '%25%', '%%32%65'])(
    'answers malformed percent-encoding %j with a plain 400',
    (p) => {
      expect(resolveBundleFile(bundle, p)).toEqual({ ok: false, status: 400, reason: 'bad encoding: the path is not valid percent-encoded UTF-8' });
      expect(resolveBundleFile(bundle, ['sub', p])).toMatchObject({ ok: false, status: 400 });
    },
  );

  it('serves a symlink that stays inside the bundle, through the descriptor it checked', () => {
    fs.symlinkSync('sub/metrics.csv', path.join(bundle, 'link-in'));
    const r = openBundleFile(bundle, 'link-in');
    try {
      expect(r).toMatchObject({ ok: true, relative: 'sub/metrics.csv' });
      if (r.ok) expect(fs.readFileSync(r.fd, 'utf8')).toBe('epoch,step\n');
    } finally {
      if (r.ok) fs.closeSync(r.fd);
      fs.rmSync(path.join(bundle, 'link-in'));
    }
  });

  it('refuses a folder swapped for a link out of the bundle, and FIFOs without blocking', () => {
    const root = fs.realpathSync(bundle);
    fs.mkdirSync(path.join(bundle, 'moved'));
    fs.writeFileSync(path.join(bundle, 'moved', 'secret.txt'), 'inside');
    expect(openInside(root, path.join(root, 'moved', 'secret.txt'))).toMatchObject({ ok: true });
    fs.rmSync(path.join(bundle, 'moved'), { recursive: true });
    fs.symlinkSync(base, path.join(bundle, 'moved'));
    expect(openInside(root, path.join(root, 'moved', 'secret.txt'))).toMatchObject({ ok: false, why: 'outside' });
    expect(resolveBundleFile(bundle, 'moved/secret.txt')).toMatchObject({ ok: false, status: 404 });
    fs.rmSync(path.join(bundle, 'moved'));
    // A FIFO inside: opened without blocking, then refused as not a file.
    const fifo = path.join(bundle, 'pipe.log');
    execFileSync('mkfifo', [fifo]);
    try {
      expect(openInside(root, fifo)).toMatchObject({ ok: false, why: 'not-file' });
    } finally {
      fs.rmSync(fifo);
    }
  });
});
