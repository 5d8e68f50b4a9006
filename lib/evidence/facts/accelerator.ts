/**
 * The device a command asks for, as each Lightning version spells it.
 *
 * - 2.x (and 1.5 on): `accelerator=cpu|gpu|cuda|tpu|mps|hpu|ipu|auto` with `devices=N`.
 * - 1.0–1.4: `gpus=N` (or a list, `-1` for all) picks GPUs, `tpu_cores=N` TPUs, `ipus=N` IPUs (1.4);
 *   `accelerator` was then the *distributed backend* (`accelerator='ddp'`, `'dp'`, `'ddp_cpu'`,
 *   pytorch_lightning/trainer/connectors/accelerator_connector.py of 1.0–1.4; renamed `strategy` in 1.5),
 *   so `--accelerator ddp` names no device. `gpus`/`tpu_cores`/`ipus` were removed in 2.0.
 */
import type { Knobs } from '../../lightning/command';
import { known, unknown, type Fact } from './fact';
import { findKnob } from './config';

/** 1.0–1.4's `accelerator` values (the distributed backend; `strategy` from 1.5). */
const BACKENDS = /^(?:dp|ddp|ddp2|ddp_cpu|ddp_spawn|ddp_sharded|ddp_sharded_spawn|ddp_fully_sharded|horovod|deepspeed|tpu_spawn|fsdp)$/;

const count = (v: string | boolean): number | null => {
  if (typeof v !== 'string') return null;
  const t = v.trim().replace(/^\[|\]$/g, '');
  if (t === '' || /^none$/i.test(t)) return 0;
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^\d+(?:\s*,\s*\d+)+,?$|^\d+,$/.test(t)) return t.split(',').filter((x) => x.trim()).length; // a list of device ids
  return null;
};

export function requestedAccelerator(knobs: Knobs, source: (key: string) => string): Fact<string> {
  const acc = findKnob(knobs, 'accelerator', 'device');
  const v = typeof acc?.value === 'string' ? acc.value.trim().toLowerCase() : null;
  if (acc && v !== null && !BACKENDS.test(v)) return known(acc.value as string, source(acc.key));
  if (acc && v === 'ddp_cpu') return known('cpu', `${source(acc.key)} (ddp_cpu: Lightning 1.0–1.4's distributed backend on CPU processes)`);
  // 1.x device counts.
  const per: Array<[string, string]> = [
    ['gpus', 'gpu'],
    ['tpu-cores', 'tpu'],
    ['ipus', 'ipu'],
  ];
  for (const [name, device] of per) {
    const k = findKnob(knobs, name);
    if (!k) continue;
    const n = count(k.value);
    if (n === null) continue;
    if (n !== 0)
      return known(
        device,
        `${source(k.key)} (Lightning 1.x: ${name.replace('-', '_')}=${String(k.value)} selects ${device === 'gpu' ? 'GPUs' : device.toUpperCase() + (device === 'tpu' ? ' cores' : 's')})`,
      );
    if (name === 'gpus' && !findKnob(knobs, 'tpu-cores') && !findKnob(knobs, 'ipus')) return known('cpu', `${source(k.key)} (Lightning 1.x: gpus=${String(k.value)} trains on CPU)`);
  }
  if (acc && v !== null)
    return unknown(`${source(acc.key)}: accelerator=${v} is Lightning 1.0–1.4's distributed backend (strategy from 1.5), not a device, and no gpus/tpu_cores/ipus knob says which device`);
  return unknown('no accelerator knob in the command');
}
