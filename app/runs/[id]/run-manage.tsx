'use client';
/**
 * What people add to a run and do with it: a name and notes (shown under the
 * header), archive or restore, delete. The actions are server actions that
 * check the Origin and the launch permission themselves; these forms are
 * only shown to someone who has it.
 */
import { useActionState, useEffect, useRef, useState, useTransition } from 'react';
import { errorOf, initialState, resultText, type ActionResult } from '@/lib/action-result';
import type { RunMetaState } from './run-actions';

type SaveMeta = (prev: RunMetaState, form: FormData) => Promise<RunMetaState>;

export function RunNotes({ runId, name, title, notes, canEdit, save }: { runId: string; name: string | null; title: string; notes: string | null; canEdit: boolean; save: SaveMeta }) {
  const [editing, setEditing] = useState(false);
  const [state, action, pending] = useActionState(save, initialState({ name: name ?? '', notes: notes ?? '' }));
  const saved = state.ok ? (state.message ?? null) : null;
  const error = errorOf(state);
  const input = state.data ?? { name: name ?? '', notes: notes ?? '' };
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (state.ok) setEditing(false);
  }, [state]);
  useEffect(() => {
    if (editing) first.current?.focus();
  }, [editing]);
  if (!canEdit && !notes) return null;
  // No notes yet: one quiet line, not an empty card.
  if (!notes && !editing)
    return (
      <p className="notes-add" data-testid="run-notes-card">
        <button type="button" className="btn btn-link" onClick={() => setEditing(true)} data-testid="edit-notes">
          {name ? 'Edit the name, add notes' : 'Name this run or add notes'}
        </button>
        {saved ? (
          <span className="small muted" role="status">
            {' '}
            {saved}
          </span>
        ) : null}
      </p>
    );
  return (
    <section className="section run-notes-card" aria-labelledby="notes-h" data-testid="run-notes-card">
      <header>
        <h2 id="notes-h">Notes</h2>
        {canEdit && !editing ? (
          <button type="button" className="btn btn-link" onClick={() => setEditing(true)} data-testid="edit-notes">
            {notes || name ? 'Edit name and notes' : 'Add a name or notes'}
          </button>
        ) : null}
      </header>
      <div className="section-body">
        {editing ? (
          <form
            action={action}
            className="notes-form"
            onKeyDown={(e) => {
              if (e.key === 'Escape') setEditing(false);
            }}
          >
            <input type="hidden" name="runId" value={runId} />
            <label className="field">
              Name
              <input ref={first} type="text" name="name" defaultValue={input.name} placeholder={title} maxLength={200} data-testid="run-name-input" />
              <span className="small subtle">Shown in the runs list and in compare legends. Empty: the title.</span>
            </label>
            <label className="field">
              Notes
              <textarea name="notes" defaultValue={input.notes} rows={4} maxLength={8000} placeholder="What this run is for, what to compare it with, what was odd." data-testid="run-notes-input" />
            </label>
            <div className="notes-actions">
              <button type="submit" className="btn btn-primary" disabled={pending} data-testid="save-notes">
                {pending ? 'Saving…' : 'Save'}
              </button>
              <button type="button" className="btn" onClick={() => setEditing(false)}>
                Cancel
              </button>
              {error ? (
                <span className="bad-text small" role="alert">
                  {error}
                </span>
              ) : null}
            </div>
          </form>
        ) : notes ? (
          <p className="notes-text" data-testid="notes-text">
            {notes}
          </p>
        ) : (
          <p className="small muted" style={{ margin: 0 }}>
            No notes yet.
          </p>
        )}
        {saved && !editing ? (
          <p className="small muted" role="status" style={{ margin: '6px 0 0' }}>
            {saved}
          </p>
        ) : null}
      </div>
    </section>
  );
}

export function RunManage({
  runId,
  archivedAt,
  launched,
  bundleDir,
  archive,
  remove,
}: {
  runId: string;
  archivedAt: string | null;
  launched: boolean;
  bundleDir: string;
  archive: (runId: string, archived: boolean) => Promise<ActionResult>;
  remove: (runId: string) => Promise<ActionResult>;
}) {
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const deleteButton = useRef<HTMLButtonElement>(null);
  const keep = () => {
    setConfirming(false);
    // Back to the button that opened the question.
    setTimeout(() => deleteButton.current?.focus(), 0);
  };
  return (
    <div className="manage" data-testid="run-manage">
      <div className="manage-row">
        {archivedAt ? (
          <>
            <button type="button" className="btn" disabled={pending} onClick={() => start(async () => setMessage(resultText(await archive(runId, false))))} data-testid="restore-run">
              Restore to the runs list
            </button>
            <span className="small muted">Archived {archivedAt}: hidden from the runs list; this page and its links keep working.</span>
          </>
        ) : (
          <>
            <button type="button" className="btn" disabled={pending} onClick={() => start(async () => setMessage(resultText(await archive(runId, true))))} data-testid="archive-run">
              Archive
            </button>
            <span className="small muted">Hides the run from the runs list; this page and its links keep working, and it can be restored.</span>
          </>
        )}
      </div>
      <div className="manage-row">
        {confirming ? (
          <span
            className="confirm"
            role="group"
            aria-label="Confirm delete"
            onKeyDown={(e) => {
              if (e.key === 'Escape') keep();
            }}
          >
            <span>
              Delete this run from Runproof?{' '}
              {launched ? (
                <>
                  Its bundle folder <code className="wrap-anywhere">{bundleDir}</code> is removed too.
                </>
              ) : (
                <>
                  Its bundle folder <code className="wrap-anywhere">{bundleDir}</code> is not touched; importing it again brings the run back.
                </>
              )}
            </span>
            <button type="button" className="btn btn-danger" disabled={pending} onClick={() => start(async () => setMessage(resultText(await remove(runId))))} data-testid="confirm-delete">
              Delete
            </button>
            <button type="button" className="btn" onClick={keep} autoFocus>
              Keep
            </button>
          </span>
        ) : (
          <>
            <button type="button" ref={deleteButton} className="btn" onClick={() => setConfirming(true)} data-testid="delete-run">
              Delete…
            </button>
            <span className="small muted">{launched ? 'Removes the run and the bundle folder Runproof wrote for it.' : 'Removes the run from Runproof; the bundle folder stays where it is.'}</span>
          </>
        )}
      </div>
      {message ? (
        <p className="small muted" role="status" data-testid="manage-message" style={{ margin: 0 }}>
          {message}
        </p>
      ) : null}
    </div>
  );
}
