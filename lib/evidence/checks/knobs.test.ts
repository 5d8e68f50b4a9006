import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../lightning/command';
import { effectiveKnobTable } from '../facts/knobs';
import { checkKnobs } from './knobs';

describe('checkKnobs', () => {
  const run = { 'max-epochs': '6', gridsize: '2' };

  it('passes when the request agrees (numbers compared as numbers)', () => {
    const requested = parseCommandLine('python train.py --max-epochs 6.0 --gridsize 2');
    expect(checkKnobs({ knobTable: effectiveKnobTable(run, {}, requested!.knobs), requested })).toEqual({ id: 'knobs', status: 'pass', detail: '2 knobs agree with the request' });
  });

  it("fails naming a knob that differs from the request or from the trainer's echo", () => {
    const requested = parseCommandLine('python train.py --gridsize 3');
    expect(checkKnobs({ knobTable: effectiveKnobTable(run, {}, requested!.knobs), requested })).toMatchObject({ status: 'fail', detail: 'gridsize: requested 3, ran 2' });
    expect(checkKnobs({ knobTable: effectiveKnobTable(run, { max_epochs: '5' }, null), requested: null })).toMatchObject({ status: 'fail', detail: 'max-epochs: argv 6, trainer echoed max_epochs=5' });
    expect(checkKnobs({ knobTable: effectiveKnobTable(run, { max_epochs: '6' }, null), requested: null }).detail).toBe("1 knob agree with the trainer's echo");
  });

  it('skips with nothing to compare', () => {
    expect(checkKnobs({ knobTable: effectiveKnobTable(run, {}, null), requested: null })).toMatchObject({ status: 'skip', detail: 'no requested command and no config echo to compare with' });
  });
});
