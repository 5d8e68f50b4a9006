/**
 * Which Lightning wrote a log: known exactly (runproof.json's `versions`, or
 * a `lightning==X.Y.Z` / `pytorch_lightning X.Y.Z` version print), else a range
 * of versions the log's own formats allow, else unknown. The checks that
 * judge a line only some versions print (the fit's end line, the model
 * summary's totals, a ModelCheckpoint line's step) ask this first: a line a
 * version does not print is never missing.
 *
 * Each format below is dated from Lightning's source (Lightning-AI/pytorch-lightning):
 *
 * - `` `Trainer.fit` stopped: `max_epochs=N` reached. `` — FitLoop.done, PR #9749,
 *   first released in 1.6 (pytorch_lightning/loops/fit_loop.py of 1.5, which
 *   deprecates `max_steps=None` "in v1.5", returns from `done` without a word).
 * - `Global seed set to N` (pytorch_lightning/utilities/seed.py, 1.x; lightning_fabric 2.0)
 *   became `Seed set to N` in 2.1 (lightning_fabric/utilities/seed.py).
 * - ModelCheckpoint(verbose=True): `Epoch 00003: val_loss reached …` (0.x,
 *   `{epoch:05d}`), `Epoch 3: val_loss reached … saving model to PATH` (1.0),
 *   `Epoch 3, step 120: val_loss was not in top 1` (1.1–1.2), `Epoch 3, global
 *   step 120: val_loss reached … saving model to "PATH"` (1.1–1.6, the monitor
 *   bare and the path in double quotes), `Epoch 3, global step 120: 'val_loss'
 *   reached … saving model to 'PATH'` (`{monitor!r}`/`{filepath!r}`: 1.7 on;
 *   taken here as ≥1.6, a bound that holds either way).
 * - `GPU available: True (cuda), used: True` (the accelerator named: 1.7 on,
 *   with MPS); `GPU available: True, used: True` before, and in every version
 *   when no GPU is available (the name is printed only for an available one).
 * - A Lightning file's warning without its category (`…/lightning/pytorch/x.py:12: message`):
 *   Lightning's own formatter, 2.x (lightning_fabric/utilities/warnings.py).
 * - The `lightning.pytorch` package path (`…/lightning/pytorch/…`): the
 *   unified package, 1.8 on. `pytorch_lightning/…` says nothing of the
 *   version: that package is still published for 2.x.
 * - The model summary's `Mode` column and `Modules in train mode` lines: 2.x.
 */

/** `[major, minor]`. */
export type Ver = readonly [number, number];

export interface LightningVersion {
  /** `known`: one version; `range`: the versions the log's formats allow; `unknown`: nothing dates it. */
  state: 'known' | 'range' | 'unknown';
  /** The version as stated (`2.6.6`), when known. */
  version: string | null;
  /** Lowest and highest version the evidence allows (inclusive); null: open. */
  min: Ver | null;
  max: Ver | null;
  /** The package the log names (`lightning` or `pytorch_lightning`), when it names one. */
  package: 'lightning' | 'pytorch_lightning' | null;
  /** What dated it, each with its file and line (`train.log:3: \`Seed set to 7\` (2.1 on)`). */
  evidence: string[];
  /** Formats that disagree (a hand-merged or edited log): the range is then dropped. */
  conflict: string | null;
}

/** The first version that prints `` `Trainer.fit` stopped: `max_epochs=N` reached. `` */
export const FIT_END_LINE_SINCE: Ver = [1, 6];

export const fmtVer = (v: Ver): string => `${v[0]}.${v[1]}`;

const cmp = (a: Ver, b: Ver): number => a[0] - b[0] || a[1] - b[1];

/** `2.6.6`, `1.9.0rc1`, `2.1.0.dev0` → [2, 6]. */
export function parseVer(text: string): Ver | null {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * Does every version the evidence allows reach `since`? `yes`: all do; `no`:
 * none does; `unknown`: some may and some may not (or nothing dates the log).
 */
export function atLeast(v: LightningVersion, since: Ver): 'yes' | 'no' | 'unknown' {
  if (v.min && cmp(v.min, since) >= 0) return 'yes';
  if (v.max && cmp(v.max, since) < 0) return 'no';
  return 'unknown';
}

/** Does this version print `` `Trainer.fit` stopped: `max_epochs=N` reached. `` when the fit reaches a limit? */
export const printsFitEndLine = (v: LightningVersion): 'yes' | 'no' | 'unknown' => atLeast(v, FIT_END_LINE_SINCE);

/** How the version is stated, for a check's detail: `Lightning 2.6.6 (runproof.json)`, `Lightning ≥2.1 (train.log:1: …)`, `Lightning of unknown version`. */
export function describeVersion(v: LightningVersion): string {
  if (v.state === 'known') return `Lightning ${v.version}${v.evidence[0] ? ` (${v.evidence[0]})` : ''}`;
  if (v.state === 'range') {
    const r = v.min && v.max ? (cmp(v.min, v.max) === 0 ? fmtVer(v.min) : `${fmtVer(v.min)}–${fmtVer(v.max)}`) : v.min ? `≥${fmtVer(v.min)}` : `≤${fmtVer(v.max!)}`;
    return `Lightning ${r} (${v.evidence.slice(0, 2).join('; ')})`;
  }
  return `Lightning of unknown version${v.conflict ? ` (${v.conflict})` : ''}`;
}

interface Marker {
  re: RegExp;
  min?: Ver;
  max?: Ver;
  pkg?: 'lightning' | 'pytorch_lightning';
  /** An upper bound other lines may overrule (a script's own print, a plugin's line): dropped where it contradicts them. */
  weak?: boolean;
  what: string;
}

// Matched on a line with its logging prefix (`INFO:lightning.pytorch…:`, `[rank: 0] `) still on: each
// pattern finds its text anywhere in the line.
const MARKERS: Marker[] = [
  { re: /`Trainer\.fit` stopped: /, min: [1, 6], what: '`Trainer.fit` stopped line (1.6 on)' },
  // Bare `Seed set to N` is also what many scripts print themselves: only Lightning's own forms date the log.
  { re: /(?:\[rank: \d+\] |lightning[._]fabric\.utilities\.seed:\s*)Seed set to \d+/, min: [2, 1], what: '`[rank: N] Seed set to N` (2.1 on; `Global seed set to N` before)' },
  { re: /💡 Tip: For seamless cloud .*\blit(?:logger|models)\b/, min: [2, 0], what: 'the `💡 Tip: … litlogger/litmodels` line (2.x)' },
  // Weak: scripts print this themselves too. It bounds the version only where no Lightning-only line says otherwise.
  { re: /Global seed set to \d+/, max: [2, 0], weak: true, what: '`Global seed set to N` (up to 2.0)' },
  { re: /^(?:\S*\s)?Epoch 0\d{4}: \S+ (?:reached|was not in top)/, max: [0, 10], what: 'ModelCheckpoint `Epoch 00003:` line (0.x)' },
  { re: /^(?:\S*\s)?Epoch \d+: \S+ (?:reached \S+ \(best \S+\), saving model to|was not in top)/, max: [1, 0], what: 'ModelCheckpoint `Epoch N: m reached` line with no step (1.0)' },
  { re: /Epoch \d+, step \d+: \S+ was not in top/, min: [1, 1], max: [1, 2], what: 'ModelCheckpoint `Epoch N, step S:` line (1.1–1.2)' },
  {
    re: /Epoch \d+, global step \d+: [^'"\s]\S* (?:reached \S+ \(best \S+\), saving model to "|was not in top)/,
    min: [1, 1],
    max: [1, 6],
    what: 'ModelCheckpoint line with a bare monitor name (1.1–1.6)',
  },
  { re: /Epoch \d+, global step \d+: '(?:[^'\\]|\\.)*' (?:reached|was not in top)/, min: [1, 6], what: "ModelCheckpoint line with a quoted monitor (`'val_loss'`: 1.7 on)" },
  { re: /GPU available: True \((?:cuda|mps)\), used: /, min: [1, 7], what: '`GPU available: True (cuda)` (1.7 on)' },
  // torch.set_float32_matmul_precision came with torch 1.12 (2022); Lightning's hint about it after (lightning_fabric/accelerators/cuda.py).
  { re: /You are using a CUDA device \('[^']+'\) that has Tensor Cores/, min: [1, 9], what: 'the `Tensor Cores` matmul-precision hint (1.9 on)' },
  { re: /IPU available: \w+, using: \d+ IPUs/, min: [1, 4], what: '`IPU available` line (1.4 on)' },
  { re: /[\\/]lightning[\\/](?:pytorch|fabric)[\\/]/, min: [1, 8], pkg: 'lightning', what: 'the `lightning/pytorch` package path (1.8 on)' },
  { re: /[\\/](?:pytorch_lightning|lightning_fabric)[\\/]/, pkg: 'pytorch_lightning', what: 'the `pytorch_lightning` package path' },
  { re: /^\s*\|\s*Name\s*\|\s*Type\s*\|\s*Params\s*\|\s*Mode\b/, min: [2, 0], what: 'model summary with a `Mode` column (2.x)' },
  { re: /\d\s+Modules in (?:train|eval) mode\s*$/, min: [2, 0], what: 'model summary `Modules in train mode` (2.x)' },
];

/** Every marker's line has one of these (a cheap test first: most lines of a log are none of them). */
const HINT = /Trainer\.fit|eed set to|Epoch \d|available: |ightning|lightning_fabric|Name|Modules in|Tip:|Tensor Cores/;

// A Lightning file's warning in Lightning's own short form (no category): 2.x.
const SHORT_WARNING = /[\\/](?:lightning[\\/](?:pytorch|fabric)|pytorch_lightning|lightning_fabric)[\\/][\w\\/]+\.py:\d+: (?![A-Za-z_][\w.]*Warning:)\S/;
// A version the log prints itself, in the forms that name the running package: `pip freeze`
// (`lightning==2.6.6`), `pip list` (`pytorch-lightning   1.9.5`), `print(lightning.__version__)` echoes
// (`pytorch_lightning.__version__ = 1.9.5`). Not `Lightning v2.0.0` in prose (a checkpoint's version).
const VERSION_PRINT =
  /(?:^|\s)(pytorch[-_]lightning|lightning)(?:==|\.__version__\W{0,4})v?(\d+\.\d+(?:\.\d+)?(?:rc\d+|\.dev\d+|\.post\d+)?)\b|^(pytorch[-_]lightning|lightning)\s{2,}(\d+\.\d+(?:\.\d+)?)\s*$/i;

/**
 * Date the log. `runproofVersion`: `versions.lightning` of runproof.json (the
 * callback reads it from the running package), which wins over everything
 * the log suggests.
 */
export function detectLightningVersion(input: { text: string | null; logName: string; runproof?: { version: string | null; file: string } | null }): LightningVersion {
  const out: LightningVersion = { state: 'unknown', version: null, min: null, max: null, package: null, evidence: [], conflict: null };
  const rp = input.runproof;
  if (rp?.version && parseVer(rp.version)) {
    const v = parseVer(rp.version)!;
    return { state: 'known', version: rp.version, min: v, max: v, package: null, evidence: [`${rp.file}: versions.lightning ${rp.version}`], conflict: null };
  }
  const text = input.text;
  if (!text) return out;
  const seen = new Set<Marker>();
  let min: { v: Ver; why: string } | null = null;
  let max: { v: Ver; why: string } | null = null;
  let exact: { text: string; v: Ver; why: string } | null = null;
  let shortWarning = false;
  let weakMax: { v: Ver; why: string } | null = null;
  let prevIpu: string | null = null;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    // A progress bar's redraws share a line: the text after the last `\r` is what a reader sees.
    const raw = text.slice(start, Math.min(end, start + 4000));
    start = end + 1;
    if (raw.length < 8) continue;
    const line =
      raw.indexOf('\r') >= 0
        ? (raw
            .split('\r')
            .filter((s) => s.trim())
            .pop() ?? '')
        : raw;
    const at = `${input.logName}:${lineNo}`;
    let m: RegExpExecArray | null;
    if (!exact && /ightning/.test(line) && (m = VERSION_PRINT.exec(line))) {
      const t = m[2] ?? m[4];
      if (parseVer(t)) exact = { text: t, v: parseVer(t)!, why: `${at}: ${m[0].trim().slice(0, 80)}` };
    }
    if (!shortWarning && line.indexOf('ightning') >= 0 && SHORT_WARNING.test(line)) {
      shortWarning = true;
      const v: Ver = [2, 0];
      if (!min || cmp(v, min.v) > 0) min = { v, why: `${at}: a Lightning warning without its category (Lightning's own formatter, 2.x)` };
    }
    // 1.6 on print `HPU available: …` right after `IPU available: …` (1.4 on); an IPU line followed by anything
    // else is 1.4–1.5's (P:trainer/trainer.py `_log_device_info`).
    // (Weak: 2.x with the lightning-graphcore plugin alone prints its IPU line without an HPU one.)
    if (prevIpu && !/HPU available: /.test(line)) {
      const v: Ver = [1, 5];
      if (!weakMax || cmp(v, weakMax.v) < 0) weakMax = { v, why: `${prevIpu}: \`IPU available\` with no \`HPU available\` line after it (1.4–1.5)` };
    }
    prevIpu = /IPU available: \w+, using: \d+ IPUs/.test(line) ? at : null;
    if (!HINT.test(line)) continue;
    for (const k of MARKERS) {
      if (seen.has(k) || !k.re.test(line)) continue;
      seen.add(k);
      const why = `${at}: ${k.what}`;
      if (k.pkg && (!out.package || k.pkg === 'lightning')) out.package = k.pkg;
      if (k.min && (!min || cmp(k.min, min.v) > 0)) min = { v: k.min, why };
      if (k.max && k.weak) {
        if (!weakMax || cmp(k.max, weakMax.v) < 0) weakMax = { v: k.max, why };
      } else if (k.max && (!max || cmp(k.max, max.v) < 0)) max = { v: k.max, why };
      if (!k.min && !k.max) out.evidence.push(why);
    }
  }
  if (exact) {
    return { state: 'known', version: exact.text, min: exact.v, max: exact.v, package: out.package, evidence: [exact.why], conflict: null };
  }
  if (weakMax && (!min || cmp(min.v, weakMax.v) <= 0) && (!max || cmp(weakMax.v, max.v) < 0)) max = weakMax;
  if (min && max && cmp(min.v, max.v) > 0) {
    out.conflict = `${min.why} and ${max.why} disagree`;
    return out;
  }
  if (!min && !max) return out;
  out.state = 'range';
  out.min = min?.v ?? null;
  out.max = max?.v ?? null;
  out.evidence = [...(min ? [min.why] : []), ...(max && max.why !== min?.why ? [max.why] : []), ...out.evidence];
  return out;
}
