import type { Facts } from '../facts';
import type { Check } from '../types';
import { nonFiniteMetrics } from '../../lightning/metrics-csv';
import { check } from './check';

export type MetricsFacts = Pick<Facts, 'metricsFile' | 'metrics' | 'logger' | 'epochs' | 'monitor' | 'monitorPoints' | 'interrupted'>;

/** Is there a Lightning metrics file with per-epoch rows, and the monitored metric in every epoch. */
export function checkMetrics(f: MetricsFacts): Check {
  const { metricsFile, metrics, epochs, monitorPoints, interrupted } = f;
  const csvAsked = f.logger.value === 'csv';
  if (!metricsFile) return check('metrics', csvAsked ? 'fail' : 'skip', csvAsked ? 'asked for --logger csv but the bundle has no metrics.csv' : 'no metrics.csv in the bundle');
  if (metricsFile.fromEvents && csvAsked) return check('metrics', 'fail', 'asked for --logger csv but the bundle has no metrics.csv, only TensorBoard events files');
  if (metrics?.kind !== 'lightning') return check('metrics', 'fail', `${metricsFile.path}: ${metrics?.reason ?? 'not readable'}`);
  if (!epochs.length) return check('metrics', 'fail', `${metricsFile.path} has no per-epoch rows`);
  const monitor = f.monitor.value;
  // A loss (or the monitored metric) that never had a finite value: the run learnt nothing, whatever it logged.
  const dead = (metrics.series ? nonFiniteMetrics(metrics) : []).filter((m) => m.nonFinite === m.values && (/loss/i.test(m.metric) || m.metric === monitor?.name));
  if (dead.length) return check('metrics', 'fail', `${dead.map((m) => `${m.metric} is NaN or infinite in all ${m.values} value${m.values === 1 ? '' : 's'}`).join('; ')}`);
  if (!monitor) return check('metrics', 'pass', `${epochs.length} epochs; no monitored metric identified`);
  const gaps = monitorPoints.filter((p) => p.value === undefined).map((p) => p.epoch);
  // A run stopped from outside mid-epoch has a last epoch without validation: that is the interruption, not a logging gap.
  const cut = interrupted && gaps.length && gaps[gaps.length - 1] === epochs[epochs.length - 1].epoch ? gaps.pop() : undefined;
  if (cut !== undefined && !gaps.length) return check('metrics', 'pass', `${monitor.name} logged for every completed epoch; epoch ${cut} was interrupted (${interrupted})`);
  if (gaps.length) return check('metrics', 'fail', `${monitor.name} missing for epoch${gaps.length > 1 ? 's' : ''} ${gaps.join(', ')}`);
  return check('metrics', 'pass', epochs.length === 1 ? `${monitor.name} logged for the one epoch` : `${monitor.name} logged for all ${epochs.length} epochs`);
}
