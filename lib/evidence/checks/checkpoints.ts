import type { Facts } from '../facts';
import type { UsedSetting } from '../facts/checkpoints';
import type { Check } from '../types';
import { fmtCount, nameList } from '../caps';
import { check } from './check';

export type CheckpointsFacts = Pick<Facts, 'checkpoints'> & Partial<Pick<Facts, 'timelineFrom'>>;

const show = (v: unknown) => (v === null ? 'none' : typeof v === 'object' && v && 'pattern' in v ? `'${(v as { pattern: string }).pattern}'` : String(v));

/** `save_top_k=2 (command.txt: --checkpoint-save-top-k)`, `mode max (inferred: which epochs were kept)`. */
function describe(name: string, u: UsedSetting<unknown>, explained = true): string {
  const v = show(u.value);
  if (u.how === 'stated') return `${name}=${v}`;
  if (u.how === 'default') return `${name}=${v} (Lightning's default; the bundle does not say)`;
  if (!explained) return `${name}=${v} (not stated: the closest replay's)`;
  return `${name}=${v} (inferred from ${u.source}${u.alternatives?.length ? `; ${u.alternatives.map(show).join(', ')} would do too` : ''})`;
}

/**
 * Are the checkpoint files exactly those ModelCheckpoint leaves: Lightning's
 * own bookkeeping when runproof.json has it, else the replay with the
 * configuration the bundle states, what it leaves open searched (see
 * facts/checkpoints.ts). Fails when the files contradict what is known: no
 * configuration within what the bundle states explains them.
 */
export function checkCheckpoints({ checkpoints: c, timelineFrom }: CheckpointsFacts): Check {
  if (!c.evidence) return check('checkpoints', 'skip', 'no checkpoint listing in the bundle');
  const bk = c.bookkeeping;
  if (bk && (bk.missing.length || bk.unexpected.length)) {
    const parts = [];
    if (bk.missing.length) parts.push(`kept by Lightning but not in the listing: ${nameList(bk.missing)}`);
    if (bk.unexpected.length) parts.push(`in the listing but not kept by Lightning: ${nameList(bk.unexpected)}`);
    return check('checkpoints', 'fail', `${bk.source} against the listing: ${parts.join('; ')}`);
  }
  if (!c.canReplay || !c.used) {
    if (bk) return check('checkpoints', 'pass', `${c.found.length} file${c.found.length === 1 ? '' : 's'} exactly as Lightning's own best_k_models and last_model_path (${bk.source})`);
    return check('checkpoints', 'skip', `${c.reason ?? 'nothing to replay ModelCheckpoint over'}`);
  }
  const u = c.used;
  const k = u.saveTopK.value;
  const config = `save_top_k=${k}${u.saveLast.value ? ' + last' : ''}`;
  const x = c.explained;
  const settings = [describe('monitor', u.monitor, x), ...(u.monitor.value !== null ? [describe('mode', u.mode, x)] : []), describe('save_top_k', u.saveTopK, x)];
  if (u.saveLast.how !== 'stated') settings.push(describe('save_last', u.saveLast, x));
  if (u.everyNEpochs.how !== 'default' || u.everyNEpochs.value !== 1) settings.push(describe('every_n_epochs', u.everyNEpochs, x));
  if (u.everyNTrainSteps.how !== 'default' || u.everyNTrainSteps.value !== 0) settings.push(describe('every_n_train_steps', u.everyNTrainSteps, x));
  if (u.stepsPerBatch.value !== 1) settings.push(describe('optimizer steps per batch', u.stepsPerBatch, x));
  const prior = c.prior.length ? `; ${fmtCount(c.prior.length)} from an earlier run in the folder` : '';
  const bkNote = bk ? `; Lightning's own best_k_models agree (${bk.source})` : '';
  if (c.explained) {
    const n = c.found.length;
    const inferred = [u.monitor, u.mode, u.saveTopK].filter((x) => x.how === 'inferred' && !x.alternatives?.length).length > 0;
    const rare = [u.everyNEpochs, u.everyNTrainSteps].some((x) => x.how === 'inferred');
    const sc = c.stepConvention;
    const detail = `${n} file${n === 1 ? '' : 's'} exactly as the replay of ${config} expects${prior} (${settings.join(', ')})${bkNote}${sc ? `; the steps in the names read as Lightning before 1.6 writes them: ${sc.why}` : ''}`;
    if (sc?.uncertain) return check('checkpoints', 'warn', `${detail}; runproof.json or the Lightning version would settle it`);
    if (rare) return check('checkpoints', 'warn', `${detail}: explained only with a setting the bundle does not state; the checkpoint flags or runproof.json would settle it`);
    return check('checkpoints', 'pass', inferred ? `${detail}; the command or runproof.json would state what was inferred` : detail);
  }
  const { missing, unexpected, expected, found } = c;
  const parts = [];
  if (c.logMismatch && !missing.length && !unexpected.length) parts.push(c.logMismatch);
  if (missing.length) parts.push(`missing${missing.length > 20 ? ` ${fmtCount(missing.length)}` : ''}: ${nameList(missing)}`);
  if (unexpected.length) parts.push(`unexpected${unexpected.length > 20 ? ` ${fmtCount(unexpected.length)}` : ''}: ${nameList(unexpected)}`);
  const open = [u.monitor, u.mode, u.saveTopK].some((x) => x.how === 'inferred');
  const defaults = [u.everyNEpochs.how === 'default' ? 'every_n_epochs=1' : null, u.everyNTrainSteps.how === 'default' ? 'every_n_train_steps=0' : null].filter(Boolean);
  const detail = `replay of ${config} expects ${fmtCount(expected.length)} file${expected.length === 1 ? '' : 's'}, found ${fmtCount(found.length)}; ${parts.join('; ')} (${settings.join(', ')}${open ? `; no value the bundle leaves open explains the files, ${fmtCount(c.tried)} configurations tried` : ''}${defaults.length ? `; Lightning's defaults taken for what the bundle does not state: ${defaults.join(', ')}` : ''})`;
  if (c.searchCut && open)
    return check('checkpoints', 'warn', `${detail}; the search stopped at its bound before trying every value the bundle leaves open: the checkpoint flags or runproof.json would settle it`);
  // The log's printed values are rounded: a tie or an order they hide may be what differs.
  if (timelineFrom === 'log' && c.roundedUndecided)
    return check(
      'checkpoints',
      'warn',
      `${detail}; the replay ran over the values the log printed, which cannot decide it (rounded too close, one per epoch for several validations, or printed by saves between validations): a metrics.csv or runproof.json would settle it`,
    );
  return check('checkpoints', 'fail', detail);
}
