/**
 * The step in a checkpoint's name across Lightning versions. Up to 1.5
 * ModelCheckpoint saves at the end of an epoch's validation before the
 * batch's optimizer step is counted (pytorch_lightning/loops/epoch/training_epoch_loop.py
 * of 1.5: `on_advance_end` runs `_run_validation()` and only then `self.global_step += 1`),
 * so 8 batches an epoch name the first checkpoint `epoch=0-step=7.ckpt`;
 * 1.6 on, with `global_step` counting optimizer steps taken, `epoch=0-step=8.ckpt`.
 * The replay (./checkpoints.ts) predicts 1.6's names; a listing written by an
 * older Lightning is read through this adapter: its steps are shifted by one
 * for the analysis and the names shifted back in what it reports.
 */
import { atLeast, describeVersion, FIT_END_LINE_SINCE, type LightningVersion } from '../../lightning/version';
import type { CheckpointAnalysis } from './checkpoints';

/** The version that changed the step: the same release as the fit's end line (1.6). */
const STEP_AFTER_BATCH_SINCE = FIT_END_LINE_SINCE;

const STEP_FIELD = /(^|[-/])step=(\d+)(?=[-_.=]|$)/;

/** `epoch=0-step=7.ckpt`, +1 → `epoch=0-step=8.ckpt`; a name without a `step=` field unchanged. */
export function shiftCheckpointStep(name: string, delta: number): string {
  return name.replace(STEP_FIELD, (_m, pre: string, s: string) => `${pre}step=${Number(s) + delta}`);
}

export interface StepConvention {
  /** The names were read with the step of Lightning before 1.6 (one less than 1.6 on). */
  shifted: true;
  /** Only if: the log's version is not known to be before 1.6, but the files fit no other reading. */
  uncertain: boolean;
  why: string;
}

/**
 * Analyse the checkpoint files as the Lightning that wrote them names them.
 * `analyse` runs the analysis over a listing; `found` is the listing.
 * Before 1.6 (by the version fact): the steps are read shifted. Version not
 * known to be 1.6 or later: as named first, and shifted only when that alone
 * explains files the names as they are do not (the check then warns, never fails).
 */
export function analyseAcrossVersions<F extends { name: string }>(
  found: F[],
  version: LightningVersion,
  analyse: (found: F[]) => CheckpointAnalysis,
): { ck: CheckpointAnalysis; stepConvention: StepConvention | null } {
  const since = atLeast(version, STEP_AFTER_BATCH_SINCE);
  const carriesStep = found.some((f) => STEP_FIELD.test(f.name));
  if (since === 'yes' || !carriesStep) return { ck: analyse(found), stepConvention: null };
  const shiftedRun = () => unshift(analyse(found.map((f) => ({ ...f, name: shiftCheckpointStep(f.name, 1) }))));
  if (since === 'no') {
    return {
      ck: shiftedRun(),
      stepConvention: { shifted: true, uncertain: false, why: `${describeVersion(version)} names a checkpoint with the step before the epoch's last optimizer step is counted (1.6 on: after it)` },
    };
  }
  // Explained with the settings stated or at Lightning's defaults, not by a save period inferred to fit the files.
  const plain = (ck: CheckpointAnalysis) => ck.explained && ck.used?.everyNEpochs.how !== 'inferred' && ck.used?.everyNTrainSteps.how !== 'inferred';
  const asNamed = analyse(found);
  if (plain(asNamed) || !asNamed.canReplay) return { ck: asNamed, stepConvention: null };
  const shifted = shiftedRun();
  if (!plain(shifted)) return { ck: asNamed, stepConvention: null };
  return {
    ck: shifted,
    stepConvention: {
      shifted: true,
      uncertain: true,
      why: `the files fit only if a Lightning before 1.6 wrote them (its names carry the step before the epoch's last optimizer step is counted), and nothing dates the log (${describeVersion(version)})`,
    },
  };
}

/** Names back as the listing has them. */
function unshift(ck: CheckpointAnalysis): CheckpointAnalysis {
  const back = (n: string) => shiftCheckpointStep(n, -1);
  return {
    ...ck,
    found: ck.found.map((c) => ({ ...c, name: back(c.name), step: c.step !== null && STEP_FIELD.test(c.name) ? c.step - 1 : c.step })),
    expected: ck.expected.map((e) => ({ ...e, name: back(e.name) })),
    missing: ck.missing.map(back),
    unexpected: ck.unexpected.map(back),
    prior: ck.prior.map(back),
  };
}
