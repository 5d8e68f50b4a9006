'use client';
import { useState } from 'react';

/** Copies `text` to the clipboard; falls back to a hidden textarea where the Clipboard API is unavailable (plain http). */
export default function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
      } else {
        const ta = document.createElement('textarea');
        ta.value = text;
        ta.setAttribute('readonly', '');
        ta.style.position = 'fixed';
        ta.style.opacity = '0';
        document.body.appendChild(ta);
        ta.select();
        const ok = document.execCommand('copy');
        document.body.removeChild(ta);
        if (!ok) throw new Error('copy refused');
      }
      setState('copied');
    } catch {
      setState('failed');
    }
    setTimeout(() => setState('idle'), 2000);
  }
  return (
    <button type="button" className="btn" onClick={copy} data-testid={testId} data-copied={state === 'copied' ? 'true' : undefined}>
      {state === 'copied' ? 'Copied ✓' : state === 'failed' ? 'Copy failed: select the text below' : label}
    </button>
  );
}
