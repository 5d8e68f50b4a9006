/**
 * The GPUs a worker's host has, from
 * `nvidia-smi --query-gpu=index,name,memory.total,uuid --format=csv,noheader,nounits`:
 * one line per GPU, fields separated by `, ` (`0, NVIDIA A100-SXM4-40GB, 40960, GPU-b2f8…`).
 * Pure: the worker runs the command (server/worker-host.ts) and passes its text here.
 */

export interface GpuInfo {
  index: number;
  name: string;
  /** memory.total in MiB (nounits); null when nvidia-smi says `[N/A]` (unified-memory parts). */
  memoryMiB: number | null;
  uuid: string;
}

/**
 * Lines that are not a GPU row (a warning nvidia-smi prints first, `No devices
 * were found`) are problems with their line number; the other lines still
 * count. A GPU name may hold a comma, so the name is everything between the
 * first field and the last two.
 */
export function parseNvidiaSmiCsv(text: string): { gpus: GpuInfo[]; problems: Array<{ line: number; message: string }> } {
  const gpus: GpuInfo[] = [];
  const problems: Array<{ line: number; message: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const f = line.split(',').map((s) => s.trim());
    const index = Number(f[0]);
    if (f.length < 4 || !/^\d+$/.test(f[0])) {
      problems.push({ line: i + 1, message: `not a GPU row: ${line.length > 120 ? `${line.slice(0, 119)}…` : line}` });
      return;
    }
    const uuid = f[f.length - 1];
    const mem = f[f.length - 2];
    const name = f.slice(1, f.length - 2).join(', ');
    const memoryMiB = /^\d+$/.test(mem) ? Number(mem) : null;
    if (memoryMiB === null && !/^\[.*\]$/.test(mem)) {
      problems.push({ line: i + 1, message: `memory.total ${JSON.stringify(mem)} is not a number of MiB` });
      return;
    }
    gpus.push({ index, name, memoryMiB, uuid });
  });
  return { gpus, problems };
}

/** `4 × NVIDIA A100-SXM4-40GB (40 GiB)`, or `NVIDIA H200, Tesla T4` for a mix; `none` without GPUs. */
export function gpuSummary(gpus: readonly GpuInfo[]): string {
  if (!gpus.length) return 'none';
  const groups = new Map<string, number>();
  for (const g of gpus) {
    const key = `${g.name}${g.memoryMiB !== null ? ` (${Math.round(g.memoryMiB / 1024)} GiB)` : ''}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([k, n]) => (n > 1 ? `${n} × ${k}` : k)).join(', ');
}
