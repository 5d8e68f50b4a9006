/**
 * A number knob's text, read one way everywhere: the launch form as the user
 * types, the server action, `runproof launch --set` and the API. No
 * dependencies, so the form's client code imports it as it is.
 */

/** Whole numbers as a command line gives them (at most 15 digits: every one is exact in a double). */
export const INT_TEXT = /^[+-]?\d{1,15}$/;
/** Decimal numbers, with an exponent (`1e-3`); no `nan`, `inf`, hex or `_`. */
export const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

export interface NumberSpec {
  type: 'int' | 'number';
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
}

export function describeRange(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  if (min !== undefined) return `at least ${min}`;
  return `at most ${max}`;
}

/**
 * The value of a number knob, or what is wrong with its text ("must be a
 * whole number", "must be between 1 and 4096"). Letters are an error, never
 * a default: `abc` in a number knob does not launch.
 */
const shown = (text: string) => `“${text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 40)}”`;

export function readNumber(p: NumberSpec, raw: string | number): { value: number; error?: undefined } | { value?: undefined; error: string } {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  if (p.type === 'int') {
    const n = typeof text === 'number' ? text : INT_TEXT.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n)) return { error: typeof text === 'string' && text !== '' ? `must be a whole number, not ${shown(text)}` : 'must be a whole number' };
    if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max)) return { error: `must be ${describeRange(p.min, p.max)}` };
    return { value: n };
  }
  const n = typeof text === 'number' ? text : NUMBER_TEXT.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n)) return { error: typeof text === 'string' && text !== '' ? `must be a number, not ${shown(text)}` : 'must be a number' };
  if (p.min !== undefined && (p.exclusiveMin ? n <= p.min : n < p.min)) return { error: p.exclusiveMin ? `must be greater than ${p.min}` : `must be ${describeRange(p.min, p.max)}` };
  if (p.max !== undefined && n > p.max) return { error: `must be ${describeRange(p.min, p.max)}` };
  return { value: n };
}
