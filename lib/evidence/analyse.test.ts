import { describe, expect, it } from 'vitest';
import { analyseBundle, logParseView } from './analyse';
import { formatLsListing } from '../lightning/checkpoints';
import { renderSummaryMarkdown } from './summary';
import { BRIEF_COMMAND, CLI_SMOKE_TRAINING, DEBUG_BUNDLE, LOGGER_SMOKE, RUNTIME_SMOKE, readBundleFiles } from '../../fixtures/test-helpers';

const byId = (ev: ReturnType<typeof analyseBundle>, id: string) => ev.checks.find((c) => c.id === id)!;

describe('the EB4 runtime-smoke bundle', () => {
  const ev = analyseBundle(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE });

  it('has six epochs of validation and train-epoch loss', () => {
    expect(ev.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    const val = ev.epochs.map((e) => Number(e.metrics.poisson_val_loss!.toFixed(3)));
    expect(val).toEqual([19644.615, 18232.771, 17981.115, 17851.99, 17771.838, 17732.736]);
    const train = ev.epochs.map((e) => e.metrics.poisson_train_loss_epoch!);
    expect(train[0]).toBeCloseTo(25389.543, 3);
    expect(train[5]).toBeCloseTo(17740.408, 3);
    expect(ev.monitor).toMatchObject({ name: 'poisson_val_loss', mode: 'min' });
  });

  it('reports how it ended, where it ran and how long it took', () => {
    expect(ev.status).toBe('succeeded');
    expect(ev.stop.reason).toBe('max_epochs');
    expect(ev.accelerator).toMatchObject({ requested: 'auto', resolved: 'cpu' });
    expect(ev.runtime).toEqual({ realS: 14.75, userS: 99.65, sysS: 2.18, source: 'time -p' });
    expect(ev.seed).toBe(42);
  });

  it('recovers the knobs from the command in summary.md', () => {
    expect(ev.command?.env).toEqual({ CUDA_VISIBLE_DEVICES: '' });
    expect(ev.command?.argv.slice(0, 3)).toEqual(['python', '-m', 'ptycho_torch.train']);
    expect(ev.knobs).toMatchObject({ gridsize: '2', max_epochs: '6', 'checkpoint-save-top-k': '2', 'early-stop-patience': '5', accelerator: 'auto', deterministic: true, logger: 'csv' });
  });

  it('replays early stopping: not triggered, best epoch 5, wait 0, patience 5', () => {
    expect(ev.earlyStop).toMatchObject({ configured: true, triggered: false, bestEpoch: 5, wait: 0, patience: 5, stoppedEpoch: null });
    expect(ev.earlyStop!.bestScore).toBeCloseTo(17732.736, 3);
    expect(ev.earlyStop!.trace.every((t) => t.improved)).toBe(true);
    expect(byId(ev, 'early-stop').status).toBe('pass');
    expect(byId(ev, 'epochs').status).toBe('pass');
  });

  it('finds the missing epoch-4 top-k checkpoint that the hand-written summary explained away', () => {
    expect(ev.checkpoints.found.map((c) => [c.name, c.kind, c.epoch, c.score])).toEqual([
      ['epoch=epoch=05-poisson_val=poisson_val_loss=17732.7363.ckpt', 'top-k', 5, 17732.7363],
      ['last.ckpt', 'last', null, null],
    ]);
    expect(ev.checkpoints.found[0].sizeBytes).toBe(27 * 1024 * 1024);
    expect(ev.checkpoints.expected.map((e) => e.name)).toEqual([
      'epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt',
      'epoch=epoch=05-poisson_val=poisson_val_loss=17732.7363.ckpt',
      'last.ckpt',
    ]);
    expect(ev.checkpoints.missing).toEqual(['epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt']);
    expect(ev.checkpoints.unexpected).toEqual([]);
    const c = byId(ev, 'checkpoints');
    expect(c.status).toBe('fail');
    expect(c.detail).toContain('epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt');
  });

  it('lists the UserWarnings and Lightning num_workers notices without failing on them', () => {
    const messages = ev.warnings.map((w) => `${w.category ?? 'lightning'}: ${w.message}`);
    expect(messages.some((m) => m.startsWith('UserWarning: params.cfg already populated'))).toBe(true);
    expect(messages.some((m) => m.startsWith('UserWarning: test_data_file not provided'))).toBe(true);
    // Lightning prints its own warnings without their category; the parser knows these are PossibleUserWarning
    expect(ev.warnings.filter((w) => w.category === 'PossibleUserWarning' && /num_workers/.test(w.message))).toHaveLength(2);
    expect(ev.warnings[0]).toMatchObject({ file: '/home/ollie/Documents/PtychoPINN2/ptycho_torch/config_factory.py', line: 613, count: 1 });
    expect(byId(ev, 'warnings').status).toBe('warn');
  });

  it('agrees with the trainer echo when nothing was requested, and fails knobs on the brief (gridsize 3 vs 2)', () => {
    expect(byId(ev, 'knobs').status).toBe('pass');
    const asked = analyseBundle(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE, requested: { text: BRIEF_COMMAND, source: 'input.md' } });
    const k = byId(asked, 'knobs');
    expect(k.status).toBe('fail');
    expect(k.detail).toContain('gridsize: requested 3, ran 2');
    expect(asked.knobTable.filter((r) => !r.ok).map((r) => r.knob)).toEqual(['gridsize']);
    expect(asked.requested?.knobs.gridsize).toBe('3');
  });

  it('renders a summary.md that carries the verdicts', () => {
    const md = renderSummaryMarkdown(ev, { permalink: 'http://localhost:3000/runs/abc' });
    expect(md).toContain('| checkpoints | ❌ fail |');
    expect(md).toContain('✗ missing');
    expect(md).toContain('real 14.75 s, user 99.65 s, sys 2.18 s');
  });
});

describe('other real bundles', () => {
  it('parses the 1-epoch logger smoke (stdout-only log, no Lightning lines)', () => {
    const ev = analyseBundle(readBundleFiles(LOGGER_SMOKE), { root: LOGGER_SMOKE });
    expect(ev.epochs).toHaveLength(1);
    expect(ev.epochs[0].metrics.poisson_val_loss).toBeCloseTo(18388.588, 3);
    expect(ev.status).toBe('succeeded');
    expect(ev.maxEpochs).toBe(1); // from the trainer's echo `epochs=1`
    expect(byId(ev, 'epochs').status).toBe('pass');
    expect(ev.problems).toEqual([]);
  });

  it('marks the debug run failed with its ERROR line', () => {
    const ev = analyseBundle(readBundleFiles(DEBUG_BUNDLE), { root: DEBUG_BUNDLE });
    expect(ev.status).toBe('failed');
    expect(ev.stop.reason).toBe('error');
    expect(ev.errors).toEqual([{ file: 'manual_train.log', line: 3, message: 'ERROR: Training data file not found: tests/fixtures/pytorch_integration/minimal_dataset_v1.npz' }]);
    const exit = byId(ev, 'exit');
    expect(exit.status).toBe('fail');
    expect(exit.detail).toContain('ERROR: Training data file not found');
    expect(byId(ev, 'metrics').status).toBe('skip');
  });

  it('resolves train_cuda_default.log to gpu on an RTX 3090', () => {
    const files = readBundleFiles(CLI_SMOKE_TRAINING, (n) => !n.endsWith('.log') || n === 'train_cuda_default.log');
    const ev = analyseBundle(files, { root: CLI_SMOKE_TRAINING, logFile: 'train_cuda_default.log' });
    expect(ev.accelerator.resolved).toBe('gpu');
    expect(ev.accelerator.device).toBe('NVIDIA GeForce RTX 3090');
    expect(ev.stop.reason).toBe('max_epochs');
    expect(ev.status).toBe('succeeded');
  });

  it('sees CPU on a GPU host in train_clean.log and the failure in train.log', () => {
    const clean = analyseBundle(
      readBundleFiles(CLI_SMOKE_TRAINING, (n) => n === 'train_clean.log'),
      { root: CLI_SMOKE_TRAINING, logFile: 'train_clean.log' },
    );
    expect(clean.accelerator.resolved).toBe('cpu');
    expect(clean.warnings.some((w) => w.message.startsWith('GPU available but not used'))).toBe(true);
    const bad = analyseBundle(
      readBundleFiles(CLI_SMOKE_TRAINING, (n) => n === 'train.log'),
      { root: CLI_SMOKE_TRAINING, logFile: 'train.log' },
    );
    expect(bad.status).toBe('failed');
    expect(bad.errors.some((e) => /MisconfigurationException|RuntimeError/.test(e.message))).toBe(true);
  });

  it('skips checks, with a reason, when the evidence is absent', () => {
    const ev = analyseBundle([{ path: 'notes.md', sizeBytes: 5, text: 'hello' }], { root: '/tmp/x' });
    expect(ev.status).toBe('unknown');
    for (const c of ev.checks) {
      expect(c.status).toBe('skip');
      expect(c.detail.length).toBeGreaterThan(5);
    }
  });

  it('reports a non-Lightning CSV instead of mis-parsing it', () => {
    const ev = analyseBundle([{ path: 'metrics.csv', sizeBytes: 20, text: ',loss,acc\n0,1.5,0.2\n1,1.2,0.3\n' }], { root: '/tmp/x' });
    expect(byId(ev, 'metrics').status).toBe('fail');
    expect(ev.epochs).toEqual([]);
    expect(ev.problems[0]).toMatchObject({ file: 'metrics.csv', line: 1 });
  });

  it('fails the warnings check on a DeprecationWarning', () => {
    const log = ['/x/train.py:10: DeprecationWarning: --device is deprecated, use --accelerator', '  warnings.warn(', '`Trainer.fit` stopped: `max_epochs=1` reached.'].join('\n');
    const ev = analyseBundle([{ path: 'train.log', sizeBytes: log.length, text: log }], { root: '/tmp/x' });
    expect(byId(ev, 'warnings')).toMatchObject({ status: 'fail' });
    expect(byId(ev, 'exit').status).toBe('pass');
  });

  it('fails accelerator when gpu was requested but it ran on CPU', () => {
    const log = 'GPU available: False, used: False\n`Trainer.fit` stopped: `max_epochs=1` reached.\n';
    const summary = '```bash\npython train.py --accelerator gpu --max_epochs 1\n```\n';
    const ev = analyseBundle(
      [
        { path: 'train.log', sizeBytes: 1, text: log },
        { path: 'summary.md', sizeBytes: 1, text: summary },
      ],
      { root: '/tmp/x' },
    );
    expect(byId(ev, 'accelerator')).toMatchObject({ status: 'fail', detail: 'requested gpu but ran on cpu' });
  });
});

describe('logs that are not of a training run', () => {
  it('does not fail exit on a log without Lightning lines, but does on a training log cut short', () => {
    const infer = 'Loading model...\nreal 6.36\nuser 11.04\nsys 1.06\n';
    const a = analyseBundle([{ path: 'infer.log', sizeBytes: 1, text: infer }], { root: '/tmp/x' });
    expect(a.checks.find((c) => c.id === 'exit')!.status).toBe('skip');
    expect(a.status).toBe('unknown');
    // Dated 2.x (its `💡 Tip` line): a fit ends mid-epoch only with a `max_steps` line there, so a bar part-way is a cut.
    const cut =
      'GPU available: False, used: False\n💡 Tip: For seamless cloud uploads and versioning, try installing [litmodels](https://pypi.org/project/litmodels/) to enable LitModelCheckpoint, which syncs automatically with the Lightning model registry.\nEpoch 0: 50%\n';
    const b = analyseBundle([{ path: 'train.log', sizeBytes: 1, text: cut }], { root: '/tmp/x' });
    expect(b.checks.find((c) => c.id === 'exit')).toMatchObject({ status: 'fail', detail: expect.stringContaining("is cut short: train.log's last progress bar is part-way through epoch 0 (50%)") });
    // Undated: before 1.6 a max_steps stop mid-epoch prints nothing, so the same log is only a warning.
    const undated = analyseBundle([{ path: 'train.log', sizeBytes: 1, text: 'GPU available: False, used: False\nEpoch 0: 50%\n' }], { root: '/tmp/x' });
    expect(undated.checks.find((c) => c.id === 'exit')).toMatchObject({ status: 'warn', detail: expect.stringContaining('nor at any end before 1.6') });
  });
});

describe('caps: a bundle with 10,000 checkpoint files and 10,000 distinct warnings', () => {
  const ckpts = Array.from({ length: 10_000 }, (_, i) => ({ name: `epoch=${i}-step=${(i + 1) * 10}.ckpt`, sizeBytes: 1000, mtimeMs: 0 }));
  const log = [
    'GPU available: False, used: False',
    ...Array.from({ length: 10_000 }, (_, i) => `/x/train.py:${i + 1}: UserWarning: warning number ${i}`),
    '`Trainer.fit` stopped: `max_epochs=3` reached.',
  ].join('\n');
  const csv = 'epoch,step,val_loss\n0,9,3\n1,19,2\n2,29,1\n';
  const ev = analyseBundle(
    [
      { path: 'checkpoints_ls.txt', sizeBytes: 1, text: formatLsListing(ckpts) },
      { path: 'metrics.csv', sizeBytes: csv.length, text: csv },
      { path: 'train.log', sizeBytes: log.length, text: log },
    ],
    { root: '/tmp/big' },
  );

  it('lists the first 500 and last 500 checkpoint files and says how many were not listed', () => {
    expect(ev.checkpoints.found).toHaveLength(1000);
    const names = ev.checkpoints.found.map((c) => c.name);
    const sorted = ckpts.map((c) => c.name).sort();
    expect(names.slice(0, 500)).toEqual(sorted.slice(0, 500));
    expect(names.slice(500)).toEqual(sorted.slice(-500));
    expect(ev.problems).toContainEqual({
      file: 'checkpoints_ls.txt',
      line: null,
      message: '10,000 checkpoint files: listing the first 500 and last 500; 9,000 not listed; the checkpoints check compared all of them with the replay',
    });
  });

  it('judges the checkpoints against the full set: no configuration keeps 10,000 files from 3 epochs; the closest keeps the 3, so 9,997 are unexpected', () => {
    const c = byId(ev, 'checkpoints');
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(/^replay of save_top_k=10000 expects 3 files, found 10,000; unexpected 9,997: epoch=10-step=110\.ckpt, /);
    expect(c.detail.length).toBeLessThan(2000);
    expect(ev.checkpoints.unexpected).toHaveLength(1000);
    expect(ev.problems).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/^9,997 unexpected checkpoint files: listing the first 500 and last 500; 8,997 not listed/) }));
  });

  it('keeps the first 500 and last 500 distinct warnings, and the warnings check counts them all', () => {
    expect(ev.warnings).toHaveLength(1000);
    expect(ev.warnings[0].message).toBe('warning number 0');
    expect(ev.warnings[999].message).toBe('warning number 9999');
    expect(byId(ev, 'warnings').detail).toBe('10,000 distinct warnings (10,000 in all)');
    expect(ev.problems).toContainEqual({
      file: 'train.log',
      line: null,
      message: '10,000 distinct warnings: keeping the first 500 and last 500; 9,000 not kept; the warnings check counted all of them',
    });
    expect(JSON.stringify(ev).length).toBeLessThan(500_000);
  });
});

describe('logs over the parse cap', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
  const text = `${lines.join('\n')}\n`;

  it("parses the first and last half of the cap, each cut at a line break, with the file's line numbers", () => {
    const v = logParseView(text, null, 200);
    expect(v.head.endsWith('\n')).toBe(true);
    expect(v.head.length).toBeLessThanOrEqual(100);
    expect(v.tail!.text.length).toBeLessThanOrEqual(100);
    const headLines = v.head.split('\n').length - 1;
    expect(v.head.split('\n')[headLines - 1]).toBe(`line ${headLines}`);
    expect(v.tail!.text.split('\n')[0]).toBe(`line ${v.tail!.firstLine}`);
    expect(v.skipped).toEqual({ fromLine: headLines + 1, toLine: v.tail!.firstLine - 1 });
    expect(logParseView(text, null, 10_000)).toEqual({ head: text, tail: null, skipped: null });
  });

  it('takes a head and tail the reader cut, trims them to the cap, and names what was not parsed in a problem', () => {
    const head = 'GPU available: False, used: False\n'.repeat(10);
    const tail = { text: `${'x\n'.repeat(10)}\`Trainer.fit\` stopped: \`max_epochs=1\` reached.\n`, firstLine: 9_000_001 };
    const ev = analyseBundle([{ path: 'train.log', sizeBytes: 600 * 1024 * 1024, text: head, tail }], { root: '/tmp/x' });
    expect(ev.status).toBe('succeeded');
    expect(ev.problems).toEqual([
      { file: 'train.log', line: 11, message: expect.stringMatching(/^600 MB log, over the 50 MB parse cap: parsed its first and last .* MB; lines 11–9,000,000 not parsed/) },
    ]);
    expect(byId(ev, 'exit').detail).toContain('max_epochs=1');
    // A head and tail longer than the cap are trimmed further, their line numbers kept.
    const v = logParseView('a\n'.repeat(30), { text: 'b\n'.repeat(30), firstLine: 1001 }, 40);
    expect(v).toEqual({ head: 'a\n'.repeat(10), tail: { text: 'b\n'.repeat(10), firstLine: 1021 }, skipped: { fromLine: 11, toLine: 1020 } });
  });
});

describe('odd files in a bundle: each named in the evidence with its file and line, the rest still judged', () => {
  it('a CR-only log, and a metrics.csv with a repeated column and an out-of-range epoch', () => {
    const log = 'GPU available: False, used: False\r`Trainer.fit` stopped: `max_epochs=2` reached.\r';
    const csv = 'epoch,step,val_loss,val_loss\n0,9,2,3\n-4,14,1.75,2.75\n1,19,1.5,2.5\n';
    const ev = analyseBundle(
      [
        { path: 'train.log', sizeBytes: log.length, text: log },
        { path: 'metrics.csv', sizeBytes: csv.length, text: csv },
      ],
      { root: '/tmp/odd' },
    );
    expect(ev.problems).toEqual([
      { file: 'train.log', line: 1, message: 'carriage returns without line feeds (classic Mac line ends): read as line breaks' },
      { file: 'metrics.csv', line: 1, message: 'header repeats column name "val_loss" (fields 3 and 4: the repeat is read as "val_loss (2)")' },
      { file: 'metrics.csv', line: 3, message: 'negative epoch -4; treated as missing' },
    ]);
    expect(ev.status).toBe('succeeded');
    expect(ev.epochs.map((e) => [e.epoch, e.metrics.val_loss])).toEqual([
      [0, 2],
      [1, 1.5],
    ]);
    expect(byId(ev, 'metrics')).toMatchObject({ status: 'pass' });
  });
});

describe('a long run with its checkpoint config unknown', () => {
  it('searches within a bound (1,000 epochs, 7 files, no command): a verdict in seconds, and a bounded search cannot fail', () => {
    let csv = 'epoch,step,train_loss_step,val_loss,val_acc\n';
    for (let e = 0; e < 1000; e++) {
      for (let b = 0; b < 200; b += 50) csv += `${e},${e * 200 + b},0.5,,\n`;
      csv += `${e},${e * 200 + 199},,${(1 + Math.sin(e)).toFixed(4)},${(0.5 + Math.cos(e) / 3).toFixed(4)}\n`;
    }
    const names = Array.from({ length: 7 }, (_, i) => ({ name: `epoch=${i * 100 + 3}-step=${(i * 100 + 4) * 200}.ckpt`, sizeBytes: 10, mtimeMs: 0 }));
    const ev = analyseBundle(
      [
        { path: 'metrics.csv', sizeBytes: csv.length, text: csv },
        { path: 'checkpoints_ls.txt', sizeBytes: 1, text: formatLsListing(names) },
      ],
      { root: '/tmp/long' },
    );
    expect(byId(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('the search stopped at its bound') });
  });
});
