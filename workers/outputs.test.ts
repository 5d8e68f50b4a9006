/**
 * What the worker reads from a trainer's output folder, against real folders.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { findLoggerFiles, renderTree } from './outputs';

let dir: string | null = null;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = null;
});

test('renderTree lists a folder as `tree` does and stops at 32 levels, saying so, however deep the trainer went', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-tree-'));
  let deep = path.join(dir, 'logs');
  for (let i = 0; i < 40; i++) deep = path.join(deep, 'd');
  fs.mkdirSync(deep, { recursive: true });
  fs.writeFileSync(path.join(dir, 'logs', 'metrics.csv'), '');
  const text = renderTree(path.join(dir, 'logs'), 'logs');
  const lines = text.split('\n');
  expect(lines[0]).toBe('logs');
  expect(lines[1]).toBe('├── d');
  expect(lines).toContain('└── metrics.csv');
  expect(lines.filter((l) => l.endsWith('── d'))).toHaveLength(33);
  expect(text).toContain('└── … (folders deeper than 32 levels not listed)');
  expect(text.trimEnd().split('\n').pop()).toBe('33 directories, 1 file');
});

test("findLoggerFiles finds the newest version folder's TensorBoard events and runproof.json, not an older run's", () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-logger-'));
  const v0 = path.join(dir, 'lightning_logs', 'version_0');
  const v1 = path.join(dir, 'lightning_logs', 'version_1');
  fs.mkdirSync(v0, { recursive: true });
  fs.mkdirSync(v1, { recursive: true });
  fs.writeFileSync(path.join(v0, 'events.out.tfevents.1.host.1.0'), 'old');
  fs.writeFileSync(path.join(v0, 'runproof.json'), '{}');
  fs.writeFileSync(path.join(v1, 'events.out.tfevents.2.host.2.0'), 'new');
  fs.writeFileSync(path.join(v1, 'runproof.json'), '{}');
  fs.writeFileSync(path.join(v1, 'hparams.yaml'), '');
  expect(findLoggerFiles(dir)).toEqual({ events: [path.join(v1, 'events.out.tfevents.2.host.2.0')], runproofJson: path.join(v1, 'runproof.json') });
  // an output folder with no logger files: nothing to copy
  fs.rmSync(path.join(dir, 'lightning_logs'), { recursive: true });
  expect(findLoggerFiles(dir)).toEqual({ events: [], runproofJson: null });
});
