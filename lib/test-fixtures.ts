/**
 * Test helper: read a fixture bundle folder the way the importer does, so
 * lib tests stay pure (lib code never reads files; tests may).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { InputFile } from './evidence/analyse';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
export const PTYCHO = path.join(FIXTURES, 'ptychopinn');
export const ADR = path.join(PTYCHO, 'plans/active/ADR-003-BACKEND-API/reports');
export const RUNTIME_SMOKE = path.join(ADR, '2025-10-20T153300Z/phase_e_execution_knobs/runtime_smoke/2025-10-24T061500Z');
export const LOGGER_SMOKE = path.join(ADR, '2025-10-20T153300Z/phase_e_execution_knobs/2025-10-23T110500Z/smoke/2025-10-24T050500Z');
export const DEBUG_BUNDLE = path.join(ADR, '2025-10-20T090900Z/debug');
export const CLI_SMOKE_TRAINING = path.join(PTYCHO, 'plans/active/INTEGRATE-PYTORCH-001/reports/2025-11-13T150000Z/parity_reactivation/cli/pytorch_cli_smoke_training');

/** The brief's command (input.md of the EB4 loop): it asked for --gridsize 3. */
export const BRIEF_COMMAND =
  'CUDA_VISIBLE_DEVICES="" /usr/bin/time -p python -m ptycho_torch.train --train_data_file tests/fixtures/pytorch_integration/minimal_dataset_v1.npz --test_data_file tests/fixtures/pytorch_integration/minimal_dataset_v1.npz --output_dir tmp/runtime_smoke --n_images 64 --gridsize 3 --max_epochs 6 --batch_size 4 --accelerator auto --deterministic --num-workers 0 --logger csv --checkpoint-save-top-k 2 --early-stop-patience 5 | tee plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/runtime_smoke/2025-10-24T061500Z/train_cli_runtime_smoke.log';

export function readFixture(...parts: string[]): string {
  return fs.readFileSync(path.join(...parts), 'utf8');
}

export function readBundleFiles(dir: string, only?: (name: string) => boolean): InputFile[] {
  return fs
    .readdirSync(dir)
    .filter((n) => fs.statSync(path.join(dir, n)).isFile() && (!only || only(n)))
    .sort()
    .map((n) => {
      const buf = fs.readFileSync(path.join(dir, n));
      return { path: n, sizeBytes: buf.length, text: buf.toString('utf8') };
    });
}
