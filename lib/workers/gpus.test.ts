/**
 * nvidia-smi's CSV (`--query-gpu=index,name,memory.total,uuid
 * --format=csv,noheader,nounits`) read into GPUs: a real 4 × A100 host's
 * inventory (fixtures/nvidia-smi), what nvidia-smi prints where it has no
 * GPU or a warning first, names holding a comma, `[N/A]` memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuSummary, parseNvidiaSmiCsv } from './gpus';

const A100X4 = fs.readFileSync(path.resolve(__dirname, '../../fixtures/nvidia-smi/a100x4.csv'), 'utf8');

describe('parseNvidiaSmiCsv', () => {
  it('reads the four A100s of a real host: index, name, MiB, uuid', () => {
    const { gpus, problems } = parseNvidiaSmiCsv(A100X4);
    expect(problems).toEqual([]);
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    expect(gpus[0]).toEqual({ index: 0, name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960, uuid: 'GPU-b2f89296-447e-dc7a-96b6-82ac699a02d7' });
    expect(gpus[3].uuid).toBe('GPU-17211a38-e5ad-e9bc-eeda-aa3caa659d27');
    expect(gpuSummary(gpus)).toBe('4 × NVIDIA A100-SXM4-40GB (40 GiB)');
  });

  it('reports a line that is not a GPU row with its line number and keeps the rest (CRLF too)', () => {
    const { gpus, problems } = parseNvidiaSmiCsv(`WARNING: infoROM is corrupted at gpu 0000:41:00.0\r\n${A100X4.split('\n')[1]}\r\n`);
    expect(gpus.map((g) => g.index)).toEqual([1]);
    expect(problems).toEqual([{ line: 1, message: 'not a GPU row: WARNING: infoROM is corrupted at gpu 0000:41:00.0' }]);
  });

  it('a host without GPUs: "No devices were found" is no GPU, said as a problem', () => {
    const { gpus, problems } = parseNvidiaSmiCsv('No devices were found\n');
    expect(gpus).toEqual([]);
    expect(problems[0]).toMatchObject({ line: 1 });
    expect(gpuSummary(gpus)).toBe('none');
  });

  it('keeps a comma inside a name, and [N/A] memory as unknown; a non-number memory is a problem', () => {
    const { gpus, problems } = parseNvidiaSmiCsv('0, NVIDIA GB10, rev A, [N/A], GPU-aa\n1, Tesla T4, lots, GPU-bb\n');
    expect(gpus).toEqual([{ index: 0, name: 'NVIDIA GB10, rev A', memoryMiB: null, uuid: 'GPU-aa' }]);
    expect(problems).toEqual([{ line: 2, message: 'memory.total "lots" is not a number of MiB' }]);
  });
});
