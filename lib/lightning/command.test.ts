import { describe, expect, it } from 'vitest';
import { findCommandInMarkdown, formatCommandLine, getKnob, knobsFromArgv, parseCommandLine, redactEnv, shellSplit } from './command';
import { BRIEF_COMMAND } from '../../fixtures/test-helpers';

describe('commands', () => {
  it('splits like a POSIX shell and stops at a pipe', () => {
    expect(shellSplit(`a 'b c' "d \\"e\\"" f\\ g | tee x`)).toEqual(['a', 'b c', 'd "e"', 'f g']);
    expect(shellSplit('python x.py \\\n  --a 1 \\\n  --b 2')).toEqual(['python', 'x.py', '--a', '1', '--b', '2']);
  });

  it('separates environment, wrappers and argv; knobs from flags', () => {
    const c = parseCommandLine(BRIEF_COMMAND)!;
    expect(c.env).toEqual({ CUDA_VISIBLE_DEVICES: '' });
    expect(c.wrappers).toEqual(['/usr/bin/time', '-p']);
    expect(c.argv[0]).toBe('python');
    expect(c.knobs).toMatchObject({ gridsize: '3', 'num-workers': '0', deterministic: true, 'early-stop-patience': '5' });
    expect(c.argv).not.toContain('tee');
  });

  it('reads --flag=value, negative numbers and bare flags', () => {
    expect(knobsFromArgv(['--lr=1e-3', '--delta', '-0.5', '--fast', '--name', 'x'])).toEqual({ lr: '1e-3', delta: '-0.5', fast: true, name: 'x' });
  });

  it('looks knobs up by any spelling', () => {
    expect(getKnob({ 'checkpoint-save-top-k': '2' }, 'checkpoint_save_top_k')).toBe('2');
  });

  it('finds the command in a markdown bash block and ignores other blocks', () => {
    const md = '# x\n```\nGPU available: False, used: False\n```\n```bash\nmkdir -p out\nCUDA_VISIBLE_DEVICES="" python -m t \\\n  --max_epochs 6 \\\n  --gridsize 2\n```\n';
    const c = findCommandInMarkdown(md)!;
    expect(c.argv).toEqual(['python', '-m', 't', '--max_epochs', '6', '--gridsize', '2']);
    expect(findCommandInMarkdown('no code here')).toBeNull();
  });
});

describe('redactEnv', () => {
  it('hides values of variables named like secrets, keeps the rest (CUDA_VISIBLE_DEVICES="" stays visible)', () => {
    expect(redactEnv({ CUDA_VISIBLE_DEVICES: '', HF_TOKEN: 'hf_abc', WANDB_API_KEY: 'k', MY_PASSWORD: 'p', SEED: '1' })).toEqual({
      CUDA_VISIBLE_DEVICES: '',
      HF_TOKEN: '***',
      WANDB_API_KEY: '***',
      MY_PASSWORD: '***',
      SEED: '1',
    });
    expect(formatCommandLine(['python', 'a b.py'], { CUDA_VISIBLE_DEVICES: '' })).toBe(`CUDA_VISIBLE_DEVICES="" python 'a b.py'`);
  });
});
