/**
 * The three profiles Runproof ships. `reference` needs nothing but Node;
 * `ptycho-torch` is PtychoPINN's CLI, offered once its checkout is configured;
 * `lightning-example` is a small real Lightning script, offered where Python
 * can import torch and lightning.
 */
import { profileSchema, type Profile, type ProfileInput } from './schema';

/** A knob's range: [min, max]. */
type Range = readonly [number, number];

/** What a trainer itself accepts for the shared knobs (its argparse limits). */
interface TrainerLimits {
  n_images: Range;
  gridsize: Range;
  max_epochs: Range;
  batch_size: Range;
  num_workers: Range;
  accelerators: string[];
}

/**
 * The bundled trainers' own limits, as their argument parsers enforce them
 * (workers/reference-trainer/train.mjs OPTIONS, workers/lightning-example/
 * train.py build_parser). A form that allowed more would launch runs the
 * trainer refuses; lib/profiles/trainers.test.ts runs each trainer and
 * probes every knob's limits, choices and type against its profile.
 */
const REFERENCE_LIMITS: TrainerLimits = {
  n_images: [8, 65_536],
  gridsize: [1, 4],
  max_epochs: [1, 1000],
  batch_size: [1, 4096],
  num_workers: [0, 64],
  accelerators: ['auto', 'cpu', 'gpu', 'cuda', 'mps'],
};
const LIGHTNING_EXAMPLE_LIMITS: TrainerLimits = {
  n_images: [2, 1_000_000],
  gridsize: [1, 16],
  max_epochs: [1, 10_000],
  batch_size: [1, 65_536],
  num_workers: [0, 256],
  accelerators: ['auto', 'cpu', 'gpu', 'cuda', 'mps', 'tpu'],
};
/** PtychoPINN's CLI is not bundled: its limits are not probed here. */
const PTYCHO_LIMITS: TrainerLimits = {
  n_images: [8, 1_000_000],
  gridsize: [1, 16],
  max_epochs: [1, 10_000],
  batch_size: [1, 65_536],
  num_workers: [0, 256],
  accelerators: ['auto', 'cpu', 'gpu', 'cuda', 'mps'],
};

/** seed_everything's bounds (numpy's uint32), which both bundled trainers enforce. */
const SEED_MAX = 2 ** 32 - 1;

/** The knobs every Lightning-style trainer here takes, with the flags PtychoPINN spells them with. */
function trainerParams(d: { n_images: number; gridsize: number; max_epochs: number; batch_size: number; topK: number; patience: number }, lim: TrainerLimits): NonNullable<ProfileInput['params']> {
  return [
    { name: 'n_images', type: 'int', default: d.n_images, min: lim.n_images[0], max: lim.n_images[1], label: 'Images', help: 'Number of training images (samples).' },
    { name: 'gridsize', type: 'int', default: d.gridsize, min: lim.gridsize[0], max: lim.gridsize[1], label: 'Grid size', help: 'Patches per side of a group (gridsize² inputs).' },
    { name: 'max_epochs', type: 'int', default: d.max_epochs, min: lim.max_epochs[0], max: lim.max_epochs[1], label: 'Max epochs' },
    { name: 'batch_size', type: 'int', default: d.batch_size, min: lim.batch_size[0], max: lim.batch_size[1], label: 'Batch size' },
    { name: 'accelerator', type: 'enum', values: lim.accelerators, default: 'auto', label: 'Accelerator' },
    { name: 'deterministic', type: 'bool', default: true, falseFlag: '--no-deterministic', label: 'Deterministic' },
    { name: 'num-workers', type: 'int', default: 0, min: lim.num_workers[0], max: lim.num_workers[1], label: 'DataLoader workers' },
    { name: 'logger', type: 'enum', values: ['csv', 'none'], default: 'csv', label: 'Logger' },
    { name: 'checkpoint-save-top-k', type: 'int', default: d.topK, min: -1, max: 100, label: 'Checkpoints kept (top-k)', help: '-1 keeps all, 0 only last.ckpt.' },
    {
      name: 'early-stop-patience',
      type: 'int',
      default: d.patience,
      min: 0,
      max: 1000,
      label: 'Early-stop patience',
      help: 'Validation checks without improvement before stopping (0: stop at the first one).',
    },
  ];
}

const builtins: ProfileInput[] = [
  {
    name: 'reference',
    title: 'Reference trainer (Node)',
    description:
      'A small trainer bundled with Runproof: real minibatch optimisation on seeded synthetic data, writing what Lightning 2.x writes (metrics.csv, hparams.yaml, top-k checkpoints, early stopping). Needs only Node.js.',
    argv: ['{node}', '{runproof_root}/workers/reference-trainer/train.mjs', '{params}', '--output_dir', '{output_dir}'],
    params: [
      // Defaults: about 15 s on one core, long enough to watch live (workers/reference-trainer/README.md).
      ...trainerParams({ n_images: 4096, gridsize: 2, max_epochs: 10, batch_size: 8, topK: 2, patience: 5 }, REFERENCE_LIMITS),
      { name: 'checkpoint-monitor', type: 'enum', values: ['val_loss', 'train_loss'], optional: true, label: 'Monitored metric' },
      { name: 'checkpoint-mode', type: 'enum', values: ['min', 'max'], optional: true, label: 'Monitor mode' },
      { name: 'early-stop-min-delta', type: 'number', min: 0, max: 1e6, optional: true, label: 'Early-stop min_delta' },
      { name: 'learning-rate', type: 'number', min: 0, max: 1, optional: true, label: 'Learning rate', help: '0 gives a flat loss (a plateau).' },
      { name: 'seed', type: 'int', min: 0, max: SEED_MAX, optional: true, label: 'Seed' },
    ],
    cwd: '{runproof_root}',
    timeoutSec: 600,
  },
  {
    name: 'ptycho-torch',
    title: 'PtychoPINN (ptycho_torch.train)',
    description: "PtychoPINN's PyTorch Lightning training CLI, run in its checkout (PTYCHOPINN_DIR) with `python -m ptycho_torch.train`.",
    argv: ['python', '-m', 'ptycho_torch.train', '{param:train_data_file}', '{param:test_data_file}', '--output_dir', '{output_dir}', '{params}'],
    params: [
      { name: 'train_data_file', type: 'path', default: 'tests/fixtures/pytorch_integration/minimal_dataset_v1.npz', roots: ['.'], label: 'Training data (.npz)' },
      { name: 'test_data_file', type: 'path', default: 'tests/fixtures/pytorch_integration/minimal_dataset_v1.npz', roots: ['.'], label: 'Test data (.npz)' },
      ...trainerParams({ n_images: 64, gridsize: 3, max_epochs: 6, batch_size: 4, topK: 2, patience: 5 }, PTYCHO_LIMITS),
      { name: 'checkpoint-monitor', type: 'string', optional: true, label: 'Monitored metric' },
      { name: 'checkpoint-mode', type: 'enum', values: ['min', 'max'], optional: true, label: 'Monitor mode' },
      { name: 'learning-rate', type: 'number', min: 0, max: 10, exclusiveMin: true, optional: true, label: 'Learning rate' },
    ],
    cwd: '{env:PTYCHOPINN_DIR}',
    timeoutSec: 3600,
    requires: { env: ['PTYCHOPINN_DIR'], paths: ['{env:PTYCHOPINN_DIR}/ptycho_torch'], hint: 'set PTYCHOPINN_DIR to a PtychoPINN checkout (the folder holding ptycho_torch/)' },
  },
  {
    name: 'lightning-example',
    title: 'Lightning example (Python)',
    description: 'A small real LightningModule shipped with Runproof, using CSVLogger, ModelCheckpoint (monitor, top-k, last) and EarlyStopping.',
    argv: ['{python}', '{runproof_root}/workers/lightning-example/train.py', '{params}', '--output_dir', '{output_dir}'],
    params: [
      ...trainerParams({ n_images: 512, gridsize: 2, max_epochs: 8, batch_size: 16, topK: 2, patience: 3 }, LIGHTNING_EXAMPLE_LIMITS),
      { name: 'checkpoint-monitor', type: 'enum', values: ['val_loss', 'train_loss'], optional: true, label: 'Monitored metric' },
      { name: 'checkpoint-mode', type: 'enum', values: ['min', 'max'], optional: true, label: 'Monitor mode' },
      { name: 'early-stop-min-delta', type: 'number', min: 0, max: 1e6, optional: true, label: 'Early-stop min_delta' },
      { name: 'learning-rate', type: 'number', min: 0, max: 10, optional: true, label: 'Learning rate' },
      { name: 'seed', type: 'int', min: 0, max: SEED_MAX, optional: true, label: 'Seed' },
    ],
    cwd: '{runproof_root}',
    timeoutSec: 1800,
    requires: { env: [], paths: [], probe: ['{python}', '-c', 'import torch, lightning'], hint: 'needs a python3 that can `import torch, lightning`' },
  },
];

export const BUILTIN_PROFILES: readonly Profile[] = Object.freeze(builtins.map((p) => profileSchema.parse(p)));
