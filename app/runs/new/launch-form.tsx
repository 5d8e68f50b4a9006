'use client';
/**
 * The launch form, generated from the profiles' parameter schemas: one field
 * per knob with its type, range and default; the server validates again with
 * the same rules as the CLI and its errors are shown beside the fields.
 */
import { useActionState, useMemo, useState } from 'react';
import Link from 'next/link';
import { errorOf, fieldError, initialState } from '@/lib/action-result';
import type { LaunchFormState, LaunchInput } from './actions';
import type { ParamSpec } from '@/lib/profiles/schema';
import { readNumber } from '@/lib/profiles/values';
import RowPicker, { type PickerPlan } from './row-picker';
import { WorkerList } from '@/components/worker-list';
import { parseLabels, unionLabels } from '@/lib/workers/labels';
import type { WorkerView } from '@/lib/workers/match';
import { whereItRuns } from '@/lib/workers/where';

export interface FormProfile {
  name: string;
  title: string;
  description: string;
  /** Available on the web server's host (where runs go when no worker has registered). */
  available: boolean;
  reason: string | null;
  params: ParamSpec[];
  timeoutSec: number;
  cpuOnlyEnv: Record<string, string>;
  /** Worker labels every run of this profile needs. */
  labels: string[];
}

function flag(p: ParamSpec) {
  return p.flag ?? `--${p.name}`;
}

function initialValue(p: ParamSpec, given: Record<string, string>): string {
  if (p.name in given) return given[p.name];
  return p.default === undefined ? '' : String(p.default);
}

/** The browser's own first pass (the server decides): type, range and required, as the schema says. */
function clientError(p: ParamSpec, raw: string): string | null {
  const v = raw.trim();
  if (v === '') return p.default === undefined && !p.optional ? 'is required' : null;
  // The server's own reading (lib/profiles/values.ts): letters are an error here, never a silent default.
  if (p.type === 'int' || p.type === 'number') return readNumber(p, v).error ?? null;
  if ((p.type === 'string' || p.type === 'path') && v.startsWith('-')) return 'must not start with -';
  return null;
}

function Knob({ p, value, onChange, error }: { p: ParamSpec; value: string; onChange: (v: string) => void; error: string | null }) {
  const id = `knob-${p.name}`;
  const errId = `${id}-err`;
  const label = p.label ?? p.name;
  const common = { id, name: `knob:${p.name}`, 'aria-invalid': error ? true : undefined, 'aria-describedby': error ? errId : undefined, 'data-testid': id } as const;
  if (p.type === 'bool') {
    return (
      <label className="knob bool" htmlFor={id} title={p.help}>
        <input type="checkbox" {...common} value="true" checked={value === 'true'} onChange={(e) => onChange(e.target.checked ? 'true' : 'false')} />
        <span className="name">
          {label}
          <span className="flag mono">{value === 'true' ? flag(p) : (p.falseFlag ?? `(no ${flag(p)})`)}</span>
          {error ? (
            <span className="err" id={errId} role="alert">
              {error}
            </span>
          ) : null}
        </span>
      </label>
    );
  }
  return (
    <label className="knob" htmlFor={id}>
      <span className="name">
        {label}{' '}
        <span className="flag mono">
          {flag(p)}
          {(p.type === 'int' || p.type === 'number') && (p.min !== undefined || p.max !== undefined) ? (
            <span className="range" data-testid={`${id}-range`} title="What the trainer accepts">
              {' · '}
              {p.min ?? '…'} – {p.max ?? '…'}
            </span>
          ) : null}
        </span>
      </span>
      {p.type === 'enum' ? (
        <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          {p.optional && p.default === undefined ? <option value="">(not passed)</option> : null}
          {p.values.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      ) : (
        <input
          {...common}
          // Text, not type=number: a browser's number field turns "12abc" into an empty value, which would
          // launch with the default without a word. The text goes to the validator as typed.
          type="text"
          inputMode={p.type === 'int' ? 'numeric' : p.type === 'number' ? 'decimal' : undefined}
          placeholder={p.default !== undefined ? `default ${String(p.default)}` : p.optional ? '(not passed)' : undefined}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
      )}
      {error ? (
        <span className="err" id={errId} role="alert">
          {error}
        </span>
      ) : p.help ? (
        <span className="help">{p.help}</span>
      ) : null}
    </label>
  );
}

export default function LaunchForm({
  profiles,
  initial,
  action,
  permission,
  planRows,
  workers,
  now,
}: {
  profiles: FormProfile[];
  /** When the page was rendered: a worker seen recently before it still vouches for its profiles. */
  now: number;
  /** The registered workers: which are online, busy and able to take the picked profile. */
  workers: WorkerView[];
  planRows: PickerPlan[];
  /** The form's starting values (a profile or rows named in the URL). */
  initial: LaunchInput;
  action: (prev: LaunchFormState, form: FormData) => Promise<LaunchFormState>;
  permission: { ok: true } | { ok: false; error: string; loginUrl: string | null };
}) {
  const [state, formAction, pending] = useActionState(action, initialState(initial));
  // What the server last saw submitted (every answer carries it back), else the starting values.
  const input = state.data ?? initial;
  // The labels typed here and the profile's: a worker must carry all of them to take the run.
  const [labelEdit, setLabelEdit] = useState<string | null>(null);
  const labelText = labelEdit ?? input.labels;
  const typedLabels = parseLabels(labelText);
  // Where each profile can run: this server, or a registered worker's host with the labels asked for (lib/workers/where.ts).
  const where = (p: FormProfile) => whereItRuns({ profile: p.name, labels: unionLabels(p.labels, typedLabels.labels), local: { available: p.available, reason: p.reason }, workers, now });
  const [profileName, setProfileName] = useState(input.profile ?? profiles.find((p) => where(p).ok)?.name ?? profiles[0]?.name ?? '');
  const profile = profiles.find((p) => p.name === profileName) ?? null;
  const runsOn = profile ? where(profile) : null;
  const [edits, setEdits] = useState<Record<string, Record<string, string>>>({});
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const given = profile && input.profile === profile.name ? input.values : profile && initial.profile === profile.name ? initial.values : {};
  const values = useMemo(() => {
    const out: Record<string, string> = {};
    for (const p of profile?.params ?? []) out[p.name] = edits[profileName]?.[p.name] ?? initialValue(p, given);
    return out;
  }, [profile, edits, profileName, given]);
  // A field edited since the last submit shows only the browser's check: the server's verdict was on the old value.
  const [seenState, setSeenState] = useState(state);
  // Each server reply remounts the row picker from what the server saw: React resets a form after its
  // action, which would leave the picker's checkboxes out of step with its state.
  const [round, setRound] = useState(0);
  if (seenState !== state) {
    setSeenState(state);
    setTouched({});
    setRound((r) => r + 1);
  }
  const errors: Record<string, string | null> = {};
  for (const p of profile?.params ?? []) {
    errors[p.name] = touched[`${profileName}:${p.name}`] ? clientError(p, values[p.name]) : input.profile === profileName ? fieldError(state, p.name) : null;
  }
  const blocking = Object.values(errors).some(Boolean);
  const needs = unionLabels(profile?.labels ?? [], typedLabels.labels);
  const labelError = labelEdit !== null ? (typedLabels.errors[0] ?? null) : fieldError(state, 'labels');

  return (
    <form action={formAction} className="launch-form" data-testid="launch-form" noValidate>
      {!permission.ok ? (
        <div className="notice error" role="alert" data-testid="launch-permission">
          {permission.error} {permission.loginUrl ? <Link href={permission.loginUrl}>Log in</Link> : null}
        </div>
      ) : null}
      {errorOf(state) ? (
        <div className="notice error" role="alert" data-testid="launch-error">
          {errorOf(state)}
        </div>
      ) : null}

      <fieldset>
        <legend>Profile</legend>
        <div className="profile-list" role="radiogroup" aria-label="Profile">
          {profiles.map((p) => {
            const w = p.name === profileName && runsOn ? runsOn : where(p);
            return (
              <label key={p.name} className={`profile-option${p.name === profileName ? ' selected' : ''}${w.ok ? '' : ' disabled'}`} data-testid={`profile-${p.name}`}>
                <input type="radio" name="profile" value={p.name} checked={p.name === profileName} disabled={!w.ok} onChange={() => setProfileName(p.name)} />
                <span>
                  <strong>{p.title}</strong> <span className="mono subtle">{p.name}</span>
                  {p.description ? <div className="desc">{p.description}</div> : null}
                  {!w.ok ? (
                    <div className="why" data-testid={`profile-${p.name}-why`}>
                      Unavailable: {workers.length ? w.sentence : p.reason}
                    </div>
                  ) : !w.local ? (
                    <div className="where small" data-testid={`profile-${p.name}-where`}>
                      {w.sentence[0].toUpperCase() + w.sentence.slice(1)}
                    </div>
                  ) : null}
                </span>
              </label>
            );
          })}
        </div>
      </fieldset>

      {profile ? (
        <fieldset>
          <legend>Knobs</legend>
          <input
            type="hidden"
            name="bools"
            value={profile.params
              .filter((p) => p.type === 'bool')
              .map((p) => p.name)
              .join(',')}
          />
          <div className="knob-grid">
            {profile.params.map((p) => (
              <Knob
                key={`${profile.name}:${p.name}`}
                p={p}
                value={values[p.name]}
                error={errors[p.name]}
                onChange={(v) => {
                  setEdits((e) => ({ ...e, [profileName]: { ...(e[profileName] ?? {}), [p.name]: v } }));
                  setTouched((t) => ({ ...t, [`${profileName}:${p.name}`]: true }));
                }}
              />
            ))}
          </div>
        </fieldset>
      ) : null}

      <fieldset>
        <legend>Run</legend>
        <div className="knob-grid">
          <label className="knob bool" htmlFor="cpuOnly">
            <input type="checkbox" id="cpuOnly" name="cpuOnly" defaultChecked={input.cpuOnly} data-testid="cpu-only" />
            <span className="name">
              CPU only
              <span className="flag mono">
                {profile
                  ? Object.entries(profile.cpuOnlyEnv)
                      .map(([k, v]) => `${k}=${v === '' ? '""' : v}`)
                      .join(' ')
                  : ''}
              </span>
            </span>
          </label>
          <label className="knob" htmlFor="labels">
            <span className="name">
              Worker labels <span className="flag mono">{profile?.labels.length ? `profile needs ${profile.labels.join(', ')}` : 'optional'}</span>
            </span>
            <input
              id="labels"
              name="labels"
              type="text"
              placeholder="gpu, a100"
              value={labelText}
              onChange={(e) => setLabelEdit(e.target.value)}
              aria-invalid={labelError ? true : undefined}
              spellCheck={false}
              autoComplete="off"
              data-testid="launch-labels"
            />
            {labelError ? (
              <span className="err" role="alert">
                {labelError}
              </span>
            ) : (
              <span className="help">Only a worker carrying every label takes the run (a worker carries its host name too).</span>
            )}
          </label>
        </div>
        {profile ? <WorkerList workers={workers} run={{ profile: profile.name, labels: needs }} testId="launch-workers" /> : null}
      </fieldset>

      <fieldset>
        <legend>Plan rows this run proves</legend>
        <RowPicker key={round} plans={planRows} selected={input.rows.split(',').filter(Boolean)} error={fieldError(state, 'rows')} />
        {fieldError(state, 'rows') ? (
          <p className="err small" role="alert">
            {fieldError(state, 'rows')}
          </p>
        ) : (
          <p className="help small muted">The evidence page links to these rows, and their row pages list this run.</p>
        )}
      </fieldset>

      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={pending || !runsOn?.ok || !permission.ok || blocking} data-testid="launch-submit">
          {pending ? 'Queuing…' : 'Launch smoke run'}
        </button>
        <Link href="/" className="btn btn-link">
          Cancel
        </Link>
        {profile ? <span className="muted small">Timeout {Math.round(profile.timeoutSec / 60)} min · runs on a worker&apos;s host as the worker&apos;s user</span> : null}
      </div>
    </form>
  );
}
