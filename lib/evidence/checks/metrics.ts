import type { Facts } from '../facts';
import type { Check } from '../types';
import { check } from './check';

export type MetricsFacts = Pick<Facts, 'metricsFile' | 'metrics' | 'logger' | 'epochs' | 'monitor' | 'monitorPoints' | 'interrupted'> &
  Partial<Pick<Facts, 'nonFinite' | 'settings' | 'stop' | 'crashed' | 'lastStep' | 'checkpoints' | 'timeline' | 'testOnlyRows'>>;

/**
 * Is there a Lightning metrics file with per-epoch rows, and the monitored
 * metric in every epoch that validated by configuration: not the epochs
 * check_val_every_n_epoch skips (stated, or evident from a strict period in
 * the validated epochs), not a last epoch max_steps, a crash or an
 * interruption cut before its validation. An epoch with no rows at all
 * between two that have them fails when every other epoch logged a value
 * at its end.
 */
export function checkMetrics(f: MetricsFacts): Check {
  const { metricsFile, metrics, epochs, monitorPoints, interrupted } = f;
  const csvAsked = f.logger.value === 'csv';
  if (!metricsFile) return check('metrics', csvAsked ? 'fail' : 'skip', csvAsked ? 'asked for --logger csv but the bundle has no metrics.csv' : 'no metrics.csv in the bundle');
  if (metricsFile.fromEvents && csvAsked) return check('metrics', 'fail', 'asked for --logger csv but the bundle has no metrics.csv, only TensorBoard events files');
  // TestTubeLogger's file (Lightning 1.0–1.6) is the run's own, in a shape Runproof does not read: not a failure of the run.
  if (metrics?.kind !== 'lightning') return check('metrics', metrics?.writer === 'test-tube' ? 'warn' : 'fail', `${metricsFile.path}: ${metrics?.reason ?? 'not readable'}`);
  if (!epochs.length && f.testOnlyRows) return check('metrics', 'skip', `${metricsFile.path} holds only trainer.test() values: the fit's own values are not in the bundle`);
  if (!epochs.length) return check('metrics', 'fail', `${metricsFile.path} has no per-epoch rows`);
  const monitor = f.monitor.value;
  // A loss (or the monitored metric) that never had a finite value: the run learnt nothing, whatever it logged.
  const dead = (f.nonFinite ?? []).filter((m) => m.nonFinite === m.values && (/loss/i.test(m.metric) || m.metric === monitor?.name));
  if (dead.length) return check('metrics', 'fail', `${dead.map((m) => `${m.metric} is NaN or infinite in all ${m.values} value${m.values === 1 ? '' : 's'}`).join('; ')}`);

  // Epochs with no rows at all, between epochs that have them: a value every other epoch logged at its end is missing.
  const present = new Set(epochs.map((e) => e.epoch));
  const first = epochs[0].epoch;
  const last = epochs[epochs.length - 1].epoch;
  const absent: number[] = [];
  for (let e = first + 1; e < last; e++) if (!present.has(e)) absent.push(e);
  if (absent.length) {
    const everyEpoch = (metrics.epochLevel ?? []).filter((c) => epochs.every((e) => e.metrics[c] !== undefined));
    if (everyEpoch.length)
      return check(
        'metrics',
        'fail',
        `${metricsFile.path} has no rows for epoch${absent.length > 1 ? 's' : ''} ${absent.join(', ')}, though every other epoch logged ${everyEpoch.slice(0, 3).join(', ')}`,
      );
  }
  if (!monitor) return check('metrics', 'pass', `${epochs.length} epochs; no monitored metric identified`);

  let gaps = monitorPoints.filter((p) => p.value === undefined).map((p) => p.epoch);
  const notes: string[] = [];
  // check_val_every_n_epoch: stated, or a strict period in the validated epochs.
  const cve = f.settings?.trainer.checkValEveryNEpoch;
  const validated = monitorPoints.filter((p) => p.value !== undefined).map((p) => p.epoch);
  let period: number | null = null;
  if (cve?.state === 'known' && cve.value > 1) period = cve.value;
  else if (gaps.length && validated.length) {
    for (let n = 2; n <= Math.min(last + 1, 100) && period === null; n++) {
      if (validated.every((e) => (e + 1) % n === 0) && gaps.every((e) => (e + 1) % n !== 0 || e === last)) period = n;
    }
  }
  if (period !== null) {
    const skipped = gaps.filter((e) => (e + 1) % period! !== 0);
    if (skipped.length)
      notes.push(`epoch${skipped.length > 1 ? 's' : ''} ${skipped.join(', ')} not validated by check_val_every_n_epoch=${period}${cve?.state === 'known' ? '' : ' (the validated epochs show it)'}`);
    gaps = gaps.filter((e) => (e + 1) % period! === 0);
  }
  // A last epoch cut before its validation: max_steps, a crash, an interruption.
  if (gaps.length && gaps[gaps.length - 1] === last) {
    const maxSteps = f.settings?.trainer.maxSteps;
    const spb = f.checkpoints?.used?.stepsPerBatch.value ?? 1;
    const byMaxSteps = f.stop?.reason === 'max_steps' || (maxSteps?.value != null && maxSteps.value > 0 && f.lastStep != null && f.lastStep * spb >= maxSteps.value);
    const cut = interrupted
      ? `was interrupted (${interrupted})`
      : byMaxSteps
        ? `ended at max_steps${maxSteps?.value != null ? `=${maxSteps.value}` : ''} before its validation`
        : f.crashed
          ? 'ended in a crash before its validation'
          : null;
    if (cut) {
      gaps.pop();
      notes.push(`epoch ${last} ${cut}`);
    }
  }
  if (gaps.length) return check('metrics', 'fail', `${monitor.name} missing for epoch${gaps.length > 1 ? 's' : ''} ${gaps.join(', ')}`);
  const logged = validated.length;
  if (notes.length) {
    if (interrupted && notes.length === 1 && !period) return check('metrics', 'pass', `${monitor.name} logged for every completed epoch; epoch ${last} was interrupted (${interrupted})`);
    return check('metrics', 'pass', `${monitor.name} logged for the ${logged} epoch${logged === 1 ? '' : 's'} that validated; ${notes.join('; ')}`);
  }
  return check('metrics', 'pass', epochs.length === 1 ? `${monitor.name} logged for the one epoch` : `${monitor.name} logged for all ${epochs.length} epochs`);
}
