import type { Facts } from '../facts';
import type { Check } from '../types';
import { fmtCount, nameList } from '../caps';
import { check } from './check';

export type CheckpointsFacts = Pick<Facts, 'checkpoints'>;

/** Are the checkpoint files exactly those the ModelCheckpoint replay keeps. */
export function checkCheckpoints({ checkpoints: c }: CheckpointsFacts): Check {
  if (!c.evidence) return check('checkpoints', 'skip', 'no checkpoint listing in the bundle');
  if (!c.canReplay) return check('checkpoints', 'skip', 'no per-epoch metrics to replay ModelCheckpoint');
  const config = `save_top_k=${c.saveTopK.value}${c.saveLast.value ? ' + last' : ''}`;
  const { missing, unexpected, expected, found } = c;
  if (missing.length || unexpected.length) {
    const parts = [];
    if (missing.length) parts.push(`missing${missing.length > 20 ? ` ${fmtCount(missing.length)}` : ''}: ${nameList(missing)}`);
    if (unexpected.length) parts.push(`unexpected${unexpected.length > 20 ? ` ${fmtCount(unexpected.length)}` : ''}: ${nameList(unexpected)}`);
    return check('checkpoints', 'fail', `replay of ${config} expects ${fmtCount(expected.length)} file${expected.length === 1 ? '' : 's'}, found ${fmtCount(found.length)}; ${parts.join('; ')}`);
  }
  return check('checkpoints', 'pass', `${found.length} file${found.length === 1 ? '' : 's'} exactly as the replay of ${config} expects`);
}
